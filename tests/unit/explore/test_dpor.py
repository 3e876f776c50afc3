"""Optimal DPOR against brute force: the same graphs, each exactly once, no blocked runs."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from pagerace.explore import Options, explore
from pagerace.explore.bruteforce import all_interleavings
from pagerace.models import SequentialConsistency
from tests.programs import Instr, make_program, programs


def _check_against_brute_force(threads: list[list[Instr]]) -> None:
    program = make_program(threads)
    brute = all_interleavings(program)
    res = explore(program, Options(all_findings=True, count_graphs=True, shrink=False,
                                   model=SequentialConsistency()))
    assert res.graph_keys == brute.graph_keys
    assert res.stats.duplicate_graphs == 0
    assert res.stats.executions == len(brute.graph_keys)
    assert res.stats.blocked == 0
    assert set(res.final_states) == brute.final_states


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs)
def test_dpor_explores_exactly_the_graphs_brute_force_finds_each_once(threads):
    _check_against_brute_force(threads)
