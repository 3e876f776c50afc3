"""The design alternatives of the 2013 debate and after: Oleg's per-tail lock (ref §9.3),
the same put side without the split's half, the v4.5 scheme (ref §8.5), and the
O_DIRECT workload they are priced on (ref §6.2)."""

from __future__ import annotations

import pytest

from pagerace.core.errors import UsageError
from pagerace.explore import Options, Result, explore
from pagerace.explore.replay import replay
from pagerace.explore.shrink import context_switches
from pagerace.scenarios.catalogue import scenario

SPLIT = scenario("split-vs-tail-put")
GUP = scenario("gup-vs-split")
ODIRECT = scenario("odirect")


def kinds(res: Result) -> set[str]:
    return {cx.finding.kind for cx in res.counterexamples}


def final(res: Result) -> list[dict[str, str]]:
    return [dict(state) for state in res.final_states]


def test_per_tail_lock_drops_every_pin_once_against_the_split():
    res = explore(SPLIT.program("per-tail-lock", {"cpus": 2, "order": 1}), Options())
    assert res.verdict == "verified"
    assert res.stats.executions > 1 and res.stats.blocked == 0


def test_per_tail_lock_with_two_putters_on_an_order_2_thp_is_verified():
    res = explore(SPLIT.program("per-tail-lock", {"cpus": 3, "order": 2}), Options())
    assert res.verdict == "verified"


def test_per_tail_lock_leaves_gup_fast_serialised_by_the_ipi():
    res = explore(GUP.program("per-tail-lock", {"cpus": 2, "order": 1}), Options())
    assert res.verdict == "verified"


def test_per_tail_lock_on_v3_13_s_split_loses_and_leaks_the_tail_lock():
    # The split's plain load and store of the tail's flags straddle the putter's
    # compound_lock (erased: lock-lost) or its unlock (resurrected: lock-leaked).
    res = explore(
        SPLIT.program("per-tail-lock-naive", {"cpus": 2, "order": 1}), Options(all_findings=True)
    )
    assert {"lock-lost", "lock-leaked"} <= kinds(res)


def test_the_shrunk_per_tail_lock_naive_counterexamples_are_short():
    # lock-lost: the putter locks, the split's clear erases the bit, the putter
    # unlocks (B A B: 2 switches).  lock-leaked needs the putter's lock, recheck and
    # unlock inside the split's later plain rewrites: B A B A B A at most (5).
    res = explore(
        SPLIT.program("per-tail-lock-naive", {"cpus": 2, "order": 1}), Options(all_findings=True)
    )
    bound = {"lock-lost": 2, "lock-leaked": 5}
    for cx in res.counterexamples:
        if cx.finding.kind in bound:
            assert context_switches(cx.trace.schedule) <= bound[cx.finding.kind], cx.replay


def test_v4_5_refuses_to_split_while_a_tail_is_pinned():
    # CPU0 runs first: its check finds the putter's pin in the head's count.
    program = SPLIT.program("v4.5", {"cpus": 2, "order": 1})
    ex = replay(program, [0] * 200, strict=False)
    assert not ex.findings
    state = dict(ex.final_state())
    assert "PG_head" in state["H.flags"]  # still a compound page
    assert state["H._count"] == "1"  # its mapping's reference
    assert state["H+1.first_page"] == "H" and state["H+1._count"] == "0"


def test_v4_5_splits_once_the_last_pin_is_dropped():
    program = SPLIT.program("v4.5", {"cpus": 2, "order": 1})
    ex = replay(program, [1] * 200, strict=False)
    assert not ex.findings
    state = dict(ex.final_state())
    assert "PG_head" not in state["H.flags"]
    assert state["H+1.first_page"] == "NULL" and state["H+1._count"] == "1"


def test_v4_5_either_splits_or_refuses_and_the_references_balance_both_ways():
    res = explore(SPLIT.program("v4.5", {"cpus": 2, "order": 1}), Options(final_states=True))
    assert res.verdict == "verified"
    assert {"PG_head" in s["H.flags"] for s in final(res)} == {True, False}


@pytest.mark.parametrize("variant", ODIRECT.variants)
@pytest.mark.parametrize(("cpus", "gets"), [(2, 0), (1, 2)])
def test_odirect_puts_balance_every_gup_pin_and_get(variant, cpus, gets):
    # Two CPUs contend on the head; one CPU alone checks dio's two extra get/put pairs.
    res = explore(
        ODIRECT.program(variant, {"cpus": cpus, "gets": gets}), Options(final_states=True)
    )
    assert res.verdict == "verified"
    for s in final(res):
        assert s["H._count"] == "1"  # the pmd mapping's reference, nothing else
        assert s["H+1._count"] == s["H+2._count"] == "0"


@pytest.mark.parametrize("variant", ["v3.13", "per-tail-lock"])
def test_odirect_racing_a_split_drops_every_pin_once(variant):
    res = explore(ODIRECT.program(variant, {"cpus": 2, "split": 1}), Options())
    assert res.verdict == "verified"


def test_odirect_racing_a_v4_5_split_is_refused_while_pinned_or_splits_after():
    # §8.5: the split goes ahead only once the I/O has dropped its pins; both outcomes
    # are reachable, and either way every pin is dropped once.
    res = explore(ODIRECT.program("v4.5", {"cpus": 2, "split": 1}), Options(final_states=True))
    assert res.verdict == "verified"
    heads = {s["H.flags"] for s in final(res)}
    assert any("PG_head" in f for f in heads) and any("PG_head" not in f for f in heads)


def test_odirect_tail_runs_must_fit_in_the_thp():
    with pytest.raises(UsageError, match="at most 1 with --order 2 --pages 2"):
        ODIRECT.program("v3.13", {"cpus": 2, "pages": 2})
