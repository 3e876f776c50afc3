"""lockdep reports as the kernel prints them (splats), and as JSON.

The layout follows kernel/locking/lockdep.c's ``print_*_bug`` functions: a ruled
headline, the lock being acquired and the locks held, the dependency chain, the
"possible unsafe locking scenario" drawn one column per CPU, and the held-lock list.
A lock is shown as ``(class) instance, at: where``; ``where`` is the model source line
when the report's execution was replayed for it.
"""

from __future__ import annotations

from typing import Any

from pagerace.analyses.lockdep import Dependency, Held, Report, Site, Usage

_COLUMN = 24  # width of a CPU column in the scenarios


def render_report(r: Report) -> str:
    body = _BODY[r.kind](r)
    rule = "=" * len(r.headline)
    lines = [rule, r.headline, "-" * len(r.headline), *body]
    if r.acquiring is not None:
        times = "once" if r.seen == 1 else f"{r.seen} times"
        lines += ["", f"detected {times}; first in execution {r.acquiring.site.run}"]
    return "\n".join(lines)


def _lock(h: Held) -> str:
    many = f" and {h.count - 1} more of its class (nest_lock)" if h.count > 1 else ""
    return f" ({h.cls}) {h.site.key}{many}, at: {h.site.where()}"


def _held_list(r: Report, limit: int = 8) -> list[str]:
    """The held locks, numbered from the bottom; a long list keeps its first three and
    last two entries and summarises the rest."""
    thread = r.acquiring.site.thread if r.acquiring else "the CPU"
    n = len(r.held)
    lines = [f"{n} lock{'s' if n != 1 else ''} held by {thread}:"]
    lines += [f" #{i}:{_lock(h)}" for i, h in enumerate(r.held) if n <= limit or i < 3]
    if n > limit:
        cut = r.held[3 : n - 2]
        classes = ", ".join(sorted({h.cls for h in cut}))
        lines.append(f" ... #3..#{n - 3}: {len(cut)} more, of {classes}")
        lines += [f" #{i}:{_lock(r.held[i])}" for i in range(n - 2, n)]
    return lines


def _interleave(steps: list[tuple[int, str]], ncpus: int) -> list[str]:
    names = [f"CPU{i}" for i in range(ncpus)]
    head = "       " + "".join(n.ljust(_COLUMN) for n in names).rstrip()
    rule = "       " + "".join("----".ljust(_COLUMN) for _ in names).rstrip()
    out = [head, rule]
    # As the kernel draws it: CPU0's steps at column 2, the others under their heading.
    out += [" " * (2 if cpu == 0 else 7 + _COLUMN * cpu) + text for cpu, text in steps]
    return [*out, "", " *** DEADLOCK ***"]


def _recursive(r: Report) -> list[str]:
    assert r.acquiring is not None
    cls, thread = r.acquiring.cls, r.acquiring.site.thread
    held = next((h for h in r.held if h.cls == cls), None)
    lines = [f"{thread} is trying to acquire lock:", _lock(r.acquiring), ""]
    if held is not None:
        lines += [f"but {thread} is already holding lock:", _lock(held), ""]
    lines += ["other info that might help us debug this:", " Possible unsafe locking scenario:"]
    lines += ["", *_interleave([(0, f"lock({cls});"), (0, f"lock({cls});")], 1)]
    lines += ["", f" {r.message} (spin_lock_nested, or a nest_lock)", ""]
    return lines + _held_list(r)


def _depth(r: Report) -> list[str]:
    assert r.acquiring is not None
    return [*r.message.split("\n"), "", *_held_list(r, limit=10)]


def _subclass(r: Report) -> list[str]:
    assert r.acquiring is not None
    thread = r.acquiring.site.thread
    lines = [*r.message.split("\n"), "", f"{thread} is trying to acquire lock:"]
    lines += [_lock(r.acquiring), ""]
    return lines + _held_list(r)


def _nest(r: Report) -> list[str]:
    assert r.acquiring is not None
    thread = r.acquiring.site.thread
    lines = [f"{thread} is trying to lock:", _lock(r.acquiring), "", f"but {r.message}!", ""]
    return lines + _held_list(r)


def _dependency(d: Dependency) -> str:
    a, b = d.after.site, d.before.site
    return (
        f"-> ({d.before.cls}) before ({d.after.cls}): {a.thread} took {a.key} at "
        f"{a.where()}\n       while holding {b.key}, taken at {b.where()} "
        f"[execution {a.run}]"
    )


