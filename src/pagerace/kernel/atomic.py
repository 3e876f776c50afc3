"""The ``atomic_t`` family (Documentation/atomic_t.txt).

Ordering, as atomic_t.txt states it and linux-kernel.def encodes it:
- ``atomic_read``/``atomic_set`` are ``READ_ONCE``/``WRITE_ONCE`` (``once``);
  ``atomic_read_acquire``/``atomic_set_release`` are ``acquire``/``release``.
- non-value-returning RMWs (``atomic_inc``, ``atomic_add``, ...) are unordered
  (``noreturn``; x86 still uses a ``lock`` prefix).
- value-returning RMWs (``*_return``, ``cmpxchg``, ``xchg``, ``*_and_test``,
  ``inc_not_zero``, ``add_unless``) are fully ordered (``mb``), with ``_relaxed``,
  ``_acquire`` and ``_release`` variants.  A failed conditional RMW (``cmpxchg`` that
  does not match, ``inc_not_zero`` on 0) is only a read and orders nothing.

An ``atomic_t`` is a location; arguments keep the kernel's order (``atomic_add(i, v)``).
"""

from __future__ import annotations

from typing import Any

from pagerace.core.ops import NO_WRITE, Conditional
from pagerace.explore.values import raw
from pagerace.kernel._access import load, rmw, store

__all__ = [
    "atomic_add",
    "atomic_add_return",
    "atomic_add_return_acquire",
    "atomic_add_return_relaxed",
    "atomic_add_return_release",
    "atomic_add_unless",
    "atomic_cmpxchg",
    "atomic_cmpxchg_acquire",
    "atomic_cmpxchg_relaxed",
    "atomic_cmpxchg_release",
    "atomic_dec",
    "atomic_dec_and_test",
    "atomic_dec_return",
    "atomic_dec_return_acquire",
    "atomic_dec_return_relaxed",
    "atomic_dec_return_release",
    "atomic_fetch_add",
    "atomic_fetch_add_relaxed",
    "atomic_fetch_sub",
    "atomic_inc",
    "atomic_inc_and_test",
    "atomic_inc_not_zero",
    "atomic_inc_return",
    "atomic_inc_return_acquire",
    "atomic_inc_return_relaxed",
    "atomic_inc_return_release",
    "atomic_read",
    "atomic_read_acquire",
    "atomic_set",
    "atomic_set_release",
    "atomic_sub",
    "atomic_sub_and_test",
    "atomic_sub_return",
    "atomic_sub_return_acquire",
    "atomic_sub_return_relaxed",
    "atomic_sub_return_release",
    "atomic_xchg",
    "atomic_xchg_acquire",
    "atomic_xchg_relaxed",
    "atomic_xchg_release",
    "cmpxchg",
    "cmpxchg_acquire",
    "cmpxchg_relaxed",
    "cmpxchg_release",
    "xchg",
    "xchg_acquire",
    "xchg_relaxed",
    "xchg_release",
]


def atomic_read(v: Any) -> Any:
    return load("atomic_read", v, "once")


def atomic_read_acquire(v: Any) -> Any:
    return load("atomic_read_acquire", v, "acquire")


def atomic_set(v: Any, i: Any) -> None:
    store("atomic_set", v, i, "once")


def atomic_set_release(v: Any, i: Any) -> None:
    store("atomic_set_release", v, i, "release")


# -- non-value-returning, unordered ---------------------------------------------------
def atomic_add(i: Any, v: Any) -> None:
    n = raw(i)
    rmw("atomic_add", v, lambda old: (old + n, None), "noreturn", operands=(i,))


def atomic_sub(i: Any, v: Any) -> None:
    n = raw(i)
    rmw("atomic_sub", v, lambda old: (old - n, None), "noreturn", operands=(i,))


def atomic_inc(v: Any) -> None:
    rmw("atomic_inc", v, lambda old: (old + 1, None), "noreturn")


