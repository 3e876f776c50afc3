"""Relation algebra (cat's operators) and the relations an execution graph derives."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pagerace.graph import Event, EventKind, ExecutionGraph, Relation

pairs = st.frozensets(st.tuples(st.integers(0, 5), st.integers(0, 5)), max_size=12)
relations = pairs.map(Relation)


def test_union_has_the_pairs_of_both():
    assert Relation([(1, 2)]) | Relation([(2, 3)]) == Relation([(1, 2), (2, 3)])


def test_intersection_and_difference_split_a_relation():
    r, s = Relation([(1, 2), (2, 3)]), Relation([(2, 3), (3, 4)])
    assert r & s == Relation([(2, 3)])
    assert r - s == Relation([(1, 2)])


def test_sequence_composes_through_the_middle_event():
    r = Relation([(1, 2), (1, 3), (4, 5)])
    s = Relation([(2, 7), (3, 8), (6, 9)])
    assert r @ s == Relation([(1, 7), (1, 8)])


def test_inverse_swaps_every_pair():
    assert Relation([(1, 2), (3, 4)]).inv() == Relation([(2, 1), (4, 3)])


def test_plus_is_the_transitive_closure_of_a_chain():
    chain = Relation([(1, 2), (2, 3), (3, 4)])
    assert chain.plus() == Relation([(1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4)])


def test_plus_of_a_cycle_relates_each_event_to_itself():
    assert {(1, 1), (2, 2)} <= Relation([(1, 2), (2, 1)]).plus().pairs


def test_star_adds_the_identity_on_the_universe_to_plus():
    assert Relation([(1, 2)]).star([1, 2, 3]) == Relation([(1, 2), (1, 1), (2, 2), (3, 3)])


def test_identity_relates_each_event_of_a_set_to_itself_only():
    assert Relation.identity([3, 1]) == Relation([(1, 1), (3, 3)])


def test_cross_relates_every_left_event_to_every_right_event():
    assert Relation.cross([1, 2], [3, 4]) == Relation([(1, 3), (1, 4), (2, 3), (2, 4)])


def test_a_chain_is_acyclic():
    assert Relation([(1, 2), (2, 3)]).acyclic()


def test_a_loop_of_three_is_cyclic_and_find_cycle_returns_it():
    r = Relation([(1, 2), (2, 3), (3, 1), (3, 4)])
    cycle = r.find_cycle()
    assert cycle is not None and sorted(cycle) == [1, 2, 3]
    edges = zip(cycle, cycle[1:] + cycle[:1], strict=True)
    assert all(edge in r for edge in edges)


def test_a_self_loop_is_a_cycle_of_one_event():
    assert Relation([(1, 1)]).find_cycle() == [1]


def test_find_cycle_of_an_acyclic_relation_is_none():
    assert Relation([(1, 2), (1, 3), (2, 3)]).find_cycle() is None


@given(relations)
def test_acyclic_agrees_with_an_irreflexive_transitive_closure(r):
    assert r.acyclic() == r.plus().irreflexive()


@given(relations)
def test_every_cycle_found_is_a_cycle_of_the_relation(r):
    cycle = r.find_cycle()
    if cycle is not None:
        assert all(edge in r for edge in zip(cycle, cycle[1:] + cycle[:1], strict=True))


@given(relations, relations, relations)
def test_sequence_is_associative(r, s, t):
    assert (r @ s) @ t == r @ (s @ t)


@given(relations, relations)
def test_the_inverse_of_a_sequence_is_the_reversed_sequence_of_inverses(r, s):
    assert (r @ s).inv() == s.inv() @ r.inv()


@given(relations)
def test_sequence_with_the_identity_on_its_events_leaves_a_relation_unchanged(r):
    ids = Relation.identity(r.domain() | r.range())
    assert ids @ r == r == r @ ids


# -- an execution graph built by hand --------------------------------------------------


def ev(eid: int, tid: int, index: int, kind: EventKind, **kw: object) -> Event:
    reads = kind in (EventKind.LOAD, EventKind.RMW)
    writes = kind in (EventKind.STORE, EventKind.RMW)
    return Event(eid, tid, index, kind, kind.value, "once", reads=reads, writes=writes, **kw)


def small_graph() -> ExecutionGraph:
    """x has three writes in co order 0, 1, 4 (4 an RMW reading from 1); event 2 reads
    x from write 0 and event 3 reads the initial value; event 5 writes y."""
    events = [
        ev(0, 0, 0, EventKind.STORE, loc="x", lid=0, written_value=1),
        ev(1, 1, 0, EventKind.STORE, loc="x", lid=0, written_value=2),
        ev(2, 2, 0, EventKind.LOAD, loc="x", lid=0, read_value=1, rf=0),
        ev(3, 2, 1, EventKind.LOAD, loc="x", lid=0, read_value=0, rf=None),
        ev(4, 1, 1, EventKind.RMW, loc="x", lid=0, read_value=2, written_value=3, rf=1),
        ev(5, 0, 1, EventKind.STORE, loc="y", lid=1, written_value=1),
    ]
    return ExecutionGraph(events, {"x": [0, 1, 4], "y": [5]})


def test_fr_relates_a_read_to_the_writes_co_after_the_one_it_read_from():
    # 2 read 0: co-later are 1 and 4.  3 read the initial value: every write of x.
    # The RMW 4 read 1: co-later is only itself, which fr leaves out.
    assert small_graph().fr == Relation([(2, 1), (2, 4), (3, 0), (3, 1), (3, 4)])


def test_fr_of_reads_of_a_write_is_rf_inverse_then_co_without_the_identity():
    # cat: fr = rf^-1 ; co (an RMW is not fr-before itself).  Reads of the initial
    # value (3) have no rf edge, so compare on the reads of a write (2 and 4).
    g = small_graph()
    from_writes = (g.rf.inv() @ g.co) - Relation.identity(g.ids())
    assert g.fr.restrict(frozenset({2, 4}), g.ids()) == from_writes


def test_po_relates_events_of_one_thread_in_index_order():
    assert small_graph().po == Relation([(0, 5), (1, 4), (2, 3)])


def test_rf_links_each_read_to_the_write_it_read_from():
    assert small_graph().rf == Relation([(0, 2), (1, 4)])


def test_co_is_the_transitive_order_of_the_writes_of_each_location():
    assert small_graph().co == Relation([(0, 1), (0, 4), (1, 4)])


def test_reads_and_writes_are_the_events_that_read_and_that_write():
    g = small_graph()
    reads, writes = g.R, g.W
    assert reads == {2, 3, 4}
    assert writes == {0, 1, 4, 5}
