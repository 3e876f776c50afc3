"""Execution graphs: events with po, rf, co, derived fr, and recorded dependencies."""

from pagerace.graph.events import Event, EventKind, SourceRef
from pagerace.graph.graph import ExecutionGraph
from pagerace.graph.relation import Relation

__all__ = ["Event", "EventKind", "ExecutionGraph", "Relation", "SourceRef"]
