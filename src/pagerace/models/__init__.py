"""Memory models as consistency predicates on execution graphs."""

from pagerace.models.base import MemoryModel, model_by_name
from pagerace.models.sc import SequentialConsistency

__all__ = ["MemoryModel", "SequentialConsistency", "model_by_name"]
