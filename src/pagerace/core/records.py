"""Immutable records: named tuples, declared as :class:`typing.NamedTuple` classes are,
equal only to records of their own class.

The records made on the start-up path of every command (syntax nodes, findings, lock
actions, a litmus result, the candidate engine's paths) are named tuples rather than
frozen slotted dataclasses: on Python 3.11 a frozen dataclass costs 3.3 M instructions
to create (its methods are compiled from generated source), and with ``dataclasses``
(which imports ``inspect``) the 50 of them were a seventh of a ``pagerace litmus`` run
over the kernel's corpus.  :class:`Record` makes them as ``typing.NamedTuple`` does
but leaves the annotations as written: ``NamedTuple`` turns each string annotation
(every one, under ``from __future__ import annotations``) into a ``ForwardRef``, which
compiles it, and that was 60% of the cost of a class (0.96 M instructions for three
fields; 0.37 M as made here).  To mypy a :class:`Record` is a ``NamedTuple``.

A record equals only records of its class (a tuple would equal any tuple of the same
fields: ``Shared("x", p) != Address("x", p)``); equal records hash alike.
"""

from __future__ import annotations

from collections import namedtuple
from typing import TYPE_CHECKING, Any


def _eq(a: object, b: object) -> Any:
    if type(a) is type(b):
        return tuple.__eq__(a, b)  # type: ignore[operator]
    return False if isinstance(b, tuple) else NotImplemented  # (``mock.ANY`` decides)


def _ne(a: object, b: object) -> Any:
    same = _eq(a, b)
    return same if same is NotImplemented else not same


# What a record class may not define (the named tuple's own), and what is not copied.
_PROHIBITED = frozenset(
    {"__new__", "__init__", "__slots__", "__getnewargs__", "_fields", "_field_defaults"}
    | {"_make", "_replace", "_asdict", "_source"}
)
_SPECIAL = frozenset({"__module__", "__name__", "__annotations__"})


class _RecordMeta(type):
    def __new__(mcls, name: str, bases: tuple[type, ...], ns: dict[str, Any]) -> Any:
        if not bases:  # Record itself
            return super().__new__(mcls, name, bases, ns)
        annotations: dict[str, Any] = ns.get("__annotations__", {})
        defaults = [ns[f] for f in annotations if f in ns]
        given = [f in ns for f in annotations]
        if given != sorted(given):
            raise TypeError(f"{name}: a field without a default follows one with a default")
        cls = namedtuple(name, annotations, defaults=defaults, module=ns["__module__"])  # type: ignore[misc]
        cls.__annotations__ = dict(annotations)
        for key, value in ns.items():
            if key in _PROHIBITED:
                raise AttributeError(f"a record cannot define {key}")
            if key not in _SPECIAL and key not in annotations:
                setattr(cls, key, value)
        cls.__eq__ = _eq  # type: ignore[method-assign]
        cls.__ne__ = _ne  # type: ignore[method-assign]
        return cls


__all__ = ["Record"]

if TYPE_CHECKING:
    from typing import NamedTuple as Record
else:

    class Record(metaclass=_RecordMeta):
        """Base of a record class: fields annotated, defaults last, methods allowed."""