def atomic_dec(v: Any) -> None:
    rmw("atomic_dec", v, lambda old: (old - 1, None), "noreturn")


# -- value-returning ------------------------------------------------------------------
def _add_return(name: str, i: Any, v: Any, annot: str, sign: int = 1) -> Any:
    n = sign * raw(i)
    return rmw(name, v, lambda old: (old + n, old + n), annot, operands=(i,))


def _fetch_add(name: str, i: Any, v: Any, annot: str, sign: int = 1) -> Any:
    n = sign * raw(i)
    return rmw(name, v, lambda old: (old + n, old), annot, operands=(i,))


def atomic_add_return(i: Any, v: Any) -> Any:
    return _add_return("atomic_add_return", i, v, "mb")


def atomic_add_return_relaxed(i: Any, v: Any) -> Any:
    return _add_return("atomic_add_return_relaxed", i, v, "relaxed")


def atomic_add_return_acquire(i: Any, v: Any) -> Any:
    return _add_return("atomic_add_return_acquire", i, v, "acquire")


def atomic_add_return_release(i: Any, v: Any) -> Any:
    return _add_return("atomic_add_return_release", i, v, "release")


def atomic_sub_return(i: Any, v: Any) -> Any:
    return _add_return("atomic_sub_return", i, v, "mb", -1)


def atomic_sub_return_relaxed(i: Any, v: Any) -> Any:
    return _add_return("atomic_sub_return_relaxed", i, v, "relaxed", -1)


def atomic_sub_return_acquire(i: Any, v: Any) -> Any:
    return _add_return("atomic_sub_return_acquire", i, v, "acquire", -1)


def atomic_sub_return_release(i: Any, v: Any) -> Any:
    return _add_return("atomic_sub_return_release", i, v, "release", -1)


def atomic_inc_return(v: Any) -> Any:
    return _add_return("atomic_inc_return", 1, v, "mb")


def atomic_inc_return_relaxed(v: Any) -> Any:
    return _add_return("atomic_inc_return_relaxed", 1, v, "relaxed")


def atomic_inc_return_acquire(v: Any) -> Any:
    return _add_return("atomic_inc_return_acquire", 1, v, "acquire")


def atomic_inc_return_release(v: Any) -> Any:
    return _add_return("atomic_inc_return_release", 1, v, "release")


def atomic_dec_return(v: Any) -> Any:
    return _add_return("atomic_dec_return", -1, v, "mb")


def atomic_dec_return_relaxed(v: Any) -> Any:
    return _add_return("atomic_dec_return_relaxed", -1, v, "relaxed")


def atomic_dec_return_acquire(v: Any) -> Any:
    return _add_return("atomic_dec_return_acquire", -1, v, "acquire")


def atomic_dec_return_release(v: Any) -> Any:
    return _add_return("atomic_dec_return_release", -1, v, "release")


def atomic_fetch_add(i: Any, v: Any) -> Any:
    return _fetch_add("atomic_fetch_add", i, v, "mb")


def atomic_fetch_add_relaxed(i: Any, v: Any) -> Any:
    return _fetch_add("atomic_fetch_add_relaxed", i, v, "relaxed")


def atomic_fetch_sub(i: Any, v: Any) -> Any:
    return _fetch_add("atomic_fetch_sub", i, v, "mb", -1)


def atomic_dec_and_test(v: Any) -> Any:
    """True when the counter reached zero (``put_page_testzero``)."""
    return rmw("atomic_dec_and_test", v, lambda old: (old - 1, old - 1 == 0), "mb")


def atomic_sub_and_test(i: Any, v: Any) -> Any:
    n = raw(i)
    return rmw("atomic_sub_and_test", v, lambda old: (old - n, old - n == 0), "mb", operands=(i,))


def atomic_inc_and_test(v: Any) -> Any:
    return rmw("atomic_inc_and_test", v, lambda old: (old + 1, old + 1 == 0), "mb")


