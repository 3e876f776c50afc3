"""The scenario catalogue as a golden corpus: exploring each variant gives the verdict
the catalogue expects, with finding kinds it lists; and the seeded bug is found with a
short trace."""

from __future__ import annotations

import pytest

from pagerace.core.errors import UsageError
from pagerace.explore import Options, Program, Result, World, explore
from pagerace.explore.bruteforce import all_interleavings
from pagerace.explore.shrink import context_switches
from pagerace.mm.page import PAGE_BUDDY_MAPCOUNT_VALUE, make_mem_map, show_pointer
from pagerace.mm.page_alloc import __GFP_COMP, prep_new_page
from pagerace.mm.swap import put_compound_tail
from pagerace.mm.variants import VARIANTS
from pagerace.scenarios.catalogue import catalogue, scenario

PREP_RACE = scenario("prep-race")
SC_EXPECTATIONS = [
    pytest.param(variant, expectation, id=variant)
    for (variant, model), expectation in PREP_RACE.expected.items()
    if model == "sc"
]


def check(variant: str, cpus: int, **opts: object) -> Result:
    program = PREP_RACE.program(variant, {"cpus": cpus})
    return explore(program, Options(**opts))  # type: ignore[arg-type]


def kinds(res: Result) -> set[str]:
    return {cx.finding.kind for cx in res.counterexamples}


def test_every_variant_of_prep_race_has_an_sc_expectation():
    assert {p.values[0] for p in SC_EXPECTATIONS} == set(PREP_RACE.variants)


@pytest.mark.parametrize("cpus", [2, 3])
@pytest.mark.parametrize(("variant", "expected"), SC_EXPECTATIONS)
def test_exploring_prep_race_under_sc_gives_the_catalogue_verdict(variant, expected, cpus):
    assert check(variant, cpus).verdict == expected.verdict


@pytest.mark.parametrize("cpus", [2, 3])
@pytest.mark.parametrize(("variant", "expected"), SC_EXPECTATIONS)
def test_every_finding_of_prep_race_under_sc_is_of_a_kind_the_catalogue_lists(
    variant, expected, cpus
):
    # all_findings: every reachable kind, not only the first one found.
    assert kinds(check(variant, cpus, all_findings=True)) <= set(expected.kinds)


def test_both_lock_bit_races_are_reachable_in_v3_13_with_two_cpus():
    # §9.1: compound_lock's atomic set can land between __SetPageHead's plain load and
    # store (the store erases the held bit: lock-lost), or the load can see the bit set
    # and the store put it back after the unlock (lock-leaked).
    assert {"lock-lost", "lock-leaked"} <= kinds(check("v3.13", 2, all_findings=True))


def test_the_shrunk_v3_13_counterexamples_are_short():
    # Does it find the bug, and print it short?  lock-lost needs CPU0 preempted once
    # between the load and store of __SetPageHead (3 switches: A B A B); lock-leaked
    # needs the load inside CPU1's critical section and the store after it (4).
    res = check("v3.13", 2, all_findings=True)
    assert res.counterexamples
    for cx in res.counterexamples:
        assert context_switches(cx.trace.schedule) <= 4, cx.replay


def test_the_catalogue_names_each_scenario_by_its_own_name():
    assert all(name == s.name for name, s in catalogue().items())


def test_an_out_of_range_parameter_is_a_usage_error_naming_its_range():
    with pytest.raises(UsageError, match="from 2 to 8"):
        PREP_RACE.program("v3.13", {"cpus": 9})


def test_the_default_variant_is_the_first_listed():
    assert PREP_RACE.variant(None).name == PREP_RACE.variants[0]


def prep_race_after_rmqueue(variant: str) -> Program:
    """prep-race with two CPUs from the moment CPU0 has taken the block off the free
    lists (after ``check_new_page``): its ``prep_new_page`` against the stale putter.
    The allocator's 43 steps before it touch nothing the putter touches, but brute
    force would interleave every one of them (about C(58, 5) = 4.6 million schedules,
    against these 3,003)."""

    def build(w: World) -> None:
        head, _, tail = make_mem_map(w, 3, ["H", "H+1", "T1"])
        w.init(tail._count, 1)
        w.init(tail.first_page, head)
        w.thread("CPU0")(lambda: prep_new_page(head, 1, __GFP_COMP, VARIANTS[variant]))
        w.thread("CPU1")(lambda: put_compound_tail(tail, head))

    return Program(f"prep-race-after-rmqueue/{variant}", build)


@pytest.mark.parametrize("variant", [pytest.param("v3.13", marks=pytest.mark.slow), "prep-fix"])
def test_prep_race_with_two_cpus_explores_exactly_the_graphs_of_every_interleaving(variant):
    # The optimal explorer against the brute-force enumerator on the scenario's race
    # (prep_new_page against a stale putter): the same set of execution graphs, each
    # explored once, none blocked.
    program = prep_race_after_rmqueue(variant)
    brute = all_interleavings(program)
    assert brute.complete
    res = explore(program, Options(all_findings=True, count_graphs=True, shrink=False))
    assert res.graph_keys == brute.graph_keys
    assert res.stats.executions == len(brute.graph_keys)
    assert res.stats.duplicate_graphs == 0 and res.stats.blocked == 0
    assert {cx.finding.signature for cx in res.counterexamples} == brute.findings


def test_prep_race_reallocates_the_head_from_the_zone_splitting_off_the_upper_half():
    # CPU0 takes the free order-2 block H..H+3 through zone->lock and
    # __rmqueue_smallest; expand puts H+2..H+3 back on the order-1 list.
    finals: list[dict[str, object]] = []

    def keep_final(w: World, findings: object) -> None:
        finals.append({loc.name: w.peek(loc) for loc in w.locations})

    program = PREP_RACE.program("prep-fix", {"cpus": 2})
    assert explore(program, Options(on_execution=keep_final)).verdict == "verified"
    assert len(finals) == 2
    for final in finals:
        assert show_pointer(final["zone.free_area[1].free_list.next"]) == "&H+2.lru"
        assert (final["H+2._mapcount"], final["H+2.private"]) == (PAGE_BUDDY_MAPCOUNT_VALUE, 1)
        assert (final["H._mapcount"], final["H._count"]) == (-1, 1)
