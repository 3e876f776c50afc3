"""lockdep's rules on small programs: each report appears when it should, and not otherwise.

Every program is explored exhaustively with the observer attached; the tests read the
reports' kinds and the classes they name.
"""

from __future__ import annotations

from collections.abc import Callable

from pagerace.analyses.lockdep import (
    IRQ_SAFE,
    IRQ_UNSAFE,
    MAX_LOCK_DEPTH,
    Lockdep,
    Report,
    attach_sources,
)
from pagerace.explore.explorer import Options, explore
from pagerace.explore.runtime import Program, World
from pagerace.kernel import (
    READ_ONCE,
    WRITE_ONCE,
    bit_lock_key,
    bit_spin_lock,
    bit_spin_unlock,
    local_irq_restore,
    local_irq_save,
    spin_lock,
    spin_lock_irqsave,
    spin_lock_nest_lock,
    spin_lock_nested,
    spin_trylock,
    spin_unlock,
    spin_unlock_irqrestore,
)
from pagerace.report.lockdep import render_report

Build = Callable[[World], None]


def lockdep_of(build: Build, **options: object) -> Lockdep:
    lockdep = Lockdep(**options)  # type: ignore[arg-type]
    opts = Options(observers=(lockdep,), all_findings=True, shrink=False)
    explore(Program("lockdep-test", build), opts)
    return lockdep


def kinds(lockdep: Lockdep) -> list[str]:
    return [r.kind for r in lockdep.reports()]


def only(lockdep: Lockdep, kind: str) -> Report:
    (report,) = [r for r in lockdep.reports() if r.kind == kind]
    return report


def one_thread(body: Callable[[World], Callable[[], None]]) -> Build:
    def build(w: World) -> None:
        w.thread("CPU0")(body(w))

    return build


def nested_locks(n: int, cls: str | None = None) -> Build:
    """CPU0 takes ``n`` locks, one inside the other, then releases them."""

    def body(w: World) -> Callable[[], None]:
        locks = [w.location(f"L{i}") for i in range(n)]

        def run() -> None:
            for lock in locks:
                spin_lock(lock, cls=cls)
            for lock in reversed(locks):
                spin_unlock(lock, cls=cls)

        return run

    return one_thread(body)


# -- MAX_LOCK_DEPTH ----------------------------------------------------------------------


def test_holding_max_lock_depth_locks_is_a_bug():
    report = only(lockdep_of(nested_locks(MAX_LOCK_DEPTH)), "max-lock-depth")
    assert report.headline == "BUG: MAX_LOCK_DEPTH too low!"
    assert len(report.held) == MAX_LOCK_DEPTH
    assert f"depth: {MAX_LOCK_DEPTH}  max: {MAX_LOCK_DEPTH}!" in render_report(report)


def test_one_lock_fewer_than_max_lock_depth_is_clean():
    assert kinds(lockdep_of(nested_locks(MAX_LOCK_DEPTH - 1))) == []


# -- recursive locking and its annotations -----------------------------------------------


def test_two_locks_of_one_class_nested_is_recursive_locking():
    report = only(lockdep_of(nested_locks(2, cls="inode->i_lock")), "recursive-locking")
    assert report.classes == ("inode->i_lock",)
    assert report.acquiring is not None and report.acquiring.site.key == "L1"
    assert [h.site.key for h in report.held] == ["L0"]


def test_two_locks_of_distinct_classes_nested_are_not_recursive():
    assert kinds(lockdep_of(nested_locks(2))) == []


def test_the_same_class_taken_one_after_the_other_is_not_recursive():
    def body(w: World) -> Callable[[], None]:
        a, b = w.location("A"), w.location("B")

        def run() -> None:
            for lock in (a, b):
                spin_lock(lock, cls="same")
                spin_unlock(lock, cls="same")

        return run

    assert kinds(lockdep_of(one_thread(body))) == []


def nested_subclass(subclass: int) -> Build:
    def body(w: World) -> Callable[[], None]:
        parent, child = w.location("parent.i_mutex"), w.location("child.i_mutex")

        def run() -> None:
            spin_lock(parent, cls="i_mutex")
            spin_lock_nested(child, subclass, cls="i_mutex")
            spin_unlock(child, cls="i_mutex")
            spin_unlock(parent, cls="i_mutex")

        return run

    return one_thread(body)


def test_spin_lock_nested_with_a_subclass_is_not_recursive():
    assert kinds(lockdep_of(nested_subclass(1))) == []