def atomic_add_unless(v: Any, a: Any, u: Any) -> Any:
    """Add ``a`` unless the counter is ``u``; true if it added.  v3.13 x86: a read,
    then a ``lock cmpxchg`` loop; when it sees ``u`` it returns with no locked op
    (atomic.h:193), which is the failed-RMW event here."""
    n, unless = raw(a), raw(u)

    def fn(old: Any) -> tuple[Any, Any]:
        return (NO_WRITE, False) if old == unless else (old + n, True)

    return rmw("atomic_add_unless", v, Conditional(fn), "mb", operands=(a, u))


def atomic_inc_not_zero(v: Any) -> Any:
    """``atomic_add_unless(v, 1, 0)``: ``get_page_unless_zero``'s primitive."""

    def fn(old: Any) -> tuple[Any, Any]:
        return (NO_WRITE, False) if old == 0 else (old + 1, True)

    return rmw("atomic_inc_not_zero", v, Conditional(fn), "mb")


def _cmpxchg(name: str, v: Any, old: Any, new: Any, annot: str) -> Any:
    expect, repl = raw(old), raw(new)

    def fn(cur: Any) -> tuple[Any, Any]:
        return (repl, cur) if cur == expect else (NO_WRITE, cur)

    return rmw(name, v, Conditional(fn), annot, operands=(old, new))


def _xchg(name: str, v: Any, new: Any, annot: str) -> Any:
    repl = raw(new)
    return rmw(name, v, lambda cur: (repl, cur), annot, operands=(new,))


def atomic_cmpxchg(v: Any, old: Any, new: Any) -> Any:
    return _cmpxchg("atomic_cmpxchg", v, old, new, "mb")


def atomic_cmpxchg_relaxed(v: Any, old: Any, new: Any) -> Any:
    return _cmpxchg("atomic_cmpxchg_relaxed", v, old, new, "relaxed")


def atomic_cmpxchg_acquire(v: Any, old: Any, new: Any) -> Any:
    return _cmpxchg("atomic_cmpxchg_acquire", v, old, new, "acquire")


def atomic_cmpxchg_release(v: Any, old: Any, new: Any) -> Any:
    return _cmpxchg("atomic_cmpxchg_release", v, old, new, "release")


def atomic_xchg(v: Any, new: Any) -> Any:
    return _xchg("atomic_xchg", v, new, "mb")


def atomic_xchg_relaxed(v: Any, new: Any) -> Any:
    return _xchg("atomic_xchg_relaxed", v, new, "relaxed")


def atomic_xchg_acquire(v: Any, new: Any) -> Any:
    return _xchg("atomic_xchg_acquire", v, new, "acquire")


def atomic_xchg_release(v: Any, new: Any) -> Any:
    return _xchg("atomic_xchg_release", v, new, "release")


# cmpxchg()/xchg() on a plain word (not an atomic_t) have the same semantics.
def cmpxchg(ptr: Any, old: Any, new: Any) -> Any:
    return _cmpxchg("cmpxchg", ptr, old, new, "mb")


def cmpxchg_relaxed(ptr: Any, old: Any, new: Any) -> Any:
    return _cmpxchg("cmpxchg_relaxed", ptr, old, new, "relaxed")


def cmpxchg_acquire(ptr: Any, old: Any, new: Any) -> Any:
    return _cmpxchg("cmpxchg_acquire", ptr, old, new, "acquire")


def cmpxchg_release(ptr: Any, old: Any, new: Any) -> Any:
    return _cmpxchg("cmpxchg_release", ptr, old, new, "release")


def xchg(ptr: Any, new: Any) -> Any:
    return _xchg("xchg", ptr, new, "mb")


def xchg_relaxed(ptr: Any, new: Any) -> Any:
    return _xchg("xchg_relaxed", ptr, new, "relaxed")


def xchg_acquire(ptr: Any, new: Any) -> Any:
    return _xchg("xchg_acquire", ptr, new, "acquire")


def xchg_release(ptr: Any, new: Any) -> Any:
    return _xchg("xchg_release", ptr, new, "release")
