"""Sequential consistency (Lamport 1979) as an axiomatic model.

As in herd's ``sc.cat``: ``acyclic po | rf | co | fr`` (the "sc" axiom), with RMW
atomicity (``empty rmw & (fre ; coe)``, here: a successful RMW is the co-successor of
the write it reads from).
"""

from __future__ import annotations

from pagerace.graph.graph import ExecutionGraph


def rmw_atomicity_violated(g: ExecutionGraph) -> bool:
    """A successful RMW must be the co-successor of the write it reads from
    (cat: ``empty rmw & (fre ; coe)``, with single-event RMWs)."""
    for e in g.events:
        if e.reads and e.writes and e.loc is not None:
            ws = g.co_order.get(e.loc, ())
            i = ws.index(e.eid)
            if (ws[i - 1] if i > 0 else None) != e.rf:
                return True
    return False


class SequentialConsistency:
    name = "sc"
    interleaving = True
    porf_cycles = False  # po | rf is acyclic in every execution
    coherent = True  # (see MemoryModel)
    sinks = True  # an event with no edge out of it keeps a graph consistent (see MemoryModel)

    def violation(self, g: ExecutionGraph) -> str | None:
        if rmw_atomicity_violated(g):
            return "atomic"
        if not (g.po | g.rf | g.co | g.fr).acyclic():
            return "sc"
        return None
