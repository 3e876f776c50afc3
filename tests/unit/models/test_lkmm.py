"""The LKMM as a consistency predicate: the classic shapes, locks, RCU/SRCU, plain-access
races, and SC graphs are LKMM graphs.

Graphs are written by hand (``GraphBuilder``: each thread's events in program order, rf
given per read, co in the order writes are added unless given).  The verdicts are
herd7's for the same shapes (the kernel's tools/memory-model litmus tests named in
each comment, or the ASPLOS 2018 paper's examples).
"""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pagerace.explore import Options, explore
from pagerace.explore.candidates import candidates
from pagerace.graph import EventKind, ExecutionGraph
from pagerace.graph.relation import Relation
from pagerace.litmus import LitmusProgram, parse_file, resolve
from pagerace.models import herdview
from pagerace.models.lkmm import LKMM, Bits
from tests.programs import make_program, programs
from tests.unit.litmus.corpus import corpus_files, needs_corpus
from tests.unit.models.test_herdview import GraphBuilder

LK = LKMM()


def store_buffering(fence: str | None) -> ExecutionGraph:
    # SB: P0: x=1; [fence]; r0=y (0)   P1: y=1; [fence]; r1=x (0)
    b = GraphBuilder()
    for me, other in ((0, "y"), (1, "x")):
        b.write(me, "xy"[me])
        if fence:
            b.fence(me, fence)
        b.read(me, other, None)
    return b.graph()


def message_passing(writer_fence: str | None, reader_fence: str | None) -> ExecutionGraph:
    # MP, the stale outcome: P0: x=1; [wf]; y=1   P1: r0=y (1); [rf]; r1=x (0)
    b = GraphBuilder()
    b.write(0, "x")
    if writer_fence:
        b.fence(0, writer_fence)
    wy = b.write(0, "y")
    b.read(1, "y", wy, value=1)
    if reader_fence:
        b.fence(1, reader_fence)
    b.read(1, "x", None)
    return b.graph()


def load_buffering(dep: str | None) -> ExecutionGraph:
    # LB: P0: r0=x (1); y=1   P1: r1=y (1); x=1, each store depending on its load or not.
    b = GraphBuilder()
    rx = b.read(0, "x", 3, value=1)
    b.write(0, "y", **({dep: frozenset({rx})} if dep else {}))
    ry = b.read(1, "y", 1, value=1)
    b.write(1, "x", **({dep: frozenset({ry})} if dep else {}))
    return b.graph()


def test_store_buffering_is_allowed_without_fences():
    assert LK.violation(store_buffering(None)) is None


def test_smp_mb_in_both_threads_forbids_store_buffering_by_propagation():
    # SB+fencembonceonces: Never.
    assert LK.violation(store_buffering("mb")) == "propagation"


def test_message_passing_without_barriers_is_allowed():
    # MP+poonceonces: Sometimes.
    assert LK.violation(message_passing(None, None)) is None


def test_smp_wmb_and_smp_rmb_forbid_the_stale_message_passing_outcome():
    # MP+fencewmbonceonce+fencermbonceonce: Never.
    assert LK.violation(message_passing("wmb", "rmb")) == "happens-before"


def test_smp_wmb_alone_does_not_forbid_the_stale_message_passing_outcome():
    assert LK.violation(message_passing("wmb", None)) is None


def test_load_buffering_without_dependencies_is_allowed():
    # LB+poonceonces: Sometimes.
    assert LK.violation(load_buffering(None)) is None


def test_data_or_control_dependencies_forbid_load_buffering():
    assert LK.violation(load_buffering("data")) == "happens-before"
    assert LK.violation(load_buffering("ctrl")) == "happens-before"


def test_two_reads_seeing_writes_against_coherence_order_break_coherence():
    # CoRR+poonceonce+Once: P0: x=1   P1: r0=x (1); r1=x (0).
    b = GraphBuilder()
    wx = b.write(0, "x")
    b.read(1, "x", wx, value=1)
    b.read(1, "x", None)
    assert LK.violation(b.graph()) == "coherence"


def test_a_write_between_an_rmws_read_and_its_write_breaks_atomicity():
    # P0: xchg(x, 1) reads 0   P1: x=2, co-between the initial write and the xchg.
    b = GraphBuilder()
    xchg = b.rmw(0, "x", None, read=0, written=1)
    w2 = b.write(1, "x", 2)
    assert LK.violation(b.graph(co={"x": [w2, xchg]})) == "atomic"


