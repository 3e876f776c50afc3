"""herd_view: our execution graphs as the event structure herd7 builds for the LKMM.

``GraphBuilder`` (also used by test_lkmm.py) writes small graphs by hand: events in
program order per thread, ``co`` in the order writes are added unless given.
"""

from __future__ import annotations

from typing import Any

import pytest

from pagerace.core.errors import InternalError
from pagerace.graph import Event, EventKind, ExecutionGraph
from pagerace.models.herdview import herd_view


class GraphBuilder:
    """Events of a hand-written execution graph; each method returns the new eid."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.writes: dict[str, list[int]] = {}
        self.next_index: dict[int, int] = {}

    def add(self, tid: int, kind: EventKind, name: str, annot: str, **fields: Any) -> int:
        eid = len(self.events)
        index = self.next_index.get(tid, 0)
        self.next_index[tid] = index + 1
        self.events.append(Event(eid, tid, index, kind, name, annot, **fields))
        if fields.get("writes"):
            self.writes.setdefault(fields["loc"], []).append(eid)
        return eid

    def write(self, tid: int, loc: str, value: Any = 1, annot: str = "once", **fields: Any) -> int:
        name = fields.pop("name", "plain store" if annot == "plain" else "WRITE_ONCE")
        kind = fields.pop("kind", EventKind.STORE)
        return self.add(tid, kind, name, annot, loc=loc, writes=True, written_value=value, **fields)

    def read(
        self, tid: int, loc: str, rf: int | None, value: Any = 0, annot: str = "once", **fields: Any
    ) -> int:
        name = fields.pop("name", "plain load" if annot == "plain" else "READ_ONCE")
        kind = fields.pop("kind", EventKind.LOAD)
        return self.add(
            tid, kind, name, annot, loc=loc, reads=True, read_value=value, rf=rf, **fields
        )

    def rmw(
        self,
        tid: int,
        loc: str,
        rf: int | None,
        read: Any = 0,
        written: Any = 1,
        annot: str = "mb",
        **fields: Any,
    ) -> int:
        name = fields.pop("name", "atomic_xchg")
        kind = fields.pop("kind", EventKind.RMW)
        return self.add(
            tid, kind, name, annot, loc=loc, reads=True, writes=True,
            read_value=read, written_value=written, rf=rf, **fields,
        )  # fmt: skip

    def fence(self, tid: int, annot: str, name: str = "", detail: str = "") -> int:
        return self.add(tid, EventKind.FENCE, name or annot, annot, detail=detail)

    def spin_lock(self, tid: int, lock: str, rf: int | None, name: str = "spin_lock") -> int:
        return self.rmw(tid, lock, rf, 0, 1, "acquire", name=name, kind=EventKind.LOCK)

    def spin_unlock(self, tid: int, lock: str) -> int:
        return self.write(tid, lock, 0, "release", name="spin_unlock", kind=EventKind.UNLOCK)

    def graph(self, co: dict[str, list[int]] | None = None) -> ExecutionGraph:
        return ExecutionGraph(self.events, {**self.writes, **(co or {})})


def test_every_accessed_location_gets_one_initial_write_outside_every_thread():
    b = GraphBuilder()
    b.write(0, "x")
    b.read(1, "y", None, value=7)
    v = herd_view(b.graph())
    assert v.sets["IW"] == {0, 1}
    assert [v.loc[e] for e in sorted(v.sets["IW"])] == ["x", "y"]
    assert v.tid[0] is None and v.values[1] == 7 and 0 not in v.values
    assert all(e not in evs for evs in v.threads for e in v.sets["IW"])
    assert (0, 2) in v.relations["ext"] and (0, 0) not in v.relations["int"]


def test_a_successful_rmw_becomes_a_read_and_a_write_linked_by_rmw():
    b = GraphBuilder()
    w = b.write(0, "x", 1)
    b.rmw(1, "x", w, read=1, written=2, annot="mb")
    v = herd_view(b.graph())
    iw, wx, r_half, w_half = 0, 1, 2, 3
    assert v.relations["rmw"] == v.relations["rmw"].__class__([(r_half, w_half)])
    assert v.threads == ((wx,), (r_half, w_half))
    assert {r_half, w_half} <= v.sets["RMW"] and {r_half, w_half} <= v.sets["MB"]
    assert v.rf_source == {r_half: wx}
    assert v.co_order["x"] == (iw, wx, w_half)
    assert v.values[r_half] == 1 and v.values[w_half] == 2
    assert v.origin[r_half] == v.origin[w_half] == 1
    assert (r_half, w_half) in v.relations["fr"]


def test_a_failed_rmw_is_a_lone_read_in_the_rmw_set():
    b = GraphBuilder()
    b.add(0, EventKind.RMW_FAIL, "atomic_cmpxchg", "mb", loc="x", reads=True, read_value=0)
    v = herd_view(b.graph())
    assert v.sets["RMW"] == {1} and v.sets["R"] == {1} and not v.rmw_pairs


def test_access_and_fence_annotations_become_herd_tags():
    b = GraphBuilder()
    b.write(0, "x", annot="plain")
    b.write(0, "x", annot="release")
    b.read(0, "x", 1, annot="acquire")
    b.rmw(0, "x", 1, annot="relaxed")
    b.rmw(0, "x", 3, annot="noreturn", name="atomic_inc")
    for annot in ("mb", "rmb", "wmb", "barrier", "rcu-lock", "after-unlock-lock"):
        b.fence(0, annot)
    v = herd_view(b.graph(co={"x": [0, 1, 3, 4]}))
    s = v.sets
    assert s["RELEASE"] == {2} and s["ACQUIRE"] == {3} and s["ONCE"] == {4, 5}
    assert s["NORETURN"] == {6, 7}
    assert 1 not in s["ONCE"] | s["RELEASE"] | s["ACQUIRE"] | s["MB"]
    assert s["MB"] == {8} and s["rmb"] == {9} and s["Wmb"] == s["wmb"] == {10}
    assert s["F"] == set(range(8, 14)) and s["Rcu-lock"] == {12}


def test_an_unknown_annotation_is_reported_as_our_bug():
    b = GraphBuilder()
    b.fence(0, "smp_mb__whatever")
    with pytest.raises(InternalError, match="smp_mb__whatever"):
        herd_view(b.graph())


def test_local_and_end_events_are_dropped():
    b = GraphBuilder()
    b.add(0, EventKind.LOCAL, "local_irq_save", "")
    b.write(0, "x")
    b.add(0, EventKind.END, "end", "")
    v = herd_view(b.graph())
    assert v.n == 2 and list(v.co_order) == ["x"] and v.origin == {1: 1}


def test_an_ipi_ghost_rmw_is_a_full_barrier_rmw_and_a_ghost_read_an_mb_then_acquire():
    b = GraphBuilder()
    b.rmw(0, "irq_state[P0]", None, annot="ghost")
    b.read(1, "irq_state[P0]", None, annot="ghost")
    v = herd_view(b.graph())
    r, w, fence, look = 1, 2, 3, 4
    assert v.rmw_pairs == ((r, w),) and {r, w} <= v.sets["MB"]
    assert fence in v.sets["F"] and fence in v.sets["MB"]
    assert look in v.sets["ACQUIRE"] and look not in v.sets["RMW"]


def test_spin_lock_is_an_lkr_lkw_pair_outside_the_base_sets_and_base_rmw():
    b = GraphBuilder()
    lk = b.spin_lock(0, "l", None)
    b.write(0, "x")
    ul = b.spin_unlock(0, "l")
    b.spin_lock(1, "l", ul)
    v = herd_view(b.graph())
    lkr, lkw, unlock, lkr2 = 2, 3, 5, 6
    assert v.sets["LKR"] == {lkr, lkr2} and v.sets["LKW"] == {lkw, 7}
    assert v.sets["UL"] == {unlock}
    assert not (v.sets["LKR"] | v.sets["LKW"] | v.sets["UL"]) & (v.sets["M"] | v.sets["RMW"])
    assert not v.rmw_pairs
    assert v.co_order["l"] == (0, lkw, unlock, 7)
    assert v.rf_source[lkr] == 0 and v.rf_source[lkr2] == unlock
    assert v.origin[lkr] == v.origin[lkw] == lk


def test_failed_trylock_and_is_locked_become_lf_rl_and_ru():
    b = GraphBuilder()
    lk = b.spin_lock(0, "l", None)
    kind = EventKind.RMW_FAIL
    b.add(1, kind, "spin_trylock", "acquire", loc="l", reads=True, read_value=1, rf=lk)
    b.read(1, "l", lk, value=1, name="spin_is_locked")
    b.read(2, "l", None, value=0, name="spin_is_locked")
    v = herd_view(b.graph())
    assert v.sets["LF"] == {3} and v.sets["RL"] == {4} and v.sets["RU"] == {5}
    assert not v.sets["R"]


def test_bit_spinlocks_stay_ordinary_rmws_with_their_tag():
    b = GraphBuilder()
    b.rmw(0, "flags", None, 0, 8, "acquire", name="bit_spin_lock", kind=EventKind.LOCK)
    v = herd_view(b.graph())
    assert v.rmw_pairs == ((1, 2),) and v.sets["ACQUIRE"] == {1, 2} and not v.sets["LKR"]


def test_dependencies_start_at_the_read_half_and_reach_the_halves_herd_gives_them():
    b = GraphBuilder()
    src = b.rmw(0, "x", None, annot="relaxed")
    b.rmw(0, "y", None, annot="relaxed", addr=frozenset({src}), data=frozenset({src}))
    b.write(0, "z", ctrl=frozenset({src}))
    v = herd_view(b.graph())
    r_src, r_dst, w_dst, wz = 3, 5, 6, 7
    assert v.dep_pairs["addr"] == ((r_src, r_dst), (r_src, w_dst))
    assert v.dep_pairs["data"] == ((r_src, w_dst),)
    assert v.dep_pairs["ctrl"] == ((r_src, wz),)


def test_a_trylock_result_carries_no_dependency():
    b = GraphBuilder()
    lk = b.spin_lock(0, "l", None, name="spin_trylock")
    b.write(0, "x", ctrl=frozenset({lk}))
    assert not herd_view(b.graph()).dep_pairs["ctrl"]


def test_srcu_events_keep_their_srcu_struct_location():
    b = GraphBuilder()
    idx = b.read(0, "ss", None, value=0, annot="srcu-lock", name="srcu_read_lock")
    b.write(0, "ss", 0, "srcu-unlock", name="srcu_read_unlock", data=frozenset({idx}))
    b.fence(1, "sync-srcu", "synchronize_srcu", detail="ss")
    v = herd_view(b.graph())
    assert v.sets["Srcu-lock"] == {1} and v.sets["Srcu-unlock"] == {2}
    assert v.sets["Sync-srcu"] == {3} and v.loc[3] == "ss"
    assert 3 not in v.sets["F"] | v.sets["M"] and v.sets["SRCU"] == {1, 2, 3}
    assert v.dep_pairs["data"] == ((1, 2),)


def test_a_write_missing_from_co_is_reported_as_our_bug():
    b = GraphBuilder()
    b.write(0, "x")
    with pytest.raises(InternalError, match="missing from the graph's co"):
        herd_view(b.graph(co={"x": []}))


def test_relations_are_herds_base_relations_with_the_initial_write_first_in_co():
    b = GraphBuilder()
    w = b.write(0, "x", 1)
    b.read(0, "x", w, value=1)
    b.read(1, "x", None)
    v = herd_view(b.graph())
    iw, wx, r0, r1 = 0, 1, 2, 3
    rel = v.relations
    assert rel["po"].pairs == {(wx, r0)} and rel["po-loc"] == rel["po"]
    assert rel["co"].pairs == {(iw, wx)} and rel["rf"].pairs == {(wx, r0), (iw, r1)}
    assert rel["fr"].pairs == {(r1, wx)} and rel["fre"] == rel["fr"] and not rel["fri"]
    assert rel["rfi"].pairs == {(wx, r0)} and (iw, r1) in rel["rfe"]
    assert (r0, r1) in rel["loc"] and (iw, iw) in rel["loc"]
    assert v.tags["ONCE"] == {wx, r0, r1} and v.sets["FW"] == {wx}


def test_fw_can_be_limited_to_the_locations_a_final_condition_observes():
    b = GraphBuilder()
    wx = b.write(0, "x")
    b.spin_lock(0, "l", None)
    g = b.graph()
    assert herd_view(g).sets["FW"] == {2, 4}  # x=1 and the lock's LKW (after 2 IWs)
    assert herd_view(g, observed={"x"}).sets["FW"] == {2}
    assert herd_view(g).origin[2] == wx


def mp_reads(ry: int | None, rx: int | None) -> ExecutionGraph:
    # P0: x=1; y=1   P1: r0=y; r1=x, reading from the given writes (None: initial).
    b = GraphBuilder()
    b.write(0, "x")
    b.write(0, "y")
    b.read(1, "y", ry, value=0 if ry is None else 1)
    b.read(1, "x", rx, value=0 if rx is None else 1)
    return b.graph()


def test_graphs_that_differ_only_in_rf_and_values_share_one_skeleton():
    old, new = herd_view(mp_reads(None, None)), herd_view(mp_reads(1, 0))
    assert new.skeleton is old.skeleton and new.threads is old.threads
    iw_x, iw_y, wx, wy, ry, rx = range(6)
    assert old.rf_source == {ry: iw_y, rx: iw_x} and new.rf_source == {ry: wy, rx: wx}
    assert old.values == {wx: 1, wy: 1, ry: 0, rx: 0, iw_y: 0, iw_x: 0}
    assert new.values == {wx: 1, wy: 1, ry: 1, rx: 1}


def test_graphs_with_other_events_or_co_get_their_own_view():
    b = GraphBuilder()
    w1 = b.write(0, "x", 1)
    w2 = b.write(1, "x", 2)
    one, other = herd_view(b.graph()), herd_view(b.graph(co={"x": [w2, w1]}))
    assert one.skeleton is other.skeleton
    assert one.co_order["x"] == (0, 1, 2) and other.co_order["x"] == (0, 2, 1)
    assert one.sets["FW"] == {2} and other.sets["FW"] == {1}
    b.fence(1, "mb")
    assert herd_view(b.graph()).skeleton is not one.skeleton


def test_whether_spin_is_locked_saw_the_lock_held_is_part_of_the_skeleton():
    def is_locked(value: int) -> ExecutionGraph:
        b = GraphBuilder()
        b.read(0, "l", None, value=value, annot="acquire", name="spin_is_locked")
        return b.graph()

    held, free = herd_view(is_locked(1)), herd_view(is_locked(0))
    assert held.skeleton is not free.skeleton
    assert held.sets["RL"] == {1} and free.sets["RU"] == {1}
    assert herd_view(is_locked(2)).skeleton is held.skeleton


def test_a_read_from_an_event_that_does_not_write_is_reported_with_a_shared_skeleton():
    herd_view(mp_reads(None, None))
    with pytest.raises(InternalError, match="reads from 2, not a write"):
        herd_view(mp_reads(2, None))
