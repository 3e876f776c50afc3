"""x86-TSO as an axiomatic model (Owens, Sarkar, Sewell, "A Better x86 Memory Model:
x86-TSO", TPHOLs 2009; herd's ``x86tso.cat``).

Axioms, named as in the cat file:
- ``sc-per-location``: ``acyclic po-loc | rf | co | fr`` (coherence);
- ``atomic``: a successful RMW is the co-successor of the write it reads from;
- ``ghb``: ``acyclic po-ghb | mfence | implied | rfe | fr | co`` where ``po-ghb`` is
  program order minus write-to-read pairs (the store buffer), ``mfence`` orders
  accesses separated by ``smp_mb`` (``mfence`` on x86-64), and ``implied`` orders every
  access before and after a locked instruction (a successful RMW, a lock acquisition).

``smp_rmb``/``smp_wmb`` and ``smp_mb__{before,after}_atomic`` are compiler barriers on
x86-64 (v3.13 barrier.h): they order nothing here.  A failed conditional RMW is a read.

The weak-memory explorer (TruSt, ``pagerace.explore.trust``) asks this predicate about
every graph it builds under ``--model tso``.
"""

from __future__ import annotations

from pagerace.graph.graph import ExecutionGraph
from pagerace.graph.relation import Relation
from pagerace.models.sc import rmw_atomicity_violated


class X86TSO:
    name = "tso"
    interleaving = False
    porf_cycles = False  # po | rf is acyclic in every execution
    coherent = True  # sc-per-location (see MemoryModel)
    sinks = True  # an event with no edge out of it keeps a graph consistent (see MemoryModel)

    def violation(self, g: ExecutionGraph) -> str | None:
        po = g.po.restrict(g.M, g.M)
        loc = {e.eid: e.loc for e in g.events if e.loc is not None and e.is_memory}
        po_loc = Relation((a, b) for a, b in po.pairs if a in loc and loc[a] == loc.get(b))
        if not (po_loc | g.rf | g.co | g.fr).acyclic():
            return "sc-per-location"
        if rmw_atomicity_violated(g):
            return "atomic"
        if not self.ghb(g, po).acyclic():
            return "ghb"
        return None

    def ghb(self, g: ExecutionGraph, po: Relation | None = None) -> Relation:
        """The global happens-before of x86tso.cat (``po``: ``g``'s program order
        between memory accesses, if the caller has it).  Each part is built from the
        pairs it keeps, not as a set expression over all pairs of events (``ext``,
        ``W * R``: quadratic in the events, most of a check's time on large graphs)."""
        mem = g.M
        if po is None:
            po = g.po.restrict(mem, mem)
        w_only, r_only = g.W - g.R, g.R - g.W
        pairs = {(a, b) for a, b in po.pairs if not (a in w_only and b in r_only)}  # po-ghb
        mfences = frozenset(e.eid for e in g.events if e.eid in g.F and e.annot == "mb")
        if mfences:
            pairs |= (g.po.restrict(mem, mfences) @ g.po.restrict(mfences, mem)).pairs
        locked = g.R & g.W  # implied: around a locked instruction
        if locked:
            pairs |= {(a, b) for a, b in po.pairs if a in locked or b in locked}
        tid = {e.eid: e.tid for e in g.events}
        pairs |= {(w, r) for w, r in g.rf.pairs if tid[w] != tid[r]}  # rfe
        return Relation(pairs | g.fr.pairs | g.co.pairs)
