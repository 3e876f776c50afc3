"""Golden execution counts for small classic programs, and the kinds of finding.

Under SC the optimal explorer runs one execution per consistent execution graph (same
po, rf, co), so every expected count below is a count of graphs, worked out by hand in
the comment next to it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pagerace import kernel as k
from pagerace.explore import Options, Program, Result, World, explore
from pagerace.models import SequentialConsistency
from tests.unit.explore import failing_asserts

Build = Callable[[World], None]


def exhaustive(build: Build, **overrides: object) -> Result:
    opts: dict[str, object] = {
        "count_graphs": True,
        "all_findings": True,
        "shrink": False,
        "model": SequentialConsistency(),
    }
    opts.update(overrides)
    return explore(Program("counts", build), Options(**opts))  # type: ignore[arg-type]


def kinds(res: Result) -> set[str]:
    return {cx.finding.kind for cx in res.counterexamples}


# -- programs ----------------------------------------------------------------------------


def disjoint_writers(n: int) -> Build:
    def build(w: World) -> None:
        for i in range(n):
            x = w.location(f"x{i}")

            @w.thread(f"P{i}")
            def writer(x=x) -> None:
                k.WRITE_ONCE(x, 1)
                k.WRITE_ONCE(x, 2)

    return build


def racy_increments(finals: list[int] | None = None, *, check: bool = True) -> Build:
    """Two threads each do ``x = READ_ONCE(x) + 1``.  ``finals`` collects the final value
    of every complete execution; ``check`` adds an end check for the lost update."""

    def build(w: World) -> None:
        x = w.location("x")

        def inc() -> None:
            v = k.READ_ONCE(x)
            k.WRITE_ONCE(x, v + 1)

        w.thread("P0")(inc)
        w.thread("P1")(inc)

        @w.check_at_end("no lost update")
        def no_lost_update(w: World) -> str | None:
            if finals is not None:
                finals.append(w.peek(x))
            if check and w.peek(x) != 2:
                return f"x is {w.peek(x)} after two increments"
            return None

    return build


def locked_increments(n: int) -> Build:
    def build(w: World) -> None:
        x = w.location("x")
        lock = w.location("lock")

        def inc() -> None:
            k.spin_lock(lock)
            v = k.READ_ONCE(x)
            k.WRITE_ONCE(x, v + 1)
            k.spin_unlock(lock)

        for i in range(n):
            w.thread(f"P{i}")(inc)

        @w.check_at_end("no lost update")
        def no_lost_update(w: World) -> str | None:
            return None if w.peek(x) == n else f"x is {w.peek(x)} after {n} increments"

    return build


def store_buffering(outcomes: set[tuple[int, int]]) -> Build:
    def build(w: World) -> None:
        x, y = w.location("x"), w.location("y")
        regs: dict[str, int] = {}

        @w.thread("P0")
        def p0() -> None:
            k.WRITE_ONCE(x, 1)
            regs["r0"] = int(k.READ_ONCE(y))

        @w.thread("P1")
        def p1() -> None:
            k.WRITE_ONCE(y, 1)
            regs["r1"] = int(k.READ_ONCE(x))

        @w.check_at_end("record the outcome")
        def record(w: World) -> None:
            outcomes.add((regs["r0"], regs["r1"]))

    return build


def abba(w: World) -> None:
    a, b = w.location("A"), w.location("B")

    def nested(first: object, second: object) -> Callable[[], None]:
        def run() -> None:
            k.spin_lock(first)
            k.spin_lock(second)
            k.spin_unlock(second)
            k.spin_unlock(first)

        return run

    w.thread("P0")(nested(a, b))
    w.thread("P1")(nested(b, a))


def one_thread(body: Callable[[World], Callable[[], None]]) -> Build:
    def build(w: World) -> None:
        w.thread("P0")(body(w))

    return build


# -- counts ------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_threads_writing_distinct_locations_have_exactly_one_execution(n):
    # No two events touch the same location: every interleaving builds the same graph.
    res = exhaustive(disjoint_writers(n))
    assert res.verdict == "verified"
    assert res.stats.executions == 1


def test_two_racy_increments_have_four_graphs():
    # rf of each read: the initial value or the other thread's write; co of the two
    # writes: either order.  SC-consistent: P0 entirely first (P1 reads P0's write),
    # P1 entirely first, and both reads of 0 with co W0<W1 or W1<W0: 4 graphs.
    res = exhaustive(racy_increments(check=False))
    assert res.stats.executions == 4
    assert res.stats.distinct_graphs == 4
    assert res.stats.duplicate_graphs == 0


def test_two_of_the_four_racy_increment_graphs_lose_an_update():
    # The two graphs where both reads see the initial 0 end with x = 1; the other two
    # (one thread entirely first) end with x = 2.
    finals: list[int] = []
    exhaustive(racy_increments(finals, check=False))
    assert sorted(finals) == [1, 1, 2, 2]


def test_an_end_check_finds_the_lost_update_of_racy_increments():
    res = exhaustive(racy_increments())
    assert res.verdict == "finding"
    assert kinds(res) == {"invariant"}
    assert "no lost update" in res.counterexamples[0].finding.message


def test_lock_protected_increments_of_two_threads_have_two_executions():
    # The only choice is which thread takes the lock first; the second lock reads from
    # the first unlock, and everything else follows: 2 graphs.
    res = exhaustive(locked_increments(2))
    assert res.verdict == "verified"
    assert res.stats.executions == 2
    assert res.stats.distinct_graphs == 2


def test_lock_protected_increments_of_three_threads_have_six_executions():
    # One graph per order of the critical sections: 3! = 6.
    res = exhaustive(locked_increments(3))
    assert res.verdict == "verified"
    assert res.stats.executions == 6


def test_store_buffering_has_three_sc_graphs():
    # r0 reads y from init or P1's write, r1 reads x from init or P0's write: 4 rf
    # choices.  r0 = r1 = 0 needs R(y) fr-before W(y) and R(x) fr-before W(x), which with
    # po gives the cycle W(x) po R(y) fr W(y) po R(x) fr W(x): not SC.  The other 3 are.
    outcomes: set[tuple[int, int]] = set()
    res = exhaustive(store_buffering(outcomes))
    assert res.stats.executions == 3
    assert res.stats.distinct_graphs == 3


def test_store_buffering_never_ends_with_both_reads_zero_under_sc():
    outcomes: set[tuple[int, int]] = set()
    exhaustive(store_buffering(outcomes))
    assert outcomes == {(0, 1), (1, 0), (1, 1)}


# -- kinds of finding --------------------------------------------------------------------


def test_abba_locking_of_two_spinlocks_is_found_as_a_deadlock():
    res = exhaustive(abba)
    assert kinds(res) == {"deadlock"}


def test_abba_locking_has_two_complete_graphs_and_one_deadlocked_one():
    # P0 takes A and P1 takes B: both wait (1 deadlocked run).  Otherwise one thread takes
    # both locks first and the other's locks read from its unlocks: 2 graphs, whatever
    # the waiting thread did meanwhile (waiting is not an event).
    res = exhaustive(abba)
    assert res.stats.executions == 3
    assert res.stats.deadlocks == 1


def test_bug_on_of_a_true_condition_is_a_bug_on_finding():
    def body(w: World) -> Callable[[], None]:
        x = w.location("x")

        def run() -> None:
            k.READ_ONCE(x)
            k.BUG_ON(True)

        return run

    res = exhaustive(one_thread(body))
    assert kinds(res) == {"bug-on"}


def test_bug_on_of_a_false_condition_is_no_finding():
    def body(w: World) -> Callable[[], None]:
        x = w.location("x")

        def run() -> None:
            k.BUG_ON(k.READ_ONCE(x) != 0)

        return run

    assert exhaustive(one_thread(body)).verdict == "verified"


def test_a_python_assert_in_model_code_is_an_assertion_finding_with_its_message():
    def body(w: World) -> Callable[[], None]:
        x = w.location("x")

        def run() -> None:
            k.READ_ONCE(x)
            assert False, "msg"  # noqa: B011 - the failing assert is the point

        return run

    res = exhaustive(one_thread(body))
    assert kinds(res) == {"assertion"}
    # The first line is the model's message; pytest's assert rewriting (active in this
    # module) may append its own explanation below it.
    assert res.counterexamples[0].finding.message.splitlines()[0] == "msg"


def test_a_failed_bare_assert_is_reported_with_its_source_text():
    res = exhaustive(failing_asserts.one_bare_assert)
    assert kinds(res) == {"assertion"}
    assert "assert v == 2" in res.counterexamples[0].finding.message


def test_two_different_failed_asserts_are_two_findings():
    res = exhaustive(failing_asserts.two_different_bare_asserts)
    assert len({cx.finding.signature for cx in res.counterexamples}) == 2


def test_an_exception_in_model_code_is_an_exception_finding_with_the_model_traceback():
    def body(w: World) -> Callable[[], None]:
        x = w.location("x")

        def run() -> None:
            k.READ_ONCE(x)
            raise ValueError("no such page")

        return run

    res = exhaustive(one_thread(body))
    assert kinds(res) == {"exception"}
    f = res.counterexamples[0].finding
    assert "ValueError" in f.message
    assert "test_counts.py" in f.traceback


def test_atomic_dec_below_the_floor_of_a_counter_is_a_refcount_underflow():
    def body(w: World) -> Callable[[], None]:
        count = w.location("count", 0, floor=0)
        return lambda: k.atomic_dec(count)

    assert kinds(exhaustive(one_thread(body))) == {"refcount-underflow"}


def test_atomic_dec_down_to_the_floor_is_no_finding():
    def body(w: World) -> Callable[[], None]:
        count = w.location("count", 1, floor=0)
        return lambda: k.atomic_dec(count)

    assert exhaustive(one_thread(body)).verdict == "verified"


# -- randomised strategies ---------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("strategy", ["random", "pct"])
def test_randomised_strategies_find_the_lost_update(strategy, seed):
    # random: the second step is the other thread's read with probability 1/2, so a run
    # loses the update w.p. 1/2.  pct (depth 3, k = 50): a priority change at step 1
    # happens w.p. 2/50 and loses it.  Missing it in 1000 runs: below 0.96**1000 < 1e-17.
    res = explore(
        Program("racy", racy_increments()),
        Options(strategy=strategy, seed=seed, max_executions=1000, shrink=False),
    )
    assert res.verdict == "finding"
    assert kinds(res) == {"invariant"}


@pytest.mark.parametrize("strategy", ["random", "pct"])
def test_randomised_strategies_with_the_same_seed_give_the_same_replay_token(strategy):
    def token() -> tuple[str, int]:
        res = explore(
            Program("racy", racy_increments()),
            Options(strategy=strategy, seed=7, max_executions=1000),
        )
        return res.counterexamples[0].replay, res.stats.executions

    assert token() == token()


# -- bounds ------------------------------------------------------------------------------


def test_max_executions_below_the_execution_count_gives_bounded_never_verified():
    res = exhaustive(locked_increments(2), max_executions=1)  # it has 2 executions
    assert res.verdict == "bounded"
    assert res.stats.executions == 1
    assert "max_executions" in res.bound_reason


def test_a_run_longer_than_max_steps_gives_bounded():
    # Each thread makes two shared steps: every run takes 4 > 3.
    res = exhaustive(disjoint_writers(2), max_steps=3)
    assert res.verdict == "bounded"
    assert "max_steps" in res.bound_reason


@pytest.mark.parametrize("strategy", ["exhaustive", "random"])
def test_a_run_of_exactly_max_steps_steps_is_not_bounded(strategy):
    # disjoint_writers(2): one execution of exactly 4 shared steps, none over the bound.
    res = explore(
        Program("four steps", disjoint_writers(2)),
        Options(strategy=strategy, max_steps=4, max_executions=1),
    )
    assert res.stats.bounded == 0
    assert res.stats.executions == 1