def test_the_last_valid_subclass_is_7():
    assert kinds(lockdep_of(nested_subclass(7))) == []


def test_subclass_8_is_an_invalid_subclass_bug():
    report = only(lockdep_of(nested_subclass(8)), "invalid-subclass")
    assert report.classes == ("i_mutex", "8")
    assert "subclass 8: only 0..7 exist" in render_report(report)


def test_spin_lock_nested_with_subclass_0_is_still_recursive():
    assert kinds(lockdep_of(nested_subclass(0))) == ["recursive-locking"]


def take_all_locks(n: int, annotated: bool) -> Build:
    """mm_take_all_locks (mm/mmap.c, v3.13): ``n`` locks of one class under mmap_sem."""

    def body(w: World) -> Callable[[], None]:
        mmap_sem = w.location("mm.mmap_sem")
        anon_vmas = [w.location(f"anon_vma{i}.rwsem") for i in range(n)]

        def run() -> None:
            spin_lock(mmap_sem)
            for lock in anon_vmas:
                if annotated:
                    spin_lock_nest_lock(lock, mmap_sem, cls="anon_vma->rwsem")
                else:
                    spin_lock(lock, cls="anon_vma->rwsem")
            for lock in anon_vmas:
                spin_unlock(lock, cls="anon_vma->rwsem")
            spin_unlock(mmap_sem)

        return run

    return one_thread(body)


def test_many_locks_of_one_class_under_a_nest_lock_are_fine():
    assert kinds(lockdep_of(take_all_locks(60, annotated=True))) == []


def test_many_locks_of_one_class_without_a_nest_lock_recurse_and_overflow():
    lockdep = lockdep_of(take_all_locks(60, annotated=False))
    assert kinds(lockdep) == ["recursive-locking", "max-lock-depth"]
    assert only(lockdep, "recursive-locking").seen == 59


def test_a_nest_lock_that_is_not_held_is_reported():
    def body(w: World) -> Callable[[], None]:
        sem, a = w.location("mm.mmap_sem"), w.location("A")

        def run() -> None:
            spin_lock_nest_lock(a, sem, cls="anon_vma")
            spin_unlock(a, cls="anon_vma")

        return run

    report = only(lockdep_of(one_thread(body)), "nest-lock-not-held")
    assert report.classes == ("anon_vma", "mm.mmap_sem")


def test_a_nest_lock_merging_into_the_top_entry_is_not_checked_as_in_lockdep():
    """lockdep.c (v3.13): a nest_lock acquisition of the top entry's class only counts
    a reference on that entry, before any check."""

    def body(w: World) -> Callable[[], None]:
        sem, a, b = w.location("mm.mmap_sem"), w.location("A"), w.location("B")

        def run() -> None:
            spin_lock(a, cls="anon_vma")
            spin_lock_nest_lock(b, sem, cls="anon_vma")
            spin_unlock(b, cls="anon_vma")
            spin_unlock(a, cls="anon_vma")

        return run

    assert kinds(lockdep_of(one_thread(body))) == []


# -- the lock-order graph ----------------------------------------------------------------


def abba_across_executions(w: World) -> None:
    """CPU1 takes A then B, or B then A, depending on whether it saw CPU0's flag: no
    execution has both orders, and none deadlocks (only CPU1 takes locks)."""
    flag, a, b = w.location("flag"), w.location("A"), w.location("B")

    @w.thread("CPU0")
    def writer() -> None:
        WRITE_ONCE(flag, 1)

    @w.thread("CPU1")
    def locker() -> None:
        first, second = (a, b) if READ_ONCE(flag) else (b, a)
        spin_lock(first)
        spin_lock(second)
        spin_unlock(second)
        spin_unlock(first)


def test_abba_seen_in_two_executions_is_a_circular_dependency_with_both_chains():
    lockdep = Lockdep()
    opts = Options(observers=(lockdep,), all_findings=True)
    result = explore(Program("abba", abba_across_executions), opts)
    assert result.verdict == "verified"  # no execution deadlocked
    report = only(lockdep, "circular-dependency")
    assert report.classes == ("A", "B")
    assert report.closing is not None
    (existing,) = report.chain
    assert (existing.before.cls, existing.after.cls) == (
        report.closing.after.cls,
        report.closing.before.cls,
    )
    assert existing.after.site.run != report.closing.after.site.run


