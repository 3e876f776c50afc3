"""x86-TSO as a consistency predicate: the classic shapes, and SC graphs are TSO graphs."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from pagerace.explore import Options, explore
from pagerace.graph import Event, EventKind, ExecutionGraph
from pagerace.models import SequentialConsistency
from pagerace.models.tso import X86TSO
from tests.programs import make_program, programs


def _w(eid: int, tid: int, idx: int, loc: str, value: int = 1) -> Event:
    return Event(
        eid,
        tid,
        idx,
        EventKind.STORE,
        "WRITE_ONCE",
        "once",
        loc,
        None,
        writes=True,
        written_value=value,
    )


def _r(eid: int, tid: int, idx: int, loc: str, rf: int | None) -> Event:
    return Event(eid, tid, idx, EventKind.LOAD, "READ_ONCE", "once", loc, None, reads=True, rf=rf)


def _mb(eid: int, tid: int, idx: int) -> Event:
    return Event(eid, tid, idx, EventKind.FENCE, "smp_mb", "mb")


def _sb(fenced: bool) -> ExecutionGraph:
    # SB: P0: x=1; [mb]; r0=y (reads 0)   P1: y=1; [mb]; r1=x (reads 0)
    if not fenced:
        evs = [_w(0, 0, 0, "x"), _r(1, 0, 1, "y", None), _w(2, 1, 0, "y"), _r(3, 1, 1, "x", None)]
        return ExecutionGraph(evs, {"x": [0], "y": [2]})
    evs = [
        _w(0, 0, 0, "x"),
        _mb(1, 0, 1),
        _r(2, 0, 2, "y", None),
        _w(3, 1, 0, "y"),
        _mb(4, 1, 1),
        _r(5, 1, 2, "x", None),
    ]
    return ExecutionGraph(evs, {"x": [0], "y": [3]})


def test_store_buffering_is_allowed_by_tso_and_forbidden_by_sc():
    assert X86TSO().violation(_sb(fenced=False)) is None
    assert SequentialConsistency().violation(_sb(fenced=False)) == "sc"


def test_smp_mb_forbids_store_buffering_under_tso():
    assert X86TSO().violation(_sb(fenced=True)) == "ghb"


def test_message_passing_without_barriers_is_forbidden_by_tso():
    # MP: P0: x=1; y=1   P1: r0=y (reads 1); r1=x (reads 0): stores and loads stay in order.
    evs = [_w(0, 0, 0, "x"), _w(1, 0, 1, "y"), _r(2, 1, 0, "y", 1), _r(3, 1, 1, "x", None)]
    assert X86TSO().violation(ExecutionGraph(evs, {"x": [0], "y": [1]})) == "ghb"


def test_load_buffering_is_forbidden_by_tso():
    # LB: P0: r0=x (reads P1's x=1); y=1   P1: r1=y (reads P0's y=1); x=1
    evs = [_r(0, 0, 0, "x", 3), _w(1, 0, 1, "y"), _r(2, 1, 0, "y", 1), _w(3, 1, 1, "x")]
    assert X86TSO().violation(ExecutionGraph(evs, {"x": [3], "y": [1]})) == "ghb"


def test_reading_an_overwritten_value_of_ones_own_write_breaks_coherence():
    # CoWR: P0: x=1; r0=x reads the initial value although its own write came first.
    evs = [_w(0, 0, 0, "x"), _r(1, 0, 1, "x", None)]
    assert X86TSO().violation(ExecutionGraph(evs, {"x": [0]})) == "sc-per-location"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs)
def test_every_graph_the_sc_explorer_builds_is_tso_consistent(threads):
    # SC is stronger than TSO: an SC execution is a TSO execution.
    res = explore(make_program(threads), Options(all_findings=True, shrink=False, model=X86TSO()))
    assert res.stats.executions >= 1
