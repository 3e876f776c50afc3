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

    def violation(self, g: ExecutionGraph) -> str | None:
        mem = g.M
        po = g.po.restrict(mem, mem)
        com = g.rf | g.co | g.fr
        if not ((po & g.loc) | com).acyclic():
            return "sc-per-location"
        if rmw_atomicity_violated(g):
            return "atomic"
        if not self.ghb(g).acyclic():
            return "ghb"
        return None

    def ghb(self, g: ExecutionGraph) -> Relation:
        """The global happens-before of x86tso.cat."""
        mem = g.M
        po = g.po.restrict(mem, mem)
        write_to_read = Relation.cross(g.W - g.R, g.R - g.W)
        po_ghb = po - write_to_read
        mfences = frozenset(e.eid for e in g.events if e.eid in g.F and e.annot == "mb")
        full = g.po.restrict(mem, mfences) @ g.po.restrict(mfences, mem)
        locked = g.R & g.W
        implied = g.po.restrict(mem, locked) | g.po.restrict(locked, mem)
        return po_ghb | full | implied | (g.rf & g.ext) | g.fr | g.co
