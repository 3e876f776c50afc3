"""Findings and counterexamples from the weak-memory graph explorer (:mod:`trust`).

A weak execution has no schedule that explains it, so its trace lists the events in
the order the explorer added them, one column per CPU, and every read says which write
it read from (``<- #n``, the row of that write, or ``init``).  When the execution is not
sequentially consistent, the finding says which program-order edges the model let go
(the reordering that makes the bug), from a cycle of ``po | rf | co | fr``.  Data races
come from the model's ``races`` (the LKMM's ``data-race`` flag) and name both accesses.
"""

from __future__ import annotations

from pagerace.explore.finding import Finding
from pagerace.explore.result import Counterexample, Trace
from pagerace.explore.trust import REF, Outcome
from pagerace.graph.events import Event, EventKind
from pagerace.graph.graph import ExecutionGraph
from pagerace.models.base import MemoryModel


def race_findings(model: MemoryModel, out: Outcome) -> list[Finding]:
    """One ``data-race`` finding per racing pair the model reports."""
    races = getattr(model, "races", None)
    if races is None:
        return []
    g = out.graph
    found = []
    for a, b, kind in races(g):
        ea, eb = g.by_id[a], g.by_id[b]
        names = out.world.threads
        first = f"{names[ea.tid][0]}'s {_access(ea)}"
        second = f"{names[eb.tid][0]}'s {_access(eb)}"
        found.append(
            Finding(
                "data-race",
                f"{kind} on {ea.loc}: {first} and {second} are not ordered by the LKMM "
                f"(linux-kernel.cat: {kind}); {_advice(g, ea, eb)}",
                eb.tid,
                eb.eid,
                check=f"data-race:{ea.name}/{eb.name}:{ea.loc}",
            )
        )
    return found


def _access(e: Event) -> str:
    kind = "read-modify-write" if e.reads and e.writes else "load" if e.reads else "store"
    if e.name.startswith("plain"):
        return f"plain {kind}"
    what = "plain " if e.annot == "plain" else ""
    return f"{what}{kind} in {e.name}"


# Program order the LKMM keeps whatever the locations (linux-kernel.cat: fences, acquire
# and release, full-barrier RMWs); a po edge of an SC cycle without one of these is the
# reordering that makes the execution non-SC.
_ORDERING = frozenset({"mb", "acquire", "release"})


def _ordered(g: ExecutionGraph, a: Event, b: Event) -> bool:
    if a.loc == b.loc or a.annot in _ORDERING or b.annot in _ORDERING:
        return True
    between = [
        e.annot
        for e in g.events
        if e.tid == a.tid and a.po_index < e.po_index < b.po_index and e.kind is EventKind.FENCE
    ]
    if "mb" in between:
        return True
    if "wmb" in between and a.writes and b.writes:
        return True
    return "rmb" in between and a.reads and b.reads


def _advice(g: ExecutionGraph, a: Event, b: Event) -> str:
    """Which barrier would order the racing plain access before what the other CPU
    observed: the usual cure, named for the pattern at hand."""
    plain = a if a.annot == "plain" else b
    later = [
        e
        for e in g.events
        if e.tid == plain.tid and e.po_index > plain.po_index and e.kind is EventKind.FENCE
    ]
    if plain.reads and not plain.writes and any(e.annot == "wmb" for e in later):
        return (
            f"smp_wmb() orders stores only, so the plain load of {plain.loc} is not ordered "
            "before the stores after it; smp_mb(), or publishing with a release store "
            "(smp_store_release / atomic_set_release), would order it"
        )
    if plain.reads:
        return (
            f"order the plain load of {plain.loc} before the other CPU's access: an "
            "acquire load on the reader's side, a release store or smp_mb() on the writer's"
        )
    return (
        f"mark the access to {plain.loc} (READ_ONCE/WRITE_ONCE or an atomic) and order it "
        "with a release store or smp_mb()"
    )


def reordering_note(g: ExecutionGraph) -> str:
    """For a non-SC execution, the program-order edges its ``po | rf | co | fr`` cycle
    crosses: the accesses that became visible out of order.  Empty for an SC one."""
    mem = g.M
    po = g.po.restrict(mem, mem)
    sc = po | g.rf | g.co | g.fr
    cycle = sc.find_cycle()
    if cycle is None:
        return ""
    parts = []
    for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True):
        if (a, b) in po:
            ea, eb = g.by_id[a], g.by_id[b]
            if not _ordered(g, ea, eb):
                parts.append(f"{_access(ea)} ({ea.loc}) before {_access(eb)} ({eb.loc})")
    if not parts:
        return ""
    return (
        "not sequentially consistent: the model let "
        + "; ".join(parts)
        + " become visible out of program order"
    )


def weak_trace(out: Outcome, findings: tuple[Finding, ...]) -> Trace:
    """The execution as a trace: events in the order they were added, reads labelled
    with the row of the write they read."""
    g, world = out.graph, out.world
    events = [e for e in g.events if e.kind is not EventKind.END]
    row = {e.eid: i + 1 for i, e in enumerate(events)}
    shown = []
    for e in events:
        loc = world.locations[e.lid] if e.lid is not None else None
        r = w = ""
        if loc is not None and e.reads:
            src = "init" if e.rf is None else f"#{row.get(e.rf, '?')}"
            r = f"{loc.show(e.read_value)} <- {src}"
        if loc is not None and e.writes:
            w = loc.show(e.written_value)
        shown.append((r, w))
    written = {e.lid for e in events if e.writes}
    final = tuple(
        (loc.name, loc.show(out.final[loc.lid])) for loc in world.locations if loc.lid in written
    )
    return Trace(
        threads=tuple(name for name, _ in world.threads),
        events=tuple(events),
        schedule=tuple(e.eid // REF for e in events),
        findings=findings,
        final=final,
        shown=tuple(shown),
    )


def counterexample(out: Outcome, finding: Finding, token: str) -> Counterexample:
    note = reordering_note(out.graph)
    if note and finding.kind != "data-race":
        finding = Finding(
            finding.kind,
            f"{finding.message}. {note}",
            finding.tid,
            finding.eid,
            finding.check,
            finding.traceback,
        )
    return Counterexample(finding, weak_trace(out, tuple(out.findings)), token)
