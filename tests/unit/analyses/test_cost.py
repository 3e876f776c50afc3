"""The cost model: counts against the reference's, cost classes, MESI transfers on tiny
programs, attribution by operation markers, workload files, pricing and crossovers.

The expected counts are derived from the reference by hand (the section is named at
each), never from the model: ref §3.3 (six locked RMWs per v3.13 tail put_page), §3.4
(four per get_page of a tail), §6.1 (gup_fast: one per tail plus the head's add and
SetPageReferenced), §5.1-§5.2 (the split), Andrea's message (511 and 1).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from pagerace.analyses.cost import (
    CostClass,
    CostObserver,
    Mesi,
    OperationSummary,
    cost_class,
    explored,
    line_of,
    serial,
)
from pagerace.analyses.cost.claims import checks
from pagerace.analyses.cost.pricing import Figures, crossover, unit_costs
from pagerace.analyses.cost.workload import (
    ALLOC,
    FREE,
    GET_PAGE_TAIL,
    GUP_FAST,
    KEYS,
    PUT_PAGE_TAIL,
    SPLIT,
    WORKLOADS,
    Workload,
    load_workload,
    parse_workload,
)
from pagerace.core.errors import InputError, UsageError
from pagerace.explore.explorer import Options, explore
from pagerace.explore.runtime import Program, World
from pagerace.graph.events import Event, EventKind
from pagerace.kernel import (
    BUG_ON,
    READ_ONCE,
    WRITE_ONCE,
    __set_bit,
    atomic_cmpxchg,
    atomic_inc,
    atomic_inc_not_zero,
    bit_spin_lock,
    bit_spin_unlock,
    local_irq_restore,
    local_irq_save,
    smp_mb,
    smp_wmb,
    spin_lock,
    spin_unlock,
)
from pagerace.kernel.operation import operation
from pagerace.mm.variants import VARIANTS
from pagerace.scenarios.cost_probes import measure, uncontended

Body = Callable[[], None]


def run_serial(build: Callable[[World], None]) -> CostObserver:
    obs = CostObserver()
    serial(Program("cost-test", build), obs)
    return obs


def uncontended_summary(variant: str, order: int) -> dict[str, OperationSummary]:
    obs = CostObserver()
    for probe in uncontended(VARIANTS[variant], order):
        serial(probe.program, obs)
    return obs.summary()


def locked(summary: dict[str, OperationSummary], op: str) -> float:
    return summary[op].locked.median


# -- counts against the reference --------------------------------------------------------
@pytest.fixture(scope="module")
def v313_order4() -> dict[str, OperationSummary]:
    return uncontended_summary("v3.13", 4)


@pytest.fixture(scope="module")
def ptl_order4() -> dict[str, OperationSummary]:
    return uncontended_summary("per-tail-lock", 4)


def test_a_v3_13_tail_put_page_is_six_locked_rmws(v313_order4):
    # ref §3.3: get_page_unless_zero, lock, put_page_testzero, atomic_dec, unlock,
    # put_page_testzero.
    assert locked(v313_order4, PUT_PAGE_TAIL) == 6
    assert v313_order4[PUT_PAGE_TAIL].locked_by_primitive["atomic_dec_and_test"].median == 2


def test_a_v3_13_get_page_of_a_tail_is_four_locked_rmws(v313_order4):
    assert locked(v313_order4, GET_PAGE_TAIL) == 4  # ref §3.4


def test_gup_fast_of_one_tail_is_its_mapcount_the_head_add_and_set_page_referenced(
    v313_order4,
):
    # ref §6.1: per tail one atomic_inc of _mapcount; then atomic_add and set_bit on the head.
    prims = {p: s.median for p, s in v313_order4[GUP_FAST].locked_by_primitive.items()}
    assert prims == {"atomic_inc": 1, "atomic_add": 1, "set_bit": 1}


def test_the_v3_13_split_at_order_4_takes_one_lock_for_every_tail(v313_order4):
    # ref §5.1-§5.2, 15 tails: pmd splitting bit 1, lru_lock 1, compound_lock 1, per tail
    # atomic_add 15, atomic_sub 1, ClearPageHead 1, unlock 1, per tail put_page 15.
    assert locked(v313_order4, SPLIT) == 1 + 1 + 1 + 15 + 1 + 1 + 1 + 15
    # One smp_mb per tail (§5.2 d), and the TLB-flush IPI's (llist_add, fully ordered).
    assert v313_order4[SPLIT].fences.median == 15 + 1


def test_per_tail_lock_pays_a_lock_and_an_unlock_per_tail_in_the_split(v313_order4, ptl_order4):
    extra = locked(ptl_order4, SPLIT) - locked(v313_order4, SPLIT)
    assert extra == 2 * 15


def test_per_tail_lock_saves_the_head_pin_and_its_put_on_every_tail_put(v313_order4, ptl_order4):
    assert locked(v313_order4, PUT_PAGE_TAIL) - locked(ptl_order4, PUT_PAGE_TAIL) == 2
    assert locked(ptl_order4, GET_PAGE_TAIL) == 4


def test_at_order_9_the_split_difference_is_twice_andreas_511_and_says_why():
    figs = {
        v: {
            SPLIT: Figures(SPLIT, s[SPLIT], None),
            PUT_PAGE_TAIL: Figures(PUT_PAGE_TAIL, s[PUT_PAGE_TAIL], None),
        }
        for v, s in (
            ("v3.13", _split_only("v3.13")),
            ("per-tail-lock", _split_only("per-tail-lock")),
        )
    }
    (split,) = [k for k in checks(figs, 9) if "split" in k.claim]
    assert (split.claimed, split.measured) == (511, 1022)
    assert split.breakdown == {"bit_spin_lock": 511, "bit_spin_unlock": 511}
    assert "clear_bit_unlock" in split.explanation


def _split_only(variant: str) -> dict[str, OperationSummary]:
    obs = CostObserver()
    for probe in uncontended(VARIANTS[variant], 9):
        if probe.name in ("split", "io"):
            serial(probe.program, obs)
    return obs.summary()


def test_v4_5_puts_and_gets_a_tail_with_one_locked_operation_on_the_head():
    s = uncontended_summary("v4.5", 2)  # ref §8.5: no tail refcounting
    assert locked(s, PUT_PAGE_TAIL) == locked(s, GET_PAGE_TAIL) == 1


def test_allocation_and_free_of_a_thp_take_the_zone_lock_once_each(v313_order4):
    # ref §4.2-§4.3: zone->lock is the only locked op of the allocation; the free adds
    # put_page_testzero.  spin_unlock is a plain store on x86.
    assert locked(v313_order4, ALLOC) == 1
    assert locked(v313_order4, FREE) == 2
    assert v313_order4[ALLOC].classes[CostClass.ACQUIRE_RELEASE].median == 1


# -- cost classes ----------------------------------------------------------------------
def events_of(body: Callable[[World], Body]) -> list[Event]:
    seen: list[Event] = []

    class Keep:
        def observe(self, run):
            seen.extend(run.events)

    def build(w: World) -> None:
        w.thread("CPU0")(body(w))

    explore(Program("classes", build), Options(observers=(Keep(),)))
    return seen


def classes_of(body: Callable[[World], Body]) -> list[tuple[str, CostClass | None]]:
    """The priced events of a one-thread program, in order."""
    return [(e.name, cost_class(e)) for e in events_of(body) if cost_class(e) is not None]


def test_bit_spin_unlock_is_a_locked_rmw_and_spin_unlock_a_release_store():
    def body(w: World) -> Body:
        flags, lock = w.location("P.flags"), w.location("zone.lock")

        def run() -> None:
            bit_spin_lock(24, flags)
            bit_spin_unlock(24, flags)
            spin_lock(lock)
            spin_unlock(lock)

        return run

    assert classes_of(body) == [
        ("bit_spin_lock", CostClass.LOCKED_RMW),
        ("bit_spin_unlock", CostClass.LOCKED_RMW),
        ("spin_lock", CostClass.LOCKED_RMW),
        ("spin_unlock", CostClass.ACQUIRE_RELEASE),
    ]


def test_fences_irqs_and_a_non_atomic_rmw_get_their_x86_classes():
    def body(w: World) -> Body:
        x = w.location("x")

        def run() -> None:
            flags = local_irq_save()
            smp_mb()
            smp_wmb()
            __set_bit(3, x)
            local_irq_restore(flags)

        return run

    assert [c for _, c in classes_of(body)] == [
        CostClass.IRQ_OFF,
        CostClass.FULL_FENCE,
        CostClass.COMPILER_BARRIER,
        CostClass.PLAIN_LOAD,
        CostClass.PLAIN_STORE,
        CostClass.IRQ_ON,
    ]


def test_a_failed_inc_not_zero_is_a_load_but_a_failed_cmpxchg_is_locked():
    def body(w: World) -> Body:
        x = w.location("x", 0)

        def run() -> None:
            atomic_inc_not_zero(x)  # reads 0: v3.13 x86 returns before its cmpxchg
            atomic_cmpxchg(x, 5, 6)  # lock cmpxchg that does not match

        return run

    assert classes_of(body) == [
        ("atomic_inc_not_zero", CostClass.PLAIN_LOAD),
        ("atomic_cmpxchg", CostClass.LOCKED_RMW),
    ]


def test_model_bookkeeping_and_thread_ends_are_not_priced():
    def body(w: World) -> Body:
        def run() -> None:
            flags = local_irq_save()  # also updates a ghost irq-state word
            local_irq_restore(flags)

        return run

    events = events_of(body)
    ghosts = [e for e in events if e.annot == "ghost" or e.kind is EventKind.END]
    assert len(ghosts) == 3
    assert all(cost_class(e) is None for e in ghosts)
    assert [c for _, c in classes_of(body)] == [CostClass.IRQ_OFF, CostClass.IRQ_ON]


# -- cache lines and MESI -----------------------------------------------------------------
def test_a_struct_page_is_one_line_and_a_zone_keeps_its_locks_apart():
    assert line_of("H+1._count") == line_of("H+1.flags") == "H+1"
    assert line_of("zone.lock") != line_of("zone.lru_lock")
    assert line_of("zone.free_area[0].nr_free") == line_of("zone.free_area[0].free_list.next")
    assert line_of("zone.free_area[0].nr_free") != line_of("zone.free_area[1].nr_free")
    assert line_of("pmd") == "pmd"


def test_mesi_counts_a_transfer_when_a_line_changes_owner_or_a_modified_line_is_read():
    m = Mesi()
    assert not m.access("L", 0, own=True)  # first touch: a miss from memory
    assert not m.access("L", 0, own=False)
    assert m.access("L", 1, own=False)  # CPU0 had it Modified
    assert not m.access("L", 1, own=False)  # now Shared by both
    assert not m.access("L", 0, own=False)
    assert m.access("L", 0, own=True)  # CPU1's Shared copy is invalidated
    assert not m.access("L", 0, own=True)


def test_shared_readers_do_not_transfer():
    m = Mesi()
    assert [m.access("L", cpu, own=False) for cpu in (0, 1, 2, 1)] == [False] * 4


def marked(name: str, body: Body) -> Body:
    def run() -> None:
        with operation(name):
            body()

    return run


def test_a_serial_handoff_of_a_written_line_is_one_transfer_per_cpu():
    def build(w: World) -> None:
        x = w.location("x")
        for n in range(3):
            w.thread(f"CPU{n}")(marked("inc", lambda x=x: atomic_inc(x)))

    s = run_serial(build).summary()["inc"]
    assert s.samples == 3
    assert sorted(c.transfers for c in run_serial(build).samples["inc"]) == [0, 1, 1]
    assert s.locked.median == 1


def test_false_sharing_two_fields_of_one_page_transfer_but_two_pages_do_not():
    def build(same_page: bool) -> Callable[[World], None]:
        def setup(w: World) -> None:
            a = w.location("P.a")
            b = w.location("P.b" if same_page else "Q.b")
            w.thread("CPU0")(marked("write", lambda: WRITE_ONCE(a, 1)))
            w.thread("CPU1")(marked("write", lambda: WRITE_ONCE(b, 1)))

        return setup

    assert run_serial(build(True)).summary()["write"].transfers.max == 1
    assert run_serial(build(False)).summary()["write"].transfers.max == 0


def test_explored_interleavings_give_min_median_and_max_transfers():
    def build(w: World) -> None:
        x = w.location("x")
        w.thread("CPU0")(marked("read", lambda: READ_ONCE(x)))
        w.thread("CPU1")(marked("write", lambda: WRITE_ONCE(x, 1)))

    obs = CostObserver()
    cov = explored(Program("rw", build), obs, 100)
    assert (cov.executions, cov.complete) == (2, True)
    s = obs.summary()
    # Read first: a miss from memory, then the write invalidates CPU0's Shared copy.
    # Write first: a miss, then the read finds the line Modified on CPU1.
    assert (s["read"].transfers.min, s["read"].transfers.max) == (0, 1)
    assert (s["write"].transfers.min, s["write"].transfers.max) == (0, 1)
    assert s["read"].samples == s["write"].samples == 2


# -- attribution ---------------------------------------------------------------------------
def test_a_nested_operation_belongs_to_the_outer_one_and_unmarked_events_are_apart():
    def build(w: World) -> None:
        x = w.location("x")

        def run() -> None:
            atomic_inc(x)  # outside any operation
            with operation("outer"):
                atomic_inc(x)
                with operation("inner"):
                    atomic_inc(x)

        w.thread("CPU0")(run)

    obs = run_serial(build)
    assert list(obs.summary()) == ["outer"]
    assert obs.summary()["outer"].locked.median == 2
    assert obs.unmarked[list(CostClass).index(CostClass.LOCKED_RMW)] == 1


def test_an_operation_stopped_by_a_bug_on_is_kept_as_unfinished():
    def build(w: World) -> None:
        x = w.location("x")

        def run() -> None:
            with operation("dies"):
                atomic_inc(x)
                BUG_ON(True, "stop here")

        w.thread("CPU0")(run)

    s = run_serial(build).summary()["dies"]
    assert (s.samples, s.unfinished, s.locked.median) == (1, 1, 1)


def test_markers_change_neither_the_executions_nor_their_number():
    def build(mark: bool) -> Callable[[World], None]:
        def setup(w: World) -> None:
            x = w.location("x")
            for n in range(3):
                body = lambda: atomic_inc(x)  # noqa: E731
                w.thread(f"CPU{n}")(marked("inc", body) if mark else body)

        return setup

    counts = [explore(Program("m", build(m))).stats.executions for m in (False, True)]
    assert counts[0] == counts[1] == 6


# -- workloads -------------------------------------------------------------------------------
def test_a_workload_file_parses_with_defaults_for_what_it_leaves_out(tmp_path):
    f = tmp_path / "db.toml"
    f.write_text('description = "db"\nodirect_ios = 1000\nsplits = 2.5\n')
    w = load_workload(str(f))
    assert (w.name, w.odirect_ios, w.splits, w.frees, w.gets_per_page) == ("db", 1000, 2.5, 0, 0)


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("odirect_ios = 1\nsplitz = 3\n", "w.toml:2:1:", "unknown key 'splitz'"),
        ("odirect_ios = 1\n  splits = -3\n", "w.toml:2:12:", "a number >= 0"),
        ('splits = "many"\n', "w.toml:1:10:", "a number >= 0"),
        ("gets_per_page = 9\n", "w.toml:1:17:", "from 0 to 8"),
        ("gets_per_page = 1.5\n", "w.toml:1:17:", "from 0 to 8"),
        ("splits = true\n", "w.toml:1:10:", "a number >= 0"),
        ("splits = \n", "w.toml:1:10:", "Invalid value"),
        ("[rates]\nsplits = 1\n", "w.toml:1:1:", "unknown key 'rates'"),
    ],
)
def test_a_bad_workload_file_is_an_error_at_file_line_col(text, where, message):
    with pytest.raises(InputError) as e:
        parse_workload(text, "w.toml", "w")
    assert str(e.value).startswith(where)
    assert message in str(e.value)


def test_a_workload_file_takes_exactly_the_workload_fields():
    assert set(KEYS) == {f.name for f in dataclasses.fields(Workload)}


def test_an_unknown_workload_name_lists_the_built_in_ones():
    with pytest.raises(UsageError) as e:
        load_workload("oltp")
    assert "odirect" in str(e.value)


def test_a_missing_workload_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError):
        load_workload(str(tmp_path / "nope.toml"))


def test_an_io_runs_one_gup_fast_and_one_put_per_reference():
    w = Workload("w", gets_per_page=2)
    assert w.operations("odirect_ios") == {GUP_FAST: 1, PUT_PAGE_TAIL: 3, GET_PAGE_TAIL: 2}
    assert WORKLOADS["odirect"].operations("odirect_ios") == {GUP_FAST: 1, PUT_PAGE_TAIL: 1}


# -- pricing -----------------------------------------------------------------------------
def test_unit_costs_take_overrides_and_refuse_unknown_keys():
    assert unit_costs(["locked_rmw=40"])["locked_rmw"] == 40
    for bad in ("locked=40", "locked_rmw", "locked_rmw=-1", "locked_rmw=x"):
        with pytest.raises(UsageError):
            unit_costs([bad])


def test_the_locked_op_crossover_is_one_split_per_tails_ios():
    # Per I/O per-tail-lock saves 2 (pin and its put); per split it pays 2 per tail:
    # equal at one split per (2 * tails) / 2 = tails I/Os -- 15 at order 4.
    costs = unit_costs()
    base = measure(VARIANTS["v3.13"], 4, None, 1).figures
    other = measure(VARIANTS["per-tail-lock"], 4, None, 1).figures
    w = Workload("w", odirect_ios=1500, splits=1)
    x = crossover("locked", ("v3.13", base), ("per-tail-lock", other), w, costs)
    assert x.splits == pytest.approx(100)
    assert x.splits_per_io == pytest.approx(1 / 15)
    assert x.cheaper_below == "per-tail-lock"


def test_no_crossover_when_one_design_is_cheaper_at_every_split_rate():
    costs = unit_costs()
    base = measure(VARIANTS["v3.13"], 2, None, 1).figures
    w = Workload("w", odirect_ios=10)
    x = crossover("locked", ("v3.13", base), ("v3.13-again", base), w, costs)
    assert (x.splits, x.cheaper_below) == (None, None)
