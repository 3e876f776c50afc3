"""The bitwise and ``fetch_*`` members of the ``atomic_t`` family (Documentation/atomic_t.txt).

As linux-kernel.def defines them: ``atomic_and``/``or``/``xor``/``andnot`` return nothing
and are unordered (``noreturn``); ``atomic_fetch_<op>`` returns the old value and is
fully ordered (``mb``), with ``_relaxed``, ``_acquire`` and ``_release`` variants;
``atomic_add_negative`` is ``atomic_add_return(i, v) < 0``.  The add/sub/inc/dec members
that pagerace's mm model uses are in :mod:`pagerace.kernel.atomic`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from pagerace.explore.values import raw
from pagerace.kernel._access import rmw

__all__ = [
    "atomic_add_negative",
    "atomic_add_negative_acquire",
    "atomic_add_negative_relaxed",
    "atomic_add_negative_release",
    "atomic_and",
    "atomic_andnot",
    "atomic_fetch_add_acquire",
    "atomic_fetch_add_release",
    "atomic_fetch_and",
    "atomic_fetch_and_acquire",
    "atomic_fetch_and_relaxed",
    "atomic_fetch_and_release",
    "atomic_fetch_andnot",
    "atomic_fetch_andnot_acquire",
    "atomic_fetch_andnot_relaxed",
    "atomic_fetch_andnot_release",
    "atomic_fetch_dec",
    "atomic_fetch_dec_acquire",
    "atomic_fetch_dec_relaxed",
    "atomic_fetch_dec_release",
    "atomic_fetch_inc",
    "atomic_fetch_inc_acquire",
    "atomic_fetch_inc_relaxed",
    "atomic_fetch_inc_release",
    "atomic_fetch_or",
    "atomic_fetch_or_acquire",
    "atomic_fetch_or_relaxed",
    "atomic_fetch_or_release",
    "atomic_fetch_sub_acquire",
    "atomic_fetch_sub_relaxed",
    "atomic_fetch_sub_release",
    "atomic_fetch_xor",
    "atomic_fetch_xor_acquire",
    "atomic_fetch_xor_relaxed",
    "atomic_fetch_xor_release",
    "atomic_or",
    "atomic_xor",
]

_Op = Callable[[Any, Any], Any]


def _andnot(a: Any, b: Any) -> Any:
    return a & ~b


def _noreturn(name: str, f: _Op, i: Any, v: Any) -> None:
    n = raw(i)
    rmw(name, v, lambda old: (f(old, n), None), "noreturn", operands=(i,))


def _fetch(name: str, f: _Op, i: Any, v: Any, annot: str) -> Any:
    n = raw(i)
    return rmw(name, v, lambda old: (f(old, n), old), annot, operands=(i,))


def _negative(name: str, i: Any, v: Any, annot: str) -> Any:
    n = raw(i)
    return rmw(name, v, lambda old: (old + n, old + n < 0), annot, operands=(i,))


# -- bitwise, unordered -------------------------------------------------------------
def atomic_and(i: Any, v: Any) -> None:
    _noreturn("atomic_and", operator.and_, i, v)


def atomic_or(i: Any, v: Any) -> None:
    _noreturn("atomic_or", operator.or_, i, v)


def atomic_xor(i: Any, v: Any) -> None:
    _noreturn("atomic_xor", operator.xor, i, v)


def atomic_andnot(i: Any, v: Any) -> None:
    _noreturn("atomic_andnot", _andnot, i, v)


# -- fetch_<op>: the old value ------------------------------------------------------
def atomic_fetch_add_acquire(i: Any, v: Any) -> Any:
    return _fetch("atomic_fetch_add_acquire", operator.add, i, v, "acquire")


def atomic_fetch_add_release(i: Any, v: Any) -> Any:
    return _fetch("atomic_fetch_add_release", operator.add, i, v, "release")


def atomic_fetch_sub_relaxed(i: Any, v: Any) -> Any:
    return _fetch("atomic_fetch_sub_relaxed", operator.sub, i, v, "relaxed")


def atomic_fetch_sub_acquire(i: Any, v: Any) -> Any:
    return _fetch("atomic_fetch_sub_acquire", operator.sub, i, v, "acquire")


def atomic_fetch_sub_release(i: Any, v: Any) -> Any:
    return _fetch("atomic_fetch_sub_release", operator.sub, i, v, "release")


def atomic_fetch_and(i: Any, v: Any) -> Any:
    return _fetch("atomic_fetch_and", operator.and_, i, v, "mb")


def atomic_fetch_and_relaxed(i: Any, v: Any) -> Any:
    return _fetch("atomic_fetch_and_relaxed", operator.and_, i, v, "relaxed")


def atomic_fetch_and_acquire(i: Any, v: Any) -> Any:
    return _fetch("atomic_fetch_and_acquire", operator.and_, i, v, "acquire")


def atomic_fetch_and_release(i: Any, v: Any) -> Any:
    return _fetch("atomic_fetch_and_release", operator.and_, i, v, "release")


def atomic_fetch_or(i: Any, v: Any) -> Any:
    return _fetch("atomic_fetch_or", operator.or_, i, v, "mb")


def atomic_fetch_or_relaxed(i: Any, v: Any) -> Any:
    return _fetch("atomic_fetch_or_relaxed", operator.or_, i, v, "relaxed")


def atomic_fetch_or_acquire(i: Any, v: Any) -> Any:
    return _fetch("atomic_fetch_or_acquire", operator.or_, i, v, "acquire")


def atomic_fetch_or_release(i: Any, v: Any) -> Any:
    return _fetch("atomic_fetch_or_release", operator.or_, i, v, "release")


def atomic_fetch_xor(i: Any, v: Any) -> Any:
    return _fetch("atomic_fetch_xor", operator.xor, i, v, "mb")


def atomic_fetch_xor_relaxed(i: Any, v: Any) -> Any:
    return _fetch("atomic_fetch_xor_relaxed", operator.xor, i, v, "relaxed")


def atomic_fetch_xor_acquire(i: Any, v: Any) -> Any:
    return _fetch("atomic_fetch_xor_acquire", operator.xor, i, v, "acquire")


def atomic_fetch_xor_release(i: Any, v: Any) -> Any:
    return _fetch("atomic_fetch_xor_release", operator.xor, i, v, "release")


def atomic_fetch_andnot(i: Any, v: Any) -> Any:
    return _fetch("atomic_fetch_andnot", _andnot, i, v, "mb")


def atomic_fetch_andnot_relaxed(i: Any, v: Any) -> Any:
    return _fetch("atomic_fetch_andnot_relaxed", _andnot, i, v, "relaxed")


def atomic_fetch_andnot_acquire(i: Any, v: Any) -> Any:
    return _fetch("atomic_fetch_andnot_acquire", _andnot, i, v, "acquire")


def atomic_fetch_andnot_release(i: Any, v: Any) -> Any:
    return _fetch("atomic_fetch_andnot_release", _andnot, i, v, "release")


def atomic_fetch_inc(v: Any) -> Any:
    return _fetch("atomic_fetch_inc", operator.add, 1, v, "mb")


def atomic_fetch_inc_relaxed(v: Any) -> Any:
    return _fetch("atomic_fetch_inc_relaxed", operator.add, 1, v, "relaxed")


def atomic_fetch_inc_acquire(v: Any) -> Any:
    return _fetch("atomic_fetch_inc_acquire", operator.add, 1, v, "acquire")


def atomic_fetch_inc_release(v: Any) -> Any:
    return _fetch("atomic_fetch_inc_release", operator.add, 1, v, "release")


def atomic_fetch_dec(v: Any) -> Any:
    return _fetch("atomic_fetch_dec", operator.sub, 1, v, "mb")


def atomic_fetch_dec_relaxed(v: Any) -> Any:
    return _fetch("atomic_fetch_dec_relaxed", operator.sub, 1, v, "relaxed")


def atomic_fetch_dec_acquire(v: Any) -> Any:
    return _fetch("atomic_fetch_dec_acquire", operator.sub, 1, v, "acquire")


def atomic_fetch_dec_release(v: Any) -> Any:
    return _fetch("atomic_fetch_dec_release", operator.sub, 1, v, "release")


# -- add_negative -------------------------------------------------------------------
def atomic_add_negative(i: Any, v: Any) -> Any:
    return _negative("atomic_add_negative", i, v, "mb")


def atomic_add_negative_relaxed(i: Any, v: Any) -> Any:
    return _negative("atomic_add_negative_relaxed", i, v, "relaxed")


def atomic_add_negative_acquire(i: Any, v: Any) -> Any:
    return _negative("atomic_add_negative_acquire", i, v, "acquire")


def atomic_add_negative_release(i: Any, v: Any) -> Any:
    return _negative("atomic_add_negative_release", i, v, "release")
