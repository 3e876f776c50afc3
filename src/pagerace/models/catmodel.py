"""A herd cat model as a :class:`~pagerace.models.base.MemoryModel`: ``--model cat:DIR``.

``DIR`` holds ``linux-kernel.cat`` with its includes and ``linux-kernel.bell`` (a kernel
tree's ``tools/memory-model/``).  Each execution graph is seen as herd7 sees it
(:func:`~pagerace.models.herdview.herd_view`: explicit initial writes, RMWs as read and
write halves, spinlocks as ``LKR``/``LKW``/``UL``) and the interpreted model's checks
decide consistency; its flags (``data-race``) are reported like the native LKMM's.
"""

from __future__ import annotations

from pathlib import Path

from pagerace.core.errors import InputError, UsageError
from pagerace.graph.graph import ExecutionGraph
from pagerace.models.cat import CatModel
from pagerace.models.herdview import herd_view

MODEL_FILE = "linux-kernel.cat"


class CatMemoryModel:
    interleaving = False
    porf_cycles = True  # load buffering: po | rf may be cyclic

    def __init__(self, model: CatModel, name: str) -> None:
        self.cat, self.name = model, name

    @staticmethod
    def from_directory(directory: str) -> CatMemoryModel:
        d = Path(directory)
        if not (d / MODEL_FILE).is_file():
            raise UsageError(
                "--model",
                f"cat:{directory}",
                f"cat:DIR where DIR holds {MODEL_FILE} and its includes (for example a "
                "kernel tree's tools/memory-model/)",
            )
        try:
            model = CatModel.load(d, MODEL_FILE)
        except InputError:
            raise
        return CatMemoryModel(model, f"cat:{directory}")

    def violation(self, g: ExecutionGraph) -> str | None:
        view = herd_view(g, observed=())
        res = self.cat.check(view)
        if res.violations:
            return res.violations[0]
        # lock.cat rebuilds co (each UL right after its LKW) and the rf of lock reads
        # from the lock writes' order: the concrete execution must be the one it rebuilds.
        for rel in ("co", "rf"):
            if res.value(rel) != view.relations[rel]:
                return f"lock.cat {rel}"
        return None

    def flags(self, g: ExecutionGraph) -> tuple[str, ...]:
        # FW (lock.cat's lock-final) covers the locations a litmus condition observes,
        # which a graph does not know: none, as for the native model.
        return tuple(self.cat.check(herd_view(g, observed=())).flags)
