"""Immutable records as named tuples, equal only to records of their own class.

The records made on the start-up path of every command (syntax nodes, findings, lock
actions, a litmus result) are :class:`typing.NamedTuple` classes rather than frozen
slotted dataclasses: a frozen dataclass costs 3.3 M instructions to create on Python
3.11 (its methods are compiled from generated source), a named tuple 0.6 M, and the 50
of them were a seventh of a ``pagerace litmus`` run over the kernel's corpus.  Both are
immutable and slotted; :func:`distinct` takes away what a tuple adds, equality with
other tuples of the same fields (``Shared("x", p) != Address("x", p)``).
"""

from __future__ import annotations


def _eq(a: object, b: object) -> bool:
    return type(a) is type(b) and tuple.__eq__(a, b)  # type: ignore[operator]


def _ne(a: object, b: object) -> bool:
    return not _eq(a, b)


def distinct(*classes: type) -> None:
    """Instances of each of ``classes`` equal only instances of the same class (the
    tuple hash stays: equal records still hash alike)."""
    for cls in classes:
        cls.__eq__ = _eq  # type: ignore[assignment,method-assign]
        cls.__ne__ = _ne  # type: ignore[assignment,method-assign]
