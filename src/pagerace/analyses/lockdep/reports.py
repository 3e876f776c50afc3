"""What lockdep reports, as data: the sites, held locks, dependencies and irq usages
a splat names (the renderer is ``pagerace.report.lockdep``).

Each report kind has the kernel's headline (kernel/locking/lockdep.c, v3.13, with the
``WARNING:`` prefix later kernels print in front of its ``[ INFO: ... ]`` lines).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pagerace.graph.events import SourceRef

# kernel/locking/lockdep.c and include/linux/sched.h, v3.13 (ref §7).
MAX_LOCK_DEPTH = 48
MAX_LOCKDEP_SUBCLASSES = 8

HEADLINES = {
    "max-lock-depth": "BUG: MAX_LOCK_DEPTH too low!",
    "invalid-subclass": "BUG: looking up invalid subclass",  # ": <n>" in the kernel's line
    "recursive-locking": "WARNING: possible recursive locking detected",
    "nest-lock-not-held": "WARNING: Nested lock was not taken",
    "circular-dependency": "WARNING: possible circular locking dependency detected",
    "inconsistent-lock-state": "WARNING: inconsistent lock state",
    "irq-lock-inversion": "WARNING: possible irq lock inversion dependency detected",
    "bad-unlock-balance": "WARNING: bad unlock balance detected!",
}


@dataclass(frozen=True, slots=True)
class Site:
    """One lock event: which execution (1-based, in exploration order) first showed it,
    the thread (a CPU, lockdep's task), the event's place in the thread (po index), the
    primitive, the lock instance, and the model source line once known."""

    run: int
    thread: str
    tid: int
    po_index: int
    primitive: str
    key: str
    src: SourceRef | None = None

    def where(self) -> str:
        at = f"{self.src} {self.src.function}()" if self.src is not None else "(no source line)"
        return f"{at} [{self.primitive}, {self.thread} event #{self.po_index}]"


@dataclass(frozen=True, slots=True)
class Held:
    """A held lock as a splat lists it: its class and the acquisition that took it.
    ``count`` > 1: instances of the class merged into one entry by a ``nest_lock``
    annotation (lockdep's ``references``)."""

    cls: str
    site: Site
    count: int = 1


@dataclass(frozen=True, slots=True)
class Dependency:
    """``before -> after``: some thread took ``after`` while holding ``before``."""

    before: Held
    after: Held


@dataclass(frozen=True, slots=True)
class Usage:
    """How a class was used with respect to hardirqs: ``IN-HARDIRQ-W`` (irq-safe) or
    ``HARDIRQ-ON-W`` (irq-unsafe), with the evidence (``how``) and where."""

    cls: str
    state: str
    how: str
    site: Site | None  # None: declared by the user, not seen in a run


@dataclass(frozen=True, slots=True)
class Report:
    """One deduplicated lockdep report.

    ``acquiring``: the acquisition that triggered it (None for the irq reports, which
    are about classes); ``held``: the thread's held locks at that moment; ``chain``:
    dependencies, for a cycle the existing chain from the new lock back to the held one
    (the new dependency is ``held[-1] -> acquiring``, or ``closing``), for an irq
    inversion the path from the irq-safe class to the irq-unsafe one; ``usages``: the
    irq usages involved.  ``seen``: how many distinct thread paths showed it.
    """

    kind: str
    classes: tuple[str, ...]
    message: str
    acquiring: Held | None = None
    held: tuple[Held, ...] = ()
    closing: Dependency | None = None
    chain: tuple[Dependency, ...] = ()
    usages: tuple[Usage, ...] = ()
    seen: int = 1

    @property
    def headline(self) -> str:
        return HEADLINES[self.kind]

    def sites(self) -> list[Site]:
        """Every site the report names (for attaching source lines)."""
        out = [] if self.acquiring is None else [self.acquiring.site]
        out += [h.site for h in self.held]
        deps = [*self.chain, *([self.closing] if self.closing else [])]
        out += [s for d in deps for s in (d.before.site, d.after.site)]
        out += [u.site for u in self.usages if u.site is not None]
        return out

    def with_sites(self, sources: dict[tuple[int, int, int], SourceRef]) -> Report:
        """The report with each site's ``src`` filled from ``sources``, keyed by
        ``(run, tid, po_index)``."""

        def site(s: Site) -> Site:
            src = sources.get((s.run, s.tid, s.po_index))
            return s if src is None or s.src is not None else replace(s, src=src)

        def held(h: Held) -> Held:
            return replace(h, site=site(h.site))

        def dep(d: Dependency) -> Dependency:
            return Dependency(held(d.before), held(d.after))

        return replace(
            self,
            acquiring=None if self.acquiring is None else held(self.acquiring),
            held=tuple(held(h) for h in self.held),
            closing=None if self.closing is None else dep(self.closing),
            chain=tuple(dep(d) for d in self.chain),
            usages=tuple(
                u if u.site is None else replace(u, site=site(u.site)) for u in self.usages
            ),
        )