def test_one_lock_order_everywhere_is_clean():
    def build(w: World) -> None:
        a, b = w.location("A"), w.location("B")
        for cpu in ("CPU0", "CPU1"):

            @w.thread(cpu)
            def run() -> None:
                spin_lock(a)
                spin_lock(b)
                spin_unlock(b)
                spin_unlock(a)

    assert kinds(lockdep_of(build)) == []


def test_a_three_lock_cycle_shows_the_whole_existing_chain():
    def build(w: World) -> None:
        locks = [w.location(n) for n in "ABC"]
        for cpu, (x, y) in enumerate([(0, 1), (1, 2), (2, 0)]):

            @w.thread(f"CPU{cpu}")
            def run(x: int = x, y: int = y) -> None:
                spin_lock(locks[x])
                spin_lock(locks[y])
                spin_unlock(locks[y])
                spin_unlock(locks[x])

    report = only(lockdep_of(build), "circular-dependency")
    assert report.classes == ("A", "B", "C")
    assert len(report.chain) == 2
    assert "Chain exists of:" in render_report(report)


def test_a_trylock_adds_no_dependency():
    def build(w: World) -> None:
        a, b = w.location("A"), w.location("B")

        @w.thread("CPU0")
        def ab() -> None:
            spin_lock(a)
            spin_lock(b)
            spin_unlock(b)
            spin_unlock(a)

        @w.thread("CPU1")
        def ba() -> None:
            spin_lock(b)
            if spin_trylock(a):
                spin_unlock(a)
            spin_unlock(b)

    lockdep = lockdep_of(build)
    assert kinds(lockdep) == []
    assert lockdep.dependencies() == [("A", "B")]


def test_releasing_a_lock_not_held_is_a_bad_unlock_balance():
    def body(w: World) -> Callable[[], None]:
        a = w.location("A")
        return lambda: spin_unlock(a)

    assert kinds(lockdep_of(one_thread(body))) == ["bad-unlock-balance"]


# -- irq safety --------------------------------------------------------------------------


def irq_program(b_first_cpu_irqsave: bool, a_on_cpu0: bool) -> Build:
    """CPU1 takes B with spin_lock_irqsave (B is irq-safe), then A inside it; CPU0
    takes B (irqsave or not), optionally inside A, with interrupts enabled."""

    def build(w: World) -> None:
        a, b = w.location("A"), w.location("B")

        @w.thread("CPU0")
        def cpu0() -> None:
            if a_on_cpu0:
                spin_lock(a)
                spin_unlock(a)
            if b_first_cpu_irqsave:
                flags = spin_lock_irqsave(b)
                spin_unlock_irqrestore(b, flags)
            else:
                spin_lock(b)
                spin_unlock(b)

        @w.thread("CPU1")
        def cpu1() -> None:
            flags = spin_lock_irqsave(b)
            spin_lock(a)
            spin_unlock(a)
            spin_unlock_irqrestore(b, flags)

    return build


def test_an_irqsave_lock_also_taken_with_irqs_on_is_an_inconsistent_lock_state():
    lockdep = lockdep_of(irq_program(b_first_cpu_irqsave=False, a_on_cpu0=False))
    report = only(lockdep, "inconsistent-lock-state")
    assert report.classes == ("B",)
    assert {u.state for u in report.usages} == {IRQ_SAFE, IRQ_UNSAFE}
    assert "<Interrupt>" in render_report(report)


def test_an_irq_safe_lock_leading_to_an_irq_unsafe_one_is_an_irq_lock_inversion():
    lockdep = lockdep_of(irq_program(b_first_cpu_irqsave=True, a_on_cpu0=True))
    assert kinds(lockdep) == ["irq-lock-inversion"]
    report = only(lockdep, "irq-lock-inversion")
    assert report.classes == ("B", "A")
    assert [(d.before.cls, d.after.cls) for d in report.chain] == [("B", "A")]


def test_irqsave_everywhere_and_a_lock_only_nested_under_it_is_clean():
    lockdep = lockdep_of(irq_program(b_first_cpu_irqsave=True, a_on_cpu0=False))
    assert kinds(lockdep) == []
    assert lockdep.usage() == {"B": [IRQ_SAFE]}  # A: taken with irqs off, neither


