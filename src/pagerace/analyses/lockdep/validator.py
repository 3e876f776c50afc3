"""The validator: lockdep's rules applied to the lock events of every explored execution.

Lockdep's checks are per task: the held-lock stack, the dependencies a task adds and
its irq state depend only on that task's own sequence of lock and irq events, never on
how the tasks interleave (which is why lockdep can report a deadlock that did not
happen).  So :class:`Lockdep` projects each execution onto its threads, and walks each
thread's sequence once, the first time it appears (``paths``); what it learns -- lock
classes, the lock-order graph, irq usage -- accumulates across all executions.  A
thread is a CPU running one task.

The rules, as lockdep-design.rst states them and kernel/locking/lockdep.c (v3.13, ref
§7) implements them:

* **MAX_LOCK_DEPTH**: a task holding 48 lock entries is a ``BUG``.  Entries, not locks:
  same-class locks taken back to back under a ``nest_lock`` share one entry.
* **Recursive locking**: taking a lock of a class the task already holds, unless a
  ``nest_lock`` the task holds serialises it (``check_deadlock``).  Subclasses
  (``spin_lock_nested``) are distinct classes, ``<class>/<n>``; only 0..7 exist.
* **nest_lock**: the named lock must be held.
* **Circular dependency**: taking B while holding A adds ``A -> B`` (from the held locks
  down to the first one not taken by a trylock; a trylock itself adds none, and
  neither does a ``nest_lock``-annotated nesting); a new edge that closes a cycle is
  reported with the new dependency and the existing chain, wherever each was seen.
* **irq safety** (hardirqs; the model has no softirqs): a class is *irq-unsafe* once
  taken with interrupts enabled (or held when they are enabled), *irq-safe* once
  taken in interrupt context.  The model runs no interrupt handlers, so irq-safe usage
  is inferred from the one thing the code says about it: a lock taken right after the
  thread disabled interrupts (the thread's next step after ``local_irq_save``, ghost
  steps aside: ``spin_lock_irqsave``, ``spin_lock_irq``, ``compound_lock_irqsave``) is
  one its authors expect an interrupt handler to take -- otherwise ``spin_lock`` would
  do.
  Classes can also be declared irq-safe (``hardirq_classes``).  A lock merely taken
  while interrupts happen to be off (nested inside an irqsave lock, or in an irq-off
  section such as ``gup_fast``'s) is neither: lockdep draws no conclusion from it
  either.  Reports: a class both irq-safe and irq-unsafe ("inconsistent lock state"),
  and an irq-safe class that leads, in the lock-order graph, to an irq-unsafe one
  ("irq lock inversion").  They are computed at the end, from the whole graph.
* **Bit spinlocks** carry no lockdep map in 2013 (ref §7): their events are counted
  (``untracked``) and otherwise ignored, unless ``track_bit_locks``.

The kernel's lockdep turns itself off after its first report (``debug_locks_off``);
this one keeps going, so one exploration shows every distinct report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from pagerace.analyses.lockdep.graph import LockGraph
from pagerace.analyses.lockdep.reports import (
    MAX_LOCK_DEPTH,
    MAX_LOCKDEP_SUBCLASSES,
    Dependency,
    Held,
    Report,
    Site,
    Usage,
)
from pagerace.core.ops import lockdep_annotation
from pagerace.explore.observer import ObservedRun
from pagerace.graph.events import Event, EventKind

_LOCK, _UNLOCK, _LOCAL = EventKind.LOCK, EventKind.UNLOCK, EventKind.LOCAL
IRQ_SAFE, IRQ_UNSAFE = "IN-HARDIRQ-W", "HARDIRQ-ON-W"


@dataclass(slots=True)
class _Entry:
    """One held-lock entry (lockdep's ``struct held_lock``); ``keys``: the instances it
    stands for (more than one after ``nest_lock`` merges)."""

    cls: str
    site: Site
    trylock: bool
    keys: list[str]

    def held(self) -> Held:
        return Held(self.cls, self.site, len(self.keys))


@dataclass(slots=True)
class _Task:
    run: int
    thread: str
    tid: int
    held: list[_Entry] = field(default_factory=list)
    irqs_on: bool = True
    irqsave: bool = False  # interrupts were just disabled: the next lock is irqsave-style
    ignored: list[str] = field(default_factory=list)  # instances lockdep refused to track
    depth_reported: bool = False


class Lockdep:
    """An :class:`~pagerace.explore.observer.Observer`: pass it in
    ``Options(observers=(lockdep,))``, then read :meth:`reports`."""

    def __init__(self, *, track_bit_locks: bool = False, hardirq_classes: Iterable[str] = ()):
        self.track_bit_locks = track_bit_locks
        self.executions = 0
        self.paths = 0  # distinct thread paths walked
        self.untracked: dict[str, int] = {}  # bit-lock class -> acquisitions not tracked
        self.witnesses: dict[int, tuple[int, ...]] = {}  # execution -> its schedule
        self.graph = LockGraph()
        self._seen: set[tuple[object, ...]] = set()
        self._reports: dict[tuple[object, ...], Report] = {}
        self._usage: dict[tuple[str, str], Usage] = {}  # (class, state), in first-seen order
        for cls in hardirq_classes:
            how = "declared irq-safe: an interrupt handler takes it"
            self._usage[(cls, IRQ_SAFE)] = Usage(cls, IRQ_SAFE, how, None)
        self._events: Sequence[Event] = ()

    # -- the observer ------------------------------------------------------------------
    def observe(self, run: ObservedRun) -> None:
        self.executions += 1
        by_thread: dict[int, list[Event]] = {}
        armed: set[int] = set()  # threads whose last event kept was local_irq_save
        for e in run.events:
            k = e.kind
            if k is _LOCK or k is _UNLOCK or k is _LOCAL:
                by_thread.setdefault(e.tid, []).append(e)
                if e.name == "local_irq_save":
                    armed.add(e.tid)
                elif armed:
                    armed.discard(e.tid)
            elif armed and e.tid in armed and e.annot != "ghost":
                by_thread[e.tid].append(e)  # a step between irqs off and the next lock
                armed.discard(e.tid)
        for tid, events in by_thread.items():
            path = tuple((e.kind, e.name, e.lock_key, e.lock_class, e.detail) for e in events)
            if path in self._seen:
                continue
            self._seen.add(path)
            self.paths += 1
            self._events = run.events
            self._walk(_Task(self.executions, run.threads[tid], tid), events)
        self._events = ()

    def reports(self) -> list[Report]:
        """Every distinct report, in the order found; the irq reports last."""
        return [*self._reports.values(), *self._inconsistent(), *self._inversions()]

    def dependencies(self) -> list[tuple[str, str]]:
        """The lock order learned: every ``(before, after)`` class pair, in first-seen order."""
        return [(a, b) for a, after in self.graph.edges.items() for b in after]

    def usage(self) -> dict[str, list[str]]:
        """Each class's irq usage states (``IN-HARDIRQ-W``, ``HARDIRQ-ON-W``)."""
        out: dict[str, list[str]] = {}
        for cls, state in self._usage:
            out.setdefault(cls, []).append(state)
        return out

    # -- one thread path -----------------------------------------------------------------
    def _walk(self, task: _Task, events: list[Event]) -> None:
        for e in sorted(events, key=lambda e: e.po_index):
            if e.kind is _LOCAL:
                self._irq_event(task, e)
                continue
            irqsave, task.irqsave = task.irqsave, False
            if e.kind is not _LOCK and e.kind is not _UNLOCK:
                continue
            if e.name.startswith("bit_spin") and not self.track_bit_locks:
                if e.kind is _LOCK:
                    cls = e.lock_class or "bit_spin_lock"
                    self.untracked[cls] = self.untracked.get(cls, 0) + 1
                continue
            if e.kind is _LOCK:
                self._acquire(task, e, irqsave)
            else:
                self._release(task, e)

    def _irq_event(self, task: _Task, e: Event) -> None:
        if e.name == "local_irq_save" or e.detail in ("irqs off", "irqs stay off"):
            task.irqs_on, task.irqsave = False, e.name == "local_irq_save"
        elif e.detail == "irqs on":
            for entry in task.held:  # lockdep's mark_held_locks on hardirqs_on
                how = "held while interrupts were enabled"
                self._mark(Usage(entry.cls, IRQ_UNSAFE, how, self._site(task, e)))
            task.irqs_on, task.irqsave = True, False

    def _site(self, task: _Task, e: Event) -> Site:
        return Site(task.run, task.thread, task.tid, e.po_index, e.name, e.lock_key or "", e.src)

    def _acquire(self, task: _Task, e: Event, irqsave: bool) -> None:
        subclass, nest = lockdep_annotation(e.detail)
        base = e.lock_class or e.lock_key or "?"
        site = self._site(task, e)
        if subclass >= MAX_LOCKDEP_SUBCLASSES:
            self._invalid_subclass(task, base, subclass, site)
            return
        cls = base if subclass == 0 else f"{base}/{subclass}"
        top = task.held[-1] if task.held else None
        if nest is not None and top is not None and top.cls == cls:
            top.keys.append(site.key)  # lockdep: references++ on the top entry, no checks
            return
        new = _Entry(cls, site, "trylock" in e.name, [site.key])
        self._mark_usage(task, new, irqsave)
        if nest is not None and not any(nest in h.keys for h in task.held):
            msg = f"its nest_lock {nest} is not held"
            self._report("nest-lock-not-held", (cls, nest), task, new, msg)
        nested = not new.trylock and self._check_deadlock(task, new, nest)
        if not new.trylock and not nested:
            self._add_dependencies(task, new)
        task.held.append(new)
        if len(task.held) >= MAX_LOCK_DEPTH and not task.depth_reported:
            task.depth_reported = True
            msg = (
                "turning off the locking correctness validator.\n"
                f"depth: {len(task.held)}  max: {MAX_LOCK_DEPTH}!"
            )
            self._report("max-lock-depth", (cls,), task, new, msg)

    def _check_deadlock(self, task: _Task, new: _Entry, nest: str | None) -> bool:
        """lockdep's ``check_deadlock``: True when a held ``nest_lock`` allows this
        same-class nesting (no dependency is then added)."""
        nest_held = False
        for h in task.held:
            nest_held = nest_held or (nest is not None and nest in h.keys)
            if h.cls != new.cls:
                continue
            if nest_held:
                return True
            why = "May be due to missing lock nesting notation"
            self._report("recursive-locking", (new.cls,), task, new, why)
            return False
        return False

    def _add_dependencies(self, task: _Task, new: _Entry) -> None:
        """lockdep's ``check_prevs_add``: from the top held lock down to the first one not
        taken by a trylock (those below are already connected through it)."""
        for h in reversed(task.held):
            if h.cls != new.cls and (h.cls, new.cls) not in self.graph:
                self._add_edge(task, Dependency(h.held(), new.held()), new)
            if not h.trylock:
                return

    def _add_edge(self, task: _Task, dep: Dependency, new: _Entry) -> None:
        self._witness(task.run)
        back = self.graph.path(dep.after.cls, dep.before.cls)
        if back is not None:
            classes = tuple(sorted({dep.before.cls, *(d.before.cls for d in back)}))
            msg = "which lock already depends on the new lock"
            self._report("circular-dependency", classes, task, new, msg, dep, tuple(back))
        self.graph.add(dep)

    def _release(self, task: _Task, e: Event) -> None:
        key = e.lock_key or ""
        if key in task.ignored:
            task.ignored.remove(key)
            return
        for i in range(len(task.held) - 1, -1, -1):
            entry = task.held[i]
            if key in entry.keys:
                entry.keys.remove(key)
                if not entry.keys:
                    del task.held[i]
                return
        cls = e.lock_class or key
        site = self._site(task, e)
        entry = _Entry(cls, site, False, [key])
        msg = "is trying to release a lock it does not hold"
        self._report("bad-unlock-balance", (cls,), task, entry, msg)

    def _invalid_subclass(self, task: _Task, base: str, subclass: int, site: Site) -> None:
        task.ignored.append(site.key)  # lockdep finds no class: the lock goes untracked
        msg = (
            f"subclass {subclass}: only 0..{MAX_LOCKDEP_SUBCLASSES - 1} exist "
            "(MAX_LOCKDEP_SUBCLASSES)\nturning off the locking correctness validator."
        )
        new = _Entry(f"{base}/{subclass}", site, False, [site.key])
        self._report("invalid-subclass", (base, str(subclass)), task, new, msg)

    # -- irq usage -----------------------------------------------------------------------
    def _mark_usage(self, task: _Task, new: _Entry, irqsave: bool) -> None:
        if irqsave and not new.trylock:
            how = (
                "taken right after interrupts were disabled (irqsave): an interrupt "
                "handler may take it"
            )
            self._mark(Usage(new.cls, IRQ_SAFE, how, new.site))
        if task.irqs_on:
            self._mark(Usage(new.cls, IRQ_UNSAFE, "taken with interrupts enabled", new.site))

    def _mark(self, usage: Usage) -> None:
        if (usage.cls, usage.state) not in self._usage:
            self._witness(usage.site.run if usage.site else 0)
            self._usage[(usage.cls, usage.state)] = usage

    def _inconsistent(self) -> list[Report]:
        order = list(self._usage)
        out = []
        for cls in dict.fromkeys(c for c, _ in order):
            both = [(cls, IRQ_SAFE), (cls, IRQ_UNSAFE)]
            if not all(k in self._usage for k in both):
                continue
            first, second = (self._usage[k] for k in sorted(both, key=order.index))
            msg = f"inconsistent {{{first.state}}} -> {{{second.state}}} usage."
            out.append(Report("inconsistent-lock-state", (cls,), msg, usages=(first, second)))
        return out

    def _inversions(self) -> list[Report]:
        unsafe = {cls for cls, state in self._usage if state == IRQ_UNSAFE}
        out = []
        for (cls, state), safe in self._usage.items():
            if state != IRQ_SAFE:
                continue
            chain = next(self.graph.paths(cls, unsafe - {cls}), None)
            if chain is None:
                continue
            bad = self._usage[(chain[-1].after.cls, IRQ_UNSAFE)]
            msg = (
                f"{cls} is irq-safe and leads to {bad.cls}, which is irq-unsafe: an "
                "interrupt could create inverse lock ordering between them"
            )
            classes = (cls, bad.cls)
            report = Report("irq-lock-inversion", classes, msg, chain=tuple(chain))
            out.append(replace(report, usages=(safe, bad)))
        return out

    # -- recording -----------------------------------------------------------------------
    def _report(
        self,
        kind: str,
        classes: tuple[str, ...],
        task: _Task,
        new: _Entry | None,
        message: str,
        closing: Dependency | None = None,
        chain: tuple[Dependency, ...] = (),
    ) -> None:
        key = (kind, *classes)
        old = self._reports.get(key)
        if old is not None:
            self._reports[key] = replace(old, seen=old.seen + 1)
            return
        self._witness(task.run)
        self._reports[key] = Report(
            kind,
            classes,
            message,
            acquiring=None if new is None else new.held(),
            held=tuple(h.held() for h in task.held),
            closing=closing,
            chain=chain,
        )

    def _witness(self, run: int) -> None:
        """Keep the schedule of the execution being walked, to replay it for source
        lines: under SC the thread that took each shared step, in run order."""
        if run == self.executions and run not in self.witnesses and self._events:
            self.witnesses[run] = tuple(e.tid for e in self._events if e.loc is not None)
