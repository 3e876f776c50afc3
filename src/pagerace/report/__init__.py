"""Renderers: CPU-column traces, JSON."""