def test_a_fully_ordered_rmw_acts_as_smp_mb():
    # SB with xchg() for the stores: as SB+fencembonceonces.
    b = GraphBuilder()
    b.rmw(0, "x", None)
    b.read(0, "y", None)
    b.rmw(1, "y", None)
    b.read(1, "x", None)
    assert LK.violation(b.graph()) == "propagation"


def test_a_failed_cmpxchg_orders_nothing():
    # cmpxchg() is a full barrier only when it succeeds (the bell's FailedRMW).
    b = GraphBuilder()
    for me, other in ((0, "y"), (1, "x")):
        b.write(me, "xy"[me])
        fail = EventKind.RMW_FAIL
        b.add(me, fail, "atomic_cmpxchg", "mb", loc=f"z{me}", reads=True, read_value=0)
        b.read(me, other, None)
    assert LK.violation(b.graph()) is None


def test_release_acquire_forbids_the_stale_message_passing_outcome():
    # MP+pooncerelease+poacquireonce: Never.
    b = GraphBuilder()
    b.write(0, "x")
    wy = b.write(0, "y", annot="release")
    b.read(1, "y", wy, value=1, annot="acquire")
    b.read(1, "x", None)
    assert LK.violation(b.graph()) == "happens-before"


def mp_with_locks(stale: bool) -> ExecutionGraph:
    # MP+polocks: P0: buf=1; spin_lock(l); flag=1; spin_unlock(l)
    #             P1: spin_lock(l); r0=flag (1); spin_unlock(l); r1=buf (0 or 1)
    b = GraphBuilder()
    wbuf = b.write(0, "buf")
    b.spin_lock(0, "l", None)
    wflag = b.write(0, "flag")
    ul = b.spin_unlock(0, "l")
    b.spin_lock(1, "l", ul)
    b.read(1, "flag", wflag, value=1)
    b.spin_unlock(1, "l")
    b.read(1, "buf", None if stale else wbuf, value=0 if stale else 1)
    return b.graph()


def test_spin_lock_critical_sections_forbid_the_stale_message_passing_outcome():
    # MP+polocks: Never.
    assert LK.violation(mp_with_locks(stale=True)) == "happens-before"
    assert LK.violation(mp_with_locks(stale=False)) is None


def test_a_nested_spin_lock_of_the_same_lock_violates_lock_nest():
    b = GraphBuilder()
    first = b.spin_lock(0, "l", None)
    b.spin_lock(0, "l", first)
    assert LK.violation(b.graph()) == "lock-nest"


def test_two_locks_held_to_the_end_on_one_spinlock_violate_unmatched_locks():
    b = GraphBuilder()
    first = b.spin_lock(0, "l", None)
    b.spin_lock(1, "l", first)
    assert LK.violation(b.graph()) == "unmatched-locks"


def rcu_sync_read(sync: str, struct: str = "ss") -> ExecutionGraph:
    # RCU+sync+read: P0: rcu_read_lock(); x=1; y=1; rcu_read_unlock()
    #                P1: r0=x (1); synchronize_rcu(); r1=y (0)
    # With sync="sync-srcu", the SRCU version on srcu_struct ss (P1 syncs on ``struct``).
    b = GraphBuilder()
    if sync == "sync-rcu":
        b.fence(0, "rcu-lock")
    else:
        idx = b.read(0, "ss", None, value=0, annot="srcu-lock", name="srcu_read_lock")
    wx = b.write(0, "x")
    b.write(0, "y")
    if sync == "sync-rcu":
        b.fence(0, "rcu-unlock")
    else:
        b.write(0, "ss", 0, "srcu-unlock", name="srcu_read_unlock", data=frozenset({idx}))
    b.read(1, "x", wx, value=1)
    b.fence(1, sync, detail=struct)
    b.read(1, "y", None)
    return b.graph()


def test_an_rcu_reader_cannot_overlap_both_ends_of_a_grace_period():
    # RCU+sync+read: Never.
    assert LK.violation(rcu_sync_read("sync-rcu")) == "rcu"


def test_an_srcu_grace_period_waits_only_for_readers_of_its_own_srcu_struct():
    assert LK.violation(rcu_sync_read("sync-srcu")) == "rcu"
    assert LK.violation(rcu_sync_read("sync-srcu", struct="other")) is None
    assert LK.flags(rcu_sync_read("sync-srcu")) == ()


def test_an_rcu_read_lock_without_unlock_raises_unmatched_rcu_lock():
    b = GraphBuilder()
    b.fence(0, "rcu-lock")
    b.read(0, "x", None)
    assert LK.flags(b.graph()) == ("unmatched-rcu-lock",)


