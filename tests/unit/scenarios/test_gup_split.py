"""gup-vs-split: the TLB-flush IPI serialises irq-off gup_fast against the split."""

from __future__ import annotations

from pagerace.explore import Options, Result, explore
from pagerace.explore.replay import replay
from pagerace.explore.shrink import context_switches
from pagerace.scenarios.catalogue import scenario

GUP = scenario("gup-vs-split")


def test_v3_13_every_gup_fast_pin_is_dropped_exactly_once():
    res = explore(GUP.program("v3.13", {"cpus": 2, "order": 1}), Options())
    assert res.verdict == "verified"
    assert res.stats.executions > 1 and res.stats.blocked == 0


def test_v3_13_with_two_gup_fast_cpus_finds_nothing_in_its_first_2000_executions():
    # Bounded, so it can only say "no finding so far"; the full run is in the benchmarks.
    res = explore(GUP.program("v3.13", {"cpus": 3, "order": 2}), Options(max_executions=2000))
    assert res.verdict == "bounded"
    assert not res.counterexamples


def test_without_the_ipi_wait_a_gup_fast_pin_escapes_the_split():
    # gup_fast read the pmd before the splitting bit; the split moves the pins without
    # waiting for it, so the pin it then takes is accounted wrongly.
    res = explore(GUP.program("split-no-ipi", {"cpus": 2, "order": 1}), Options())
    assert res.verdict == "finding"
    expected = GUP.expected[("split-no-ipi", "sc")].kinds
    assert {cx.finding.kind for cx in res.counterexamples} <= set(expected)


def test_a_gup_fast_that_sees_the_splitting_pmd_pins_nothing():
    # With the split run first, gup_fast finds the pmd splitting (or a page table) and
    # bails out: the run completes with every count balanced.
    program = GUP.program("v3.13", {"cpus": 2, "order": 1})
    ex = replay(program, [0] * 200, strict=False)
    assert not ex.findings
    head_count = next(loc for loc in ex.world.locations if loc.name == "H._count")
    assert ex.world.peek(head_count) == 1


def kinds(res: Result) -> set[str]:
    return {cx.finding.kind for cx in res.counterexamples}


def test_per_tail_lock_naive_loses_and_leaks_the_putters_tail_lock_after_gup_fast():
    # The IPI orders the pin, not the put: the putter's tail lock meets the split's
    # plain rewrite of the tail's flags (§5.2 4e-4g), and the pin is dropped twice.
    res = explore(GUP.program("per-tail-lock-naive", {}), Options(all_findings=True))
    assert {"lock-lost", "lock-leaked", "bad-page", "invariant"} <= kinds(res)
    for cx in res.counterexamples:
        assert context_switches(cx.trace.schedule) <= 6, cx.replay


def test_v4_5_refuses_the_split_while_gup_fast_holds_its_pin_or_splits_after():
    # §8.5: both outcomes are reachable, and every pin is dropped from the head once.
    res = explore(GUP.program("v4.5", {}), Options(final_states=True))
    assert res.verdict == "verified"
    states = [dict(s) for s in res.final_states]
    assert {s["pmd"] for s in states} == {"huge", "table"}  # refused: restored; split
    assert all(s["H._count"] == "1" for s in states)


def test_v4_5_gup_fast_after_the_pmd_is_invalidated_pins_nothing():
    # The splitter runs alone first: its invalidated pmd sends gup_fast to the slow path.
    ex = replay(GUP.program("v4.5", {}), [0] * 200, strict=False)
    assert not ex.findings
    final = {loc.name: ex.world.peek(loc) for loc in ex.world.locations}
    assert final["H._count"] == 1 and final["H+1._count"] == 1  # split: the pte's reference
