"""Source lines for reports: explorations run without capturing them (it costs), so the
executions a report names are replayed once more, capturing, as counterexamples are."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pagerace.analyses.lockdep.reports import Report
from pagerace.explore.replay import replay
from pagerace.explore.runtime import Program
from pagerace.graph.events import SourceRef


def attach_sources(
    reports: Sequence[Report], program: Program, witnesses: Mapping[int, tuple[int, ...]]
) -> list[Report]:
    """``reports`` with each site's model source line, from replaying ``program`` along
    the schedule of the execution that showed the site (``Lockdep.witnesses``).  A site
    whose replayed event is not the same primitive on the same lock keeps no source
    (the schedule came from a weak-memory exploration, which it does not replay)."""
    wanted = {(s.run, s.tid, s.po_index): s for r in reports for s in r.sites() if s.src is None}
    found: dict[tuple[int, int, int], SourceRef] = {}
    for run in sorted({run for run, _, _ in wanted}):
        schedule = witnesses.get(run)
        if schedule is None:
            continue
        ex = replay(program, schedule, capture=True, strict=False, stop_on_finding=False)
        for e in ex.events:
            site = wanted.get((run, e.tid, e.po_index))
            same = site is not None and site.primitive == e.name and site.key == (e.lock_key or "")
            if same and e.src is not None:
                found[(run, e.tid, e.po_index)] = e.src
    return [r.with_sites(found) for r in reports]
