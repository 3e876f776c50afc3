"""The candidate engine's value domains: every value an execution can hold, and (for
chains of RMWs) not the values no execution can."""

from __future__ import annotations

from collections.abc import Callable

from pagerace import kernel as k
from pagerace.explore import Program, World
from pagerace.explore.candidates import CandidateStats, all_paths, candidates
from pagerace.models.lkmm import LKMM


def _program(*bodies: Callable[[list[object]], None]) -> Program:
    def build(w: World) -> None:
        xs: list[object] = [w.location("x"), w.location("y")]
        for n, body in enumerate(bodies):
            w.thread(f"P{n}")(lambda body=body: body(xs))

    return Program("domains", build)


def _read_values(program: Program) -> set[object]:
    per_thread, _ = all_paths(program)
    return {e.read_value for paths in per_thread for p in paths for e in p.events if e.reads}


def _finals(program: Program) -> set[object]:
    return {c.final[0] for c in candidates(program, LKMM())}


def _inc_then_writes(xs: list[object]) -> None:
    k.atomic_inc(xs[0])
    k.WRITE_ONCE(xs[1], 1)
    k.WRITE_ONCE(xs[1], 2)


def test_two_increments_make_one_and_two_and_stop_there() -> None:
    # Before the RMW-depth bound the domain of x grew one value a round up to the
    # rounds bound (the writes of one execution, 6 here): 0..5, and 0..7 in
    # RM-broken.litmus, each value more paths to run and combine.
    program = _program(_inc_then_writes, _inc_then_writes)
    stats = CandidateStats()
    assert _read_values(program) == {0, 1, 2}  # not 3: no execution has three RMWs of x
    assert _finals(program) == {2}
    list(candidates(program, LKMM(), stats))
    assert stats.rounds <= 3


def test_increments_after_a_plain_write_reach_its_value_plus_their_number() -> None:
    program = _program(
        lambda xs: k.WRITE_ONCE(xs[0], 5),
        lambda xs: k.atomic_inc(xs[0]),
        lambda xs: k.atomic_inc(xs[0]),
    )
    assert _finals(program) == {5, 6, 7}  # the write co-last, after one RMW, after both
    assert 6 in _read_values(program)


def test_a_value_carried_to_another_location_still_grows_through_its_rmws() -> None:
    def carry(xs: list[object]) -> None:
        v = k.READ_ONCE(xs[0])
        k.WRITE_ONCE(xs[1], v + 10)  # a plain write: a new base for y's RMW chain

    program = _program(
        lambda xs: k.atomic_inc(xs[0]),
        carry,
        lambda xs: k.atomic_inc(xs[1]),
    )
    finals_y = {c.final[1] for c in candidates(program, LKMM())}
    assert finals_y == {10, 11, 12}  # the increment reads init (then co-before carry) or carry