def test_a_lock_taken_in_an_irq_off_section_later_is_not_irq_safe():
    def body(w: World) -> Callable[[], None]:
        a, x = w.location("A"), w.location("x")

        def run() -> None:
            flags = local_irq_save()
            WRITE_ONCE(x, 1)
            spin_lock(a)  # not the irqsave shape: the section was for something else
            spin_unlock(a)
            local_irq_restore(flags)
            spin_lock(a)
            spin_unlock(a)

        return run

    lockdep = lockdep_of(one_thread(body))
    assert kinds(lockdep) == []
    assert lockdep.usage() == {"A": [IRQ_UNSAFE]}


def test_a_class_declared_irq_safe_and_taken_with_irqs_on_is_inconsistent():
    lockdep = lockdep_of(nested_locks(1), hardirq_classes=("L0",))
    assert kinds(lockdep) == ["inconsistent-lock-state"]


# -- bit spinlocks -----------------------------------------------------------------------


def compound_locks(annotated: bool) -> Build:
    """A split-like loop: the head's bit lock, then each tail's inside it."""

    def body(w: World) -> Callable[[], None]:
        flags = [w.location(f"P{i}.flags") for i in range(3)]

        def run() -> None:
            bit_spin_lock(24, flags[0], "PG_compound_lock", "compound_lock")
            nest = bit_lock_key(24, flags[0], "PG_compound_lock") if annotated else None
            for f in flags[1:]:
                bit_spin_lock(24, f, "PG_compound_lock", "compound_lock", nest)
                bit_spin_unlock(24, f, "PG_compound_lock", "compound_lock")
            bit_spin_unlock(24, flags[0], "PG_compound_lock", "compound_lock")

        return run

    return one_thread(body)


def test_bit_spinlocks_are_invisible_to_lockdep_by_default():
    lockdep = lockdep_of(compound_locks(annotated=False))
    assert kinds(lockdep) == []
    assert lockdep.untracked == {"compound_lock": 3}


def test_tracked_bit_spinlocks_nested_are_recursive_locking():
    lockdep = lockdep_of(compound_locks(annotated=False), track_bit_locks=True)
    assert kinds(lockdep) == ["recursive-locking"]
    assert lockdep.untracked == {}


def test_tracked_bit_spinlocks_under_a_nest_lock_are_fine():
    lockdep = lockdep_of(compound_locks(annotated=True), track_bit_locks=True)
    assert kinds(lockdep) == []


# -- splats ------------------------------------------------------------------------------


def test_attached_sources_name_the_model_lines_that_took_the_locks():
    program = Program("abba", abba_across_executions)
    lockdep = Lockdep()
    explore(program, Options(observers=(lockdep,)))
    (report,) = attach_sources(lockdep.reports(), program, lockdep.witnesses)
    text = render_report(report)
    assert all(s.src is not None for s in report.sites())
    assert "test_lockdep.py:" in text
    assert "WARNING: possible circular locking dependency detected" in text


def test_each_thread_lock_sequence_is_walked_once():
    lockdep = lockdep_of(irq_program(b_first_cpu_irqsave=False, a_on_cpu0=True))
    assert lockdep.executions > lockdep.paths == 2


def all_tail_locks_held(nr_pages: int, annotated: bool) -> Build:
    """Andrea's "512 nested spinlocks instead of 1" read literally: the split holds
    every tail's compound lock at once (the model's ``per-tail-lock`` takes and drops
    each in turn, so it holds at most the head's and one tail's)."""

    def body(w: World) -> Callable[[], None]:
        flags = [w.location(f"H+{i}.flags") for i in range(nr_pages)]
        head = bit_lock_key(24, flags[0], "PG_compound_lock")

        def run() -> None:
            for i, f in enumerate(flags):
                nest = head if annotated and i else None
                bit_spin_lock(24, f, "PG_compound_lock", "compound_lock of a page", nest)
            for f in reversed(flags):
                bit_spin_unlock(24, f, "PG_compound_lock", "compound_lock of a page")

        return run

    return one_thread(body)


def test_512_tail_locks_held_at_once_recurse_and_overflow_max_lock_depth():
    lockdep = lockdep_of(all_tail_locks_held(512, annotated=False), track_bit_locks=True)
    assert kinds(lockdep) == ["recursive-locking", "max-lock-depth"]
    assert only(lockdep, "recursive-locking").seen == 511


def test_512_tail_locks_under_the_head_as_nest_lock_take_one_held_lock_entry():
    lockdep = lockdep_of(all_tail_locks_held(512, annotated=True), track_bit_locks=True)
    assert kinds(lockdep) == []