def test_unordered_plain_writes_race_and_races_names_both():
    b = GraphBuilder()
    w0 = b.write(0, "x", 1, annot="plain")
    w1 = b.write(1, "x", 2, annot="plain")
    g = b.graph()
    assert LK.violation(g) is None
    assert LK.flags(g) == ("data-race",)
    assert LK.races(g) == [(w0, w1, "ww-race")]


def plain_message_passing(acquire: bool, stale: bool) -> ExecutionGraph:
    # P0: x=1 (plain); smp_store_release(y, 1)   P1: r0=y (1); r1=x (plain)
    b = GraphBuilder()
    wx = b.write(0, "x", annot="plain")
    wy = b.write(0, "y", annot="release")
    b.read(1, "y", wy, value=1, annot="acquire" if acquire else "once")
    b.read(1, "x", None if stale else wx, value=0 if stale else 1, annot="plain")
    return b.graph()


def test_release_and_acquire_bound_plain_accesses_so_they_do_not_race():
    g = plain_message_passing(acquire=True, stale=False)
    assert LK.violation(g) is None and LK.flags(g) == ()


def test_a_plain_read_after_a_once_read_races_with_the_plain_write():
    g = plain_message_passing(acquire=False, stale=False)
    assert LK.violation(g) is None
    assert LK.races(g) == [(0, 3, "wr-race")]


def test_a_plain_read_missing_a_visible_plain_write_breaks_plain_coherence():
    # Plain accesses are not in hb: the stale outcome fails the plain-access rules.
    assert LK.violation(plain_message_passing(acquire=True, stale=True)) == "plain-coherence"


def test_cycle_names_the_events_of_a_happens_before_cycle():
    g = message_passing("wmb", "rmb")
    ry, rx = 3, 5
    cycle = LK.cycle(g)
    assert cycle is not None and set(cycle) == {ry, rx}
    assert LK.cycle(message_passing(None, None)) is None


def test_cycle_names_the_events_of_a_coherence_cycle_once_per_rmw():
    # CoRR through an RMW: P0: x=1   P1: xchg(x) reads 1; r=x reads 0.
    b = GraphBuilder()
    wx = b.write(0, "x")
    xchg = b.rmw(1, "x", wx, read=1, written=2)
    r = b.read(1, "x", None)
    cycle = LK.cycle(b.graph())
    assert cycle is not None and sorted(cycle) == [wx, xchg, r]


def test_cycle_names_the_write_and_the_reader_behind_an_rcu_violation():
    g = rcu_sync_read("sync-rcu")
    wx, rx = 1, 4  # P0: rcu_read_lock, x=1, y=1, rcu_read_unlock   P1: r0=x ...
    assert LK.cycle(g) == [wx, rx]


def test_the_axioms_accept_a_graph_whose_threads_have_not_finished():
    # MP+wmb+rmb with P1 stopped before its second read: no outcome is fixed yet.
    b = GraphBuilder()
    b.write(0, "x")
    b.fence(0, "wmb")
    wy = b.write(0, "y")
    b.read(1, "y", wy, value=1)
    b.fence(1, "rmb")
    assert LK.violation(b.graph()) is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs)
def test_every_graph_the_sc_explorer_builds_is_lkmm_consistent(threads):
    # SC is stronger than the LKMM: an SC execution is an LKMM execution.
    res = explore(make_program(threads), Options(all_findings=True, shrink=False, model=LK))
    assert res.stats.executions >= 1


def test_the_model_relations_of_a_graph_can_be_read_as_relations():
    rel = LK.relations(message_passing("wmb", "rmb"))
    # view events: the initial writes of x and y, then P0's x=1, wmb, y=1, P1's r0=y, ...
    ry, rx = 5, 7
    assert {(ry, rx), (rx, ry)} <= rel.hb.relation().pairs
    assert rel.v.origin[ry] == 3 and rel.v.origin[rx] == 5


def test_graphs_sharing_a_skeleton_get_their_own_verdicts():
    # MP+fencewmbonceonce+fencermbonceonce's four outcomes share one skeleton: the
    # skeleton's relations, worked out for the first, must not leak into the others.
    def mp(sees_y: bool, sees_x: bool) -> ExecutionGraph:
        b = GraphBuilder()
        wx = b.write(0, "x")
        b.fence(0, "wmb")
        wy = b.write(0, "y")
        b.read(1, "y", wy if sees_y else None, value=int(sees_y))
        b.fence(1, "rmb")
        b.read(1, "x", wx if sees_x else None, value=int(sees_x))
        return b.graph()

    outcomes = [(True, False), (False, False), (True, True), (False, True)]
    for order in (outcomes, outcomes[::-1]):
        herdview._SKELETONS.clear()
        model = LKMM()
        verdicts = {seen: model.violation(mp(*seen)) for seen in order}
        assert verdicts == {
            (True, False): "happens-before", (False, False): None,
            (True, True): None, (False, True): None,
        }  # fmt: skip


