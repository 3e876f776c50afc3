"""The kernel macros a litmus body may call, each mapped to its pagerace primitive.

The set is tools/memory-model/linux-kernel.def (the LKMM's macro definitions), plus the
``pagerace.kernel`` primitives of the same families (``atomic_inc_not_zero``,
``atomic_dec_and_test``, ...).  Each argument has a kind, as in the ``.def`` file:

- ``loc``: an lvalue naming a shared location, ``READ_ONCE(*x)`` (the ``.def`` uses ``X``);
- ``ptr``: a pointer value, ``smp_load_acquire(x)``, ``atomic_inc(v)`` (the ``.def``
  dereferences it: ``*X``);
- ``val``: a value.

Anything not in :data:`MACROS` is rejected by name before the test runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from pagerace import kernel as k
from pagerace.core.records import Record

LOC, PTR, VAL = "loc", "ptr", "val"


class Macro(Record):
    name: str
    args: tuple[str, ...]
    call: Callable[..., Any]
    returns: bool  # False: a statement only (``smp_mb()``, ``WRITE_ONCE(...)``)


def smp_store_mb(x: Any, v: Any) -> None:
    """linux-kernel.def: ``{ __store{ONCE}(X,V); __fence{MB}; }``."""
    k.WRITE_ONCE(x, v)
    k.smp_mb()


_FENCES = (
    k.smp_mb,
    k.smp_rmb,
    k.smp_wmb,
    k.smp_mb__before_atomic,
    k.smp_mb__after_atomic,
    k.smp_mb__after_spinlock,
    k.smp_mb__after_unlock_lock,
    k.smp_mb__after_srcu_read_unlock,
    k.barrier,
    k.rcu_read_lock,
    k.rcu_read_unlock,
    k.synchronize_rcu,
)
_ORDERS = ("", "_relaxed", "_acquire", "_release")


def _family(*stems: str) -> tuple[Callable[..., Any], ...]:
    """``atomic_xchg``, ``atomic_xchg_relaxed``, ... for each stem."""
    return tuple(getattr(k, f"{stem}{o}") for stem in stems for o in _ORDERS)


# (argument kinds, returns a value, primitives)
_TABLE: tuple[tuple[tuple[str, ...], bool, tuple[Callable[..., Any], ...]], ...] = (
    ((), False, _FENCES),
    ((LOC,), True, (k.READ_ONCE, k.rcu_dereference)),
    ((LOC, VAL), False, (k.WRITE_ONCE, k.rcu_assign_pointer, smp_store_mb)),
    ((PTR,), False, (k.atomic_inc, k.atomic_dec, k.spin_lock, k.spin_unlock)),
    ((PTR,), False, (k.synchronize_srcu,)),
    (
        (PTR,),
        True,
        (
            k.smp_load_acquire,
            k.atomic_read,
            k.atomic_read_acquire,
            k.atomic_dec_and_test,
            k.atomic_inc_and_test,
            k.atomic_inc_not_zero,
            k.spin_trylock,
            k.spin_is_locked,
            k.srcu_read_lock,
            *_family("atomic_inc_return", "atomic_dec_return"),
            *_family("atomic_fetch_inc", "atomic_fetch_dec"),
        ),
    ),
    (
        (PTR, VAL),
        False,
        (k.smp_store_release, k.atomic_set, k.atomic_set_release, k.srcu_read_unlock),
    ),
    ((PTR, VAL), True, _family("xchg", "atomic_xchg")),
    ((PTR, VAL, VAL), True, (*_family("cmpxchg", "atomic_cmpxchg"), k.atomic_add_unless)),
    (
        (VAL, PTR),
        False,
        (k.atomic_add, k.atomic_sub, k.atomic_and, k.atomic_or, k.atomic_xor, k.atomic_andnot),
    ),
    (
        (VAL, PTR),
        True,
        (
            *_family("atomic_add_return", "atomic_sub_return"),
            *_family("atomic_fetch_add", "atomic_fetch_sub", "atomic_fetch_and"),
            *_family("atomic_fetch_or", "atomic_fetch_xor", "atomic_fetch_andnot"),
            *_family("atomic_add_negative"),
            k.atomic_sub_and_test,
        ),
    ),
)

# linux-kernel.def aliases: same events as the primitive they name.
_ALIASES = {
    "synchronize_rcu_expedited": "synchronize_rcu",
    "synchronize_srcu_expedited": "synchronize_srcu",
    "srcu_down_read": "srcu_read_lock",
    "srcu_up_read": "srcu_read_unlock",
}


def _macros() -> dict[str, Macro]:
    table = {
        f.__name__: Macro(f.__name__, args, f, returns) for args, returns, fs in _TABLE for f in fs
    }
    for alias, name in _ALIASES.items():
        m = table[name]
        table[alias] = Macro(alias, m.args, m.call, m.returns)
    return table


MACROS: Mapping[str, Macro] = MappingProxyType(_macros())
