"""Optimal DPOR against brute force: the same graphs, each exactly once, no blocked runs."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, example, given, settings

from pagerace.explore import Options, explore
from pagerace.explore.bruteforce import all_interleavings
from pagerace.models import SequentialConsistency
from tests.programs import Instr, large_programs, make_program, programs


def _check_against_brute_force(threads: list[list[Instr]], generated: bool = False) -> None:
    program = make_program(threads)
    brute = all_interleavings(program)
    if generated:
        assume(brute.complete)  # too many interleavings to enumerate: not a test case
    assert brute.complete
    res = explore(
        program,
        Options(
            all_findings=True,
            count_graphs=True,
            shrink=False,
            final_states=True,
            model=SequentialConsistency(),
        ),
    )
    assert res.graph_keys == brute.graph_keys
    assert res.stats.duplicate_graphs == 0
    assert res.stats.executions == len(brute.graph_keys)
    assert res.stats.blocked == 0
    assert set(res.final_states) == brute.final_states


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs)
# test_bit(0) before both bit-0 writes, or after T1's write-back cleared the bit T0 set:
# the same bit seen, two traces (found by hypothesis in CI).
@example([[("na_set_bit", 0, 0)], [("na_set_bit", 0, 1)], [("test_bit_write", 0, 0)]])
def test_dpor_explores_exactly_the_graphs_brute_force_finds_each_once(threads):
    _check_against_brute_force(threads, generated=True)


@pytest.mark.slow
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(large_programs)
def test_dpor_matches_brute_force_on_larger_programs(threads):
    _check_against_brute_force(threads, generated=True)


def test_a_deadlocked_run_still_reverses_the_races_of_its_waiting_thread():
    # T0's non-atomic __set_bit can write back a lock bit T1 held when T0 loaded the word:
    # the run ends with T2 waiting forever, and T2's never-run bit_spin_lock must race
    # with the store that disabled it, or the runs where T2 locks first are lost.
    _check_against_brute_force(
        [[("na_set_bit", 0, 1)], [("bitlock_inc", 1, 2)], [("bitlock_inc", 1, 1)]]
    )


def test_a_failed_conditional_rmw_is_a_read_and_does_not_race_with_reads():
    # Both RMWs fail on 0: they are reads, so one graph and no blocked run.
    _check_against_brute_force(
        [[("cmpxchg", 1, 1), ("na_set_bit", 0, 0)], [("inc_not_zero", 1, 2)]]
    )