def test_a_lock_handover_is_read_from_each_graphs_own_rf():
    # P0: spin_lock(l); x=1; spin_unlock(l)   P1: spin_lock(l); r0=x (0); spin_unlock(l)
    # Which critical section came first is only the locks' rf and co (one skeleton):
    # after P0's, P1 must see x=1 (po-unlock-lock-po); before it, x=0 is fine.
    def locks(p0_first: bool) -> ExecutionGraph:
        b = GraphBuilder()
        lk0, wx, ul0 = b.spin_lock(0, "l", None), b.write(0, "x"), b.spin_unlock(0, "l")
        lk1, _, ul1 = b.spin_lock(1, "l", None), b.read(1, "x", None), b.spin_unlock(1, "l")
        events = list(b.events)
        second, ul = (lk1, ul0) if p0_first else (lk0, ul1)
        events[second] = events[second]._replace(rf=ul)
        lock_co = [lk0, ul0, lk1, ul1] if p0_first else [lk1, ul1, lk0, ul0]
        return ExecutionGraph(events, {"l": lock_co, "x": [wx]})

    model = LKMM()
    assert herdview.herd_view(locks(True)).skeleton is herdview.herd_view(locks(False)).skeleton
    for p0_first in (True, False, True):
        assert model.violation(locks(p0_first)) == ("happens-before" if p0_first else None)


def relations(max_events: int = 9) -> st.SearchStrategy[tuple[int, set[tuple[int, int]]]]:
    """A number of events and a relation over them."""
    return st.integers(1, max_events).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n),
        )
    )


@given(relations(), st.data())
def test_bits_closures_compositions_and_cycles_are_those_of_the_relation(r, data):
    n, pairs = r
    other = data.draw(st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))))
    a, b, rel = Bits.of_pairs(n, pairs), Bits.of_pairs(n, other), Relation(pairs)
    plus = a.plus()  # acyclic or not: each has its own algorithm
    assert plus.relation() == rel.plus() and plus.transitive
    assert a.acyclic() == rel.acyclic()
    order = a.sinks_first()
    assert (order is not None) == rel.acyclic()
    if order is not None:  # each event with a successor comes after all its successors
        assert sorted(order) == sorted(rel.domain())
        done = 0
        for e in order:
            assert a.rows[e] & a.domain() & ~done == 0
            done |= 1 << e
    assert (a @ b).relation() == rel @ Relation(other)
    assert (a @ plus).relation() == rel @ rel.plus()  # images skipping what is reached
    same = Bits([b.rows[0]] * n).grouped()  # every row equal: images by group
    assert (a @ same).relation() == rel @ Relation(
        (x, y) for x in range(n) for z, y in other if z == 0
    )


class _BothWays:
    """The LKMM, each graph's verdict asked with and without the interleaving shortcut
    (an SC-consistent graph without grace periods is answered after atomicity)."""

    name, interleaving, porf_cycles = "lkmm", False, True

    def __init__(self) -> None:
        self.lkmm = LKMM()
        self.asked = self.interleavings = 0

    def violation(self, g: ExecutionGraph) -> str | None:
        rel = self.lkmm.relations(g)
        got = rel.violated()
        assert got == rel.violated(interleavings_first=False)
        self.asked += 1
        self.interleavings += not rel.s.grace_periods and rel.sc_order.acyclic()
        return got

    def flags(self, g: ExecutionGraph) -> tuple[str, ...]:
        return self.lkmm.flags(g)


@needs_corpus
def test_the_interleaving_shortcut_gives_every_axioms_verdict_on_the_corpus_candidates():
    model = _BothWays()
    for path in corpus_files():
        test = parse_file(path)
        lp = LitmusProgram(test, resolve(test))
        for _ in candidates(lp.program(), model):
            pass
    assert model.asked > model.interleavings > 50  # both ways taken, often


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(programs)
def test_the_interleaving_shortcut_gives_every_axioms_verdict_on_generated_programs(threads):
    ops = [op for code in threads for op, _, _ in code]
    assume(ops.count("bitlock_inc") <= 1)  # (herd7's method on the flags word: see test_trust)
    for _ in candidates(make_program(threads), _BothWays()):
        pass
