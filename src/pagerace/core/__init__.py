"""Vocabulary shared by every layer: locations, operations, annotations, errors."""
