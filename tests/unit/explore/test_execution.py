"""One execution, driven step by step: scheduling state, and what it leaves behind."""

from __future__ import annotations

import gc
import weakref

from pagerace.explore import Program
from pagerace.explore.execution import Execution
from tests.unit.explore.test_counts import abba


def run_to_end(ex: Execution, prefix: list[int]) -> Execution:
    for tid in prefix:
        ex.step(tid)
    while enabled := ex.enabled():
        ex.step(enabled[0])
    ex.finish()
    return ex


def test_the_schedule_records_the_thread_of_every_step():
    ex = run_to_end(Execution(Program("abba", abba)), [1, 1, 1])
    # P1 takes B and A and releases A; then the lowest enabled thread runs: P0 takes A,
    # waits for B until P1 releases it, and finishes.
    assert ex.schedule == [1, 1, 1, 0, 1, 0, 0, 0]


def test_a_thread_waiting_for_a_held_lock_is_not_enabled():
    ex = Execution(Program("abba", abba))
    ex.step(0)  # P0 takes A
    ex.step(1)  # P1 takes B
    assert ex.enabled() == []
    assert ex.waiting() == [0, 1]


def test_a_run_where_every_thread_waits_ends_with_a_deadlock_naming_both_locks():
    ex = run_to_end(Execution(Program("abba", abba)), [0, 1])
    (finding,) = ex.findings
    assert finding.kind == "deadlock"
    assert "spin_lock on A" in finding.message and "spin_lock on B" in finding.message


def model_threads_left_alive(prefix: list[int]) -> int:
    ex = run_to_end(Execution(Program("abba", abba)), prefix)
    refs = [weakref.ref(t.g) for t in ex.threads]
    del ex
    gc.collect()
    return sum(ref() is not None for ref in refs)


def test_the_threads_of_a_completed_execution_are_freed_with_it():
    assert model_threads_left_alive([0]) == 0  # P0 first, no deadlock


def test_the_threads_of_a_deadlocked_execution_are_freed_with_it():
    assert model_threads_left_alive([0, 1]) == 0
