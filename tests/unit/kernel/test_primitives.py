"""Each kernel primitive: its event kind, its LKMM annotation, and its effect on memory.

Every test runs one model thread to completion under an :class:`Execution` and looks at
the events it recorded.  Annotations are linux-kernel.bell's tags (see core/ops.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pagerace import kernel as k
from pagerace.core.ops import FENCE_ANNOTS, LOAD_ANNOTS, RMW_ANNOTS, STORE_ANNOTS, Location
from pagerace.explore import Program, World
from pagerace.explore.execution import Execution
from pagerace.graph import Event, EventKind

Body = Callable[[dict[str, Any]], None]


def run(init: dict[str, Any], body: Body) -> tuple[Execution, dict[str, Any]]:
    """Run ``body`` as the only thread over fresh locations named by ``init`` (name:
    initial value); ``body`` gets them in a dict and may store results there under
    other keys.  Returns the finished execution and that dict."""
    env: dict[str, Any] = {}

    def build(w: World) -> None:
        env.clear()
        env.update({name: w.location(name, value) for name, value in init.items()})
        w.thread("P0")(lambda: body(env))

    ex = Execution(Program("primitive", build))
    while enabled := ex.enabled():
        ex.step(enabled[0])
    ex.finish()
    return ex, env


def memory_events(ex: Execution) -> list[Event]:
    """The events of the primitives under test: no thread ends, no ghost bookkeeping
    (RCU grace-period and IPI state words, tested on their own)."""
    return [e for e in ex.events if e.kind is not EventKind.END and e.annot != "ghost"]


def only_event(ex: Execution) -> Event:
    (e,) = memory_events(ex)
    return e


def final(ex: Execution, env: dict[str, Any], name: str) -> Any:
    return ex.world.peek(env[name])


# -- atomic_t ----------------------------------------------------------------------------


def test_atomic_inc_not_zero_on_zero_is_a_failed_rmw_that_returns_false():
    ex, env = run({"count": 0}, lambda m: m.update(r=k.atomic_inc_not_zero(m["count"])))
    e = only_event(ex)
    assert (e.kind, e.reads, e.writes, e.read_value) == (EventKind.RMW_FAIL, True, False, 0)
    assert not env["r"]
    assert final(ex, env, "count") == 0


def test_atomic_inc_not_zero_on_a_live_count_is_an_mb_rmw_that_returns_true():
    ex, env = run({"count": 1}, lambda m: m.update(r=k.atomic_inc_not_zero(m["count"])))
    e = only_event(ex)
    assert (e.kind, e.annot, e.read_value, e.written_value) == (EventKind.RMW, "mb", 1, 2)
    assert env["r"]


def test_a_failing_cmpxchg_is_a_failed_rmw_that_returns_the_current_value():
    ex, env = run({"x": 5}, lambda m: m.update(r=k.cmpxchg(m["x"], 4, 9)))
    assert only_event(ex).kind is EventKind.RMW_FAIL
    assert env["r"] == 5
    assert final(ex, env, "x") == 5


def test_a_succeeding_cmpxchg_writes_the_new_value_and_returns_the_old():
    ex, env = run({"x": 4}, lambda m: m.update(r=k.atomic_cmpxchg(m["x"], 4, 9)))
    e = only_event(ex)
    assert (e.kind, e.annot, e.written_value) == (EventKind.RMW, "mb", 9)
    assert env["r"] == 4


def test_atomic_dec_and_test_returns_true_when_the_count_reaches_zero():
    ex, env = run({"count": 1}, lambda m: m.update(r=k.atomic_dec_and_test(m["count"])))
    assert env["r"]
    assert final(ex, env, "count") == 0


def test_atomic_add_unless_at_the_excluded_value_is_a_failed_rmw():
    ex, env = run({"x": 3}, lambda m: m.update(r=k.atomic_add_unless(m["x"], 1, 3)))
    assert only_event(ex).kind is EventKind.RMW_FAIL
    assert not env["r"]


def test_non_value_returning_atomics_are_noreturn_rmws():
    ex, env = run({"x": 5}, lambda m: (k.atomic_inc(m["x"]), k.atomic_add(3, m["x"])))
    assert [(e.kind, e.annot) for e in memory_events(ex)] == [(EventKind.RMW, "noreturn")] * 2
    assert final(ex, env, "x") == 9


# Documentation/atomic_t.txt: value-returning RMWs are fully ordered ("mb"); the
# suffixes name the weaker orderings.
SUFFIX_ANNOT = {"": "mb", "_relaxed": "relaxed", "_acquire": "acquire", "_release": "release"}
# From x = 5: the result of each family and the value left in x.
RETURN_FAMILIES = {
    "atomic_add_return": (lambda f, x: f(2, x), 7),
    "atomic_sub_return": (lambda f, x: f(2, x), 3),
    "atomic_inc_return": (lambda f, x: f(x), 6),
    "atomic_dec_return": (lambda f, x: f(x), 4),
}


@pytest.mark.parametrize("suffix", SUFFIX_ANNOT)
@pytest.mark.parametrize("family", RETURN_FAMILIES)
def test_atomic_op_return_is_one_rmw_annotated_by_its_ordering_suffix(family, suffix):
    call, expected = RETURN_FAMILIES[family]
    primitive = getattr(k, family + suffix)
    ex, env = run({"x": 5}, lambda m: m.update(r=call(primitive, m["x"])))
    e = only_event(ex)
    assert (e.kind, e.name, e.annot) == (EventKind.RMW, family + suffix, SUFFIX_ANNOT[suffix])
    assert env["r"] == expected
    assert final(ex, env, "x") == expected


@pytest.mark.parametrize("suffix", SUFFIX_ANNOT)
@pytest.mark.parametrize("family", ["atomic_xchg", "xchg"])
def test_xchg_is_one_rmw_annotated_by_its_ordering_suffix(family, suffix):
    ex, env = run({"x": 5}, lambda m: m.update(r=getattr(k, family + suffix)(m["x"], 8)))
    e = only_event(ex)
    assert (e.kind, e.annot, e.written_value) == (EventKind.RMW, SUFFIX_ANNOT[suffix], 8)
    assert env["r"] == 5


# -- bitops ------------------------------------------------------------------------------


def test_non_atomic_set_bit_is_a_plain_load_then_a_plain_store_of_the_whole_word():
    ex, _ = run({"flags": 0b1}, lambda m: k.__set_bit(3, m["flags"]))
    load, store = memory_events(ex)
    assert (load.kind, load.annot, load.read_value) == (EventKind.LOAD, "plain", 0b1)
    assert (store.kind, store.annot, store.written_value) == (EventKind.STORE, "plain", 0b1001)


def test_non_atomic_clear_bit_is_a_plain_load_then_a_plain_store():
    ex, env = run({"flags": 0b1001}, lambda m: k.__clear_bit(3, m["flags"]))
    assert [(e.kind, e.annot) for e in memory_events(ex)] == [
        (EventKind.LOAD, "plain"),
        (EventKind.STORE, "plain"),
    ]
    assert final(ex, env, "flags") == 0b1


def test_set_bit_is_one_noreturn_rmw():
    ex, _ = run({"flags": 0b1}, lambda m: k.set_bit(3, m["flags"]))
    e = only_event(ex)
    assert (e.kind, e.annot, e.written_value) == (EventKind.RMW, "noreturn", 0b1001)


def test_clear_bit_is_one_noreturn_rmw():
    ex, _ = run({"flags": 0b1001}, lambda m: k.clear_bit(0, m["flags"]))
    e = only_event(ex)
    assert (e.kind, e.annot, e.written_value) == (EventKind.RMW, "noreturn", 0b1000)


def test_test_and_set_bit_is_an_mb_rmw_returning_the_old_bit():
    ex, env = run({"flags": 0b1000}, lambda m: m.update(r=k.test_and_set_bit(3, m["flags"])))
    assert only_event(ex).annot == "mb"
    assert env["r"] == 1


def test_test_and_set_bit_lock_is_an_acquire_rmw_returning_the_old_bit():
    ex, env = run({"flags": 0}, lambda m: m.update(r=k.test_and_set_bit_lock(3, m["flags"])))
    e = only_event(ex)
    assert (e.kind, e.annot, e.written_value) == (EventKind.RMW, "acquire", 0b1000)
    assert env["r"] == 0


def test_clear_bit_unlock_is_a_release_rmw():
    ex, _ = run({"flags": 0b1000}, lambda m: k.clear_bit_unlock(3, m["flags"]))
    e = only_event(ex)
    assert (e.kind, e.annot, e.written_value) == (EventKind.RMW, "release", 0)


def test_test_bit_is_one_once_load_returning_the_bit():
    ex, env = run({"flags": 0b1000}, lambda m: m.update(r=k.test_bit(3, m["flags"])))
    e = only_event(ex)
    assert (e.kind, e.annot) == (EventKind.LOAD, "once")
    assert env["r"] == 1


# -- marked and plain accesses -----------------------------------------------------------


@pytest.mark.parametrize(
    ("primitive", "annot"),
    [
        (k.READ_ONCE, "once"),
        (k.smp_load_acquire, "acquire"),
        (k.plain_read, "plain"),
        (k.atomic_read, "once"),
        (k.atomic_read_acquire, "acquire"),
    ],
)
def test_a_load_primitive_is_one_load_with_its_annotation(primitive, annot):
    ex, env = run({"x": 7}, lambda m: m.update(r=primitive(m["x"])))
    e = only_event(ex)
    assert (e.kind, e.annot, e.read_value) == (EventKind.LOAD, annot, 7)
    assert env["r"] == 7


@pytest.mark.parametrize(
    ("primitive", "annot"),
    [
        (k.WRITE_ONCE, "once"),
        (k.smp_store_release, "release"),
        (k.plain_write, "plain"),
        (k.atomic_set, "once"),
        (k.atomic_set_release, "release"),
    ],
)
def test_a_store_primitive_is_one_store_with_its_annotation(primitive, annot):
    ex, env = run({"x": 0}, lambda m: primitive(m["x"], 7))
    e = only_event(ex)
    assert (e.kind, e.annot, e.written_value) == (EventKind.STORE, annot, 7)
    assert final(ex, env, "x") == 7


# -- barriers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("barrier", "annot"),
    [
        (k.smp_mb, "mb"),
        (k.smp_rmb, "rmb"),
        (k.smp_wmb, "wmb"),
        (k.smp_mb__before_atomic, "before-atomic"),
        (k.smp_mb__after_atomic, "after-atomic"),
        (k.barrier, "barrier"),
    ],
)
def test_a_barrier_is_a_fence_event_with_its_annotation(barrier, annot):
    ex, _ = run({}, lambda m: barrier())
    e = only_event(ex)
    assert (e.kind, e.annot, e.loc, e.is_memory) == (EventKind.FENCE, annot, None, False)


def test_a_barrier_is_not_a_scheduling_point():
    ex, _ = run({}, lambda m: (k.smp_mb(), k.smp_wmb()))
    assert len(memory_events(ex)) == 2
    assert ex.schedule == []


# -- locks -------------------------------------------------------------------------------


def test_spin_lock_is_a_lock_event_taking_a_free_lock():
    ex, _ = run({"lock": 0}, lambda m: (k.spin_lock(m["lock"]), k.spin_unlock(m["lock"])))
    lock = memory_events(ex)[0]
    assert (lock.kind, lock.annot, lock.read_value, lock.written_value) == (
        EventKind.LOCK,
        "acquire",
        0,
        1,
    )
    assert lock.lock_key == "lock"


def test_spin_unlock_is_an_unlock_event_releasing_the_lock():
    ex, env = run({"lock": 0}, lambda m: (k.spin_lock(m["lock"]), k.spin_unlock(m["lock"])))
    unlock = memory_events(ex)[1]
    assert (unlock.kind, unlock.annot, unlock.written_value) == (EventKind.UNLOCK, "release", 0)
    assert final(ex, env, "lock") == 0


def test_spin_lock_of_a_held_lock_waits_and_alone_it_deadlocks():
    # Spinning is waiting (DESIGN.md): the thread is never enabled, so the run ends
    # with every live thread waiting.
    ex, _ = run({"lock": 1}, lambda m: k.spin_lock(m["lock"]))
    assert ex.waiting() == [0]
    assert [f.kind for f in ex.findings] == ["deadlock"]


def test_spin_trylock_of_a_held_lock_fails_without_writing():
    ex, env = run({"lock": 1}, lambda m: m.update(r=k.spin_trylock(m["lock"])))
    assert only_event(ex).kind is EventKind.RMW_FAIL
    assert not env["r"]


def test_a_thread_that_ends_holding_a_spinlock_is_a_lock_held_finding():
    ex, _ = run({"lock": 0}, lambda m: k.spin_lock(m["lock"]))
    assert [f.kind for f in ex.findings] == ["lock-held"]


def test_bit_spin_lock_and_unlock_are_lock_and_unlock_events_on_the_flags_word():
    def body(m: dict[str, Any]) -> None:
        k.bit_spin_lock(3, m["flags"])
        k.bit_spin_unlock(3, m["flags"])

    ex, _ = run({"flags": 0b1}, body)
    lock, unlock = memory_events(ex)
    assert (lock.kind, lock.annot, lock.written_value) == (EventKind.LOCK, "acquire", 0b1001)
    assert (unlock.kind, unlock.annot, unlock.written_value) == (EventKind.UNLOCK, "release", 0b1)
    assert ex.findings == []


def test_bit_spin_unlock_of_a_clear_bit_is_a_lock_lost_finding():
    ex, _ = run({"flags": 0}, lambda m: k.bit_spin_unlock(3, m["flags"]))
    assert [f.kind for f in ex.findings] == ["lock-lost"]


def test_a_lock_bit_erased_by_a_plain_store_while_held_is_a_lock_lost_finding():
    # The prep-race shape in one thread: the plain store of the flags word drops the bit.
    def body(m: dict[str, Any]) -> None:
        k.bit_spin_lock(3, m["flags"])
        k.plain_write(m["flags"], 0)
        k.bit_spin_unlock(3, m["flags"])

    ex, _ = run({"flags": 0}, body)
    assert [f.kind for f in ex.findings] == ["lock-lost"]


# -- irqs --------------------------------------------------------------------------------


def test_local_irq_save_is_a_local_event_that_disables_irqs():
    def body(m: dict[str, Any]) -> None:
        m["was_on"] = k.local_irq_save()
        m["off"] = k.irqs_disabled()

    ex, env = run({}, body)
    assert only_event(ex).kind is EventKind.LOCAL
    assert (env["was_on"], env["off"]) == (True, True)


def test_irqs_going_off_and_on_move_the_cpus_ghost_irq_state_for_ipis():
    def body(m: dict[str, Any]) -> None:
        flags = k.local_irq_save()
        k.local_irq_save()  # nested: already off, no change
        k.local_irq_restore(False)
        k.local_irq_restore(flags)

    ex, _ = run({}, body)
    ghost = [(e.name, e.read_value, e.written_value) for e in ex.events if e.annot == "ghost"]
    # 2 x sections completed + inside one: 0 -> 1 when irqs go off, 1 -> 2 when back on.
    assert ghost == [("local_irq_save", 0, 1), ("local_irq_restore", 1, 2)]


# -- dependencies ------------------------------------------------------------------------


def test_a_value_read_then_stored_gives_a_data_dependency():
    ex, _ = run({"x": 1, "y": 0}, lambda m: k.WRITE_ONCE(m["y"], k.READ_ONCE(m["x"]) + 1))
    read, write = memory_events(ex)
    assert write.data == {read.eid}
    assert ex.graph().data.pairs == {(read.eid, write.eid)}


def test_a_constant_store_has_no_data_dependency():
    ex, _ = run({"x": 1, "y": 0}, lambda m: (k.READ_ONCE(m["x"]), k.WRITE_ONCE(m["y"], 1)))
    assert memory_events(ex)[1].data == frozenset()


def test_a_value_read_then_used_as_an_rmw_operand_gives_a_data_dependency():
    ex, _ = run({"x": 2, "y": 0}, lambda m: k.atomic_add(k.READ_ONCE(m["x"]), m["y"]))
    read, rmw = memory_events(ex)
    assert rmw.data == {read.eid}


def test_a_value_read_then_branched_on_gives_ctrl_dependencies_to_every_later_event():
    def body(m: dict[str, Any]) -> None:
        k.WRITE_ONCE(m["z"], 1)
        if k.READ_ONCE(m["x"]):
            k.smp_wmb()
            k.WRITE_ONCE(m["y"], 1)
        k.WRITE_ONCE(m["z"], 2)

    ex, _ = run({"x": 1, "y": 0, "z": 0}, body)
    before, read, fence, write, after = memory_events(ex)
    assert before.ctrl == frozenset()
    assert fence.ctrl == write.ctrl == after.ctrl == {read.eid}


class Node:
    """A structure in memory: ``p = READ_ONCE(ptr); p.field`` dereferences it."""

    def __init__(self, field: Location) -> None:
        self.field = field


def test_a_pointer_read_from_memory_then_dereferenced_gives_an_addr_dependency():
    env: dict[str, Any] = {}

    def build(w: World) -> None:
        node = Node(w.location("node.field", 5))
        ptr = w.location("ptr", node)

        @w.thread("P0")
        def p0() -> None:
            p = k.READ_ONCE(ptr)
            env["r"] = k.READ_ONCE(p.field)

    ex = Execution(Program("pointer", build))
    while enabled := ex.enabled():
        ex.step(enabled[0])
    read_ptr, read_field = memory_events(ex)
    assert read_field.loc == "node.field"
    assert read_field.addr == {read_ptr.eid}
    assert env["r"] == 5


def test_a_location_named_directly_has_no_addr_dependency():
    ex, _ = run({"x": 1, "y": 0}, lambda m: (k.READ_ONCE(m["x"]), k.READ_ONCE(m["y"])))
    assert memory_events(ex)[1].addr == frozenset()


# -- every annotation is a tag of linux-kernel.bell -------------------------------------


def test_every_event_of_a_mixed_thread_carries_an_annotation_of_its_kind():
    def body(m: dict[str, Any]) -> None:
        x, f, lock = m["x"], m["f"], m["lock"]
        k.READ_ONCE(x)
        k.WRITE_ONCE(x, 1)
        k.atomic_inc(x)
        k.atomic_inc_return(x)
        k.cmpxchg_relaxed(x, 0, 1)  # fails: x is 3
        k.__set_bit(1, f)
        k.test_and_set_bit(2, f)
        k.smp_mb()
        k.smp_rmb()
        k.spin_lock(lock)
        k.spin_unlock(lock)

    ex, _ = run({"x": 0, "f": 0, "lock": 0}, body)
    allowed = {
        EventKind.LOAD: LOAD_ANNOTS,
        EventKind.STORE: STORE_ANNOTS,
        EventKind.RMW: RMW_ANNOTS,
        EventKind.RMW_FAIL: RMW_ANNOTS,
        EventKind.FENCE: FENCE_ANNOTS,
        EventKind.LOCK: RMW_ANNOTS,
        EventKind.UNLOCK: STORE_ANNOTS,
    }
    assert all(e.annot in allowed[e.kind] for e in memory_events(ex))