def _circular(r: Report) -> list[str]:
    assert r.acquiring is not None and r.closing is not None
    new, held = r.closing.after, r.closing.before
    thread = new.site.thread
    lines = [f"{thread} is trying to acquire lock:", _lock(new), ""]
    lines += [f"but {thread} is already holding lock:", _lock(held), ""]
    lines += [f"{r.message}.", "", "the existing dependency chain (seen before) is:", ""]
    lines += [_dependency(d) for d in r.chain]
    lines += ["", "and the new dependency is:", "", _dependency(r.closing), ""]
    lines += ["other info that might help us debug this:", ""]
    if len(r.chain) > 1:
        names = [new.cls, *(d.after.cls for d in r.chain)]
        lines += [" Chain exists of:", "   " + " --> ".join(names), ""]
    other = r.chain[-1].before.cls
    steps = [
        (0, f"lock({held.cls});"),
        (1, f"lock({other});"),
        (1, f"lock({held.cls});"),
        (0, f"lock({new.cls});"),
    ]
    lines += [" Possible unsafe locking scenario:", "", *_interleave(steps, 2), ""]
    return lines + _held_list(r)


def _usage(u: Usage) -> str:
    where = "" if u.site is None else f", at: {u.site.where()} [execution {u.site.run}]"
    return f" {{{u.state}}}: {u.how}{where}"


def _inconsistent(r: Report) -> list[str]:
    (cls,) = r.classes
    lines = [r.message, f"({cls}) was used both ways:", *(_usage(u) for u in r.usages), ""]
    lines += ["other info that might help us debug this:", " Possible unsafe locking scenario:"]
    steps = [(0, f"lock({cls});"), (0, "<Interrupt>"), (0, f"  lock({cls});")]
    return [*lines, "", *_interleave(steps, 1)]


def _inversion(r: Report) -> list[str]:
    safe, unsafe = r.usages
    lines = [f"({safe.cls}) is irq-safe:", _usage(safe), ""]
    lines += [f"but this lock leads to ({unsafe.cls}), which is irq-unsafe:", _usage(unsafe), ""]
    lines += ["the dependency chain:", "", *(_dependency(d) for d in r.chain), ""]
    lines += ["and interrupts could create inverse lock ordering between them.", ""]
    steps = [
        (0, f"lock({unsafe.cls});"),
        (1, "local_irq_disable();"),
        (1, f"lock({safe.cls});"),
        (1, f"lock({unsafe.cls});"),
        (0, "<Interrupt>"),
        (0, f"  lock({safe.cls});"),
    ]
    return [*lines, " Possible interrupt unsafe locking scenario:", "", *_interleave(steps, 2)]


def _unlock(r: Report) -> list[str]:
    assert r.acquiring is not None
    thread = r.acquiring.site.thread
    lines = [
        f"{thread} {r.message}:",
        _lock(r.acquiring),
        "but there are no more locks to release!",
    ]
    return [*lines, "", *_held_list(r)]


_BODY = {
    "recursive-locking": _recursive,
    "max-lock-depth": _depth,
    "invalid-subclass": _subclass,
    "nest-lock-not-held": _nest,
    "circular-dependency": _circular,
    "inconsistent-lock-state": _inconsistent,
    "irq-lock-inversion": _inversion,
    "bad-unlock-balance": _unlock,
}


# -- JSON ------------------------------------------------------------------------------
def report_json(r: Report) -> dict[str, Any]:
    return {
        "kind": r.kind,
        "headline": r.headline,
        "classes": list(r.classes),
        "message": r.message,
        "seen": r.seen,
        "acquiring": None if r.acquiring is None else _held_json(r.acquiring),
        "held": [_held_json(h) for h in r.held],
        "new_dependency": None if r.closing is None else _dep_json(r.closing),
        "chain": [_dep_json(d) for d in r.chain],
        "usages": [
            {
                "class": u.cls,
                "state": u.state,
                "how": u.how,
                "site": None if u.site is None else _site_json(u.site),
            }
            for u in r.usages
        ],
    }


def _site_json(s: Site) -> dict[str, Any]:
    return {
        "execution": s.run,
        "thread": s.thread,
        "event": s.po_index,
        "primitive": s.primitive,
        "lock": s.key,
        "src": None if s.src is None else str(s.src),
        "function": None if s.src is None else s.src.function,
    }


def _held_json(h: Held) -> dict[str, Any]:
    return {"class": h.cls, "instances": h.count, "site": _site_json(h.site)}


def _dep_json(d: Dependency) -> dict[str, Any]:
    return {"before": _held_json(d.before), "after": _held_json(d.after)}
