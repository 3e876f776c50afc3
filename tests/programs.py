"""Small generated programs shared by the explorer tests (a Hypothesis strategy)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from pagerace import kernel as k
from pagerace.explore import Program, World

# One instruction of a generated thread: (opcode, location index, constant).
Instr = tuple[str, int, int]

OPCODES = (
    "read",
    "write",
    "inc",
    "cmpxchg",
    "inc_not_zero",
    "xchg",
    "na_set_bit",
    "set_bit",
    "locked_inc",
    "bitlock_inc",
    "branch_write",
    "test_bit_write",
)

instr = st.tuples(st.sampled_from(OPCODES), st.integers(0, 1), st.integers(0, 2))
thread_code = st.lists(instr, min_size=1, max_size=3)
# Small enough for brute force to enumerate every interleaving in a few milliseconds.
programs = st.lists(thread_code, min_size=2, max_size=3).filter(
    lambda ts: sum(len(t) for t in ts) <= 5
)
# Programs that branch on what they read (and the operations around such reads): cycles
# through a read whose new value takes its thread down another branch, or makes a
# cmpxchg fail (a failed one orders nothing under the LKMM).
BRANCHING = ("branch_write", "test_bit_write")
branching_programs = (
    st.lists(
        st.lists(
            st.tuples(
                st.sampled_from(
                    (*BRANCHING, "na_set_bit", "write", "read", "xchg", "inc", "set_bit", "cmpxchg")
                ),
                st.integers(0, 1),
                st.integers(0, 2),
            ),
            min_size=1,
            max_size=3,
        ),
        min_size=2,
        max_size=3,
    )
    .filter(lambda ts: sum(len(t) for t in ts) <= 6)
    .filter(lambda ts: any(op in BRANCHING for t in ts for op, _, _ in t))
)
# Larger ones, for the slow suite.
large_programs = st.lists(st.lists(instr, min_size=1, max_size=4), min_size=2, max_size=3)


def _run(w: World, code: list[Instr], xs: list[Any], lock: Any, flags: Any) -> Callable[[], None]:
    def body() -> None:
        for op, i, c in code:
            x = xs[i]
            if op == "read":
                k.READ_ONCE(x)
            elif op == "write":
                k.WRITE_ONCE(x, c)
            elif op == "inc":
                k.atomic_inc(x)
            elif op == "cmpxchg":
                k.atomic_cmpxchg(x, c % 2, c + 1)
            elif op == "inc_not_zero":
                k.atomic_inc_not_zero(x)
            elif op == "xchg":
                k.atomic_xchg(x, c)
            elif op == "na_set_bit":
                k.__set_bit(c, flags)
            elif op == "set_bit":
                k.set_bit(c, flags)
            elif op == "locked_inc":
                k.spin_lock(lock)
                v = k.READ_ONCE(x)
                k.WRITE_ONCE(x, v + 1)
                k.spin_unlock(lock)
            elif op == "bitlock_inc":
                k.bit_spin_lock(3, flags, "L")
                k.atomic_inc(x)
                k.bit_spin_unlock(3, flags, "L")
            elif op == "test_bit_write":  # a load observing one bit of the flags word
                if k.test_bit(c, flags):
                    k.WRITE_ONCE(x, c)
            elif op == "branch_write":  # noqa: SIM102 - the read is its own step
                if k.READ_ONCE(x) == c % 2:
                    k.WRITE_ONCE(xs[1 - i], c)

    return body


def make_program(threads: list[list[Instr]]) -> Program:
    def build(w: World) -> None:
        xs = [w.location("x"), w.location("y")]
        lock = w.location("lock")
        flags = w.location("flags")
        for n, code in enumerate(threads):
            w.thread(f"P{n}")(_run(w, code, xs, lock, flags))

    return Program("generated", build)
