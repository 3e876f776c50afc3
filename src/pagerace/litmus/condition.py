"""Final states and the final condition, as herd7 prints and evaluates them.

A final state maps each observed variable (a register ``0:r0`` or a shared variable
``x``) to an integer or to the name of the variable a pointer points to.  herd7 prints
it with registers first (by thread, then name), shared variables as ``[x]``, each
followed by ``;``: ``0:r0=0; 1:r0=1; [x]=2;``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pagerace.core.ops import Location
from pagerace.core.records import Record
from pagerace.explore.values import raw
from pagerace.litmus import syntax as s


class Pointer(Record):
    """A final value that is the address of a shared variable."""

    name: str

    def __str__(self) -> str:
        return self.name


FinalValue = int | Pointer
State = tuple[tuple[str, FinalValue], ...]


def key(t: s.Target) -> str:
    return f"{t.proc}:{t.name}" if isinstance(t, s.Reg) else t.name


def observed(test: s.LitmusTest) -> tuple[s.Target, ...]:
    """The variables herd7 shows in a final state: ``locations`` and the condition's."""
    found: dict[str, s.Target] = {}
    for t in (*test.locations, *atoms(test.condition.prop)):
        found.setdefault(key(t), t)
    return tuple(sorted(found.values(), key=_order))


def variables(test: s.LitmusTest) -> tuple[s.Target, ...]:
    """Every variable an outcome needs: the observed ones and the filter's."""
    found = {key(t): t for t in observed(test)}
    if test.filter is not None:
        for t in atoms(test.filter):
            found.setdefault(key(t), t)
    return tuple(found.values())


def _order(t: s.Target) -> tuple[int, int, str]:
    return (0, t.proc, t.name) if isinstance(t, s.Reg) else (1, 0, t.name)


def atoms(p: s.Prop) -> Iterable[s.Target]:
    if isinstance(p, s.Atom):
        yield p.loc
    elif isinstance(p, s.Not):
        yield from atoms(p.prop)
    elif isinstance(p, s.And | s.Or):
        yield from atoms(p.left)
        yield from atoms(p.right)


def final_value(v: Any) -> FinalValue:
    r = raw(v)
    if isinstance(r, Location):
        return Pointer(r.name)
    if isinstance(r, bool | int):
        return int(r)
    raise TypeError(f"[pagerace internal bug] final value {r!r} is neither int nor pointer")


def holds(p: s.Prop, state: Mapping[str, FinalValue]) -> bool:
    if isinstance(p, s.Atom):
        want = Pointer(p.value.name) if isinstance(p.value, s.Address) else p.value
        return (state[key(p.loc)] == want) != p.negated
    if isinstance(p, s.Const):
        return p.value
    if isinstance(p, s.Not):
        return not holds(p.prop, state)
    if isinstance(p, s.And):
        return holds(p.left, state) and holds(p.right, state)
    return holds(p.left, state) or holds(p.right, state)


def show_state(state: State) -> str:
    return " ".join(f"{_show_key(k)}={v};" for k, v in state)


def _show_key(k: str) -> str:
    return k if ":" in k else f"[{k}]"


def sort_key(state: State) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, v, "") if isinstance(v, int) else (1, 0, v.name) for _, v in state)


def show_condition(c: s.Condition) -> str:
    """herd7's rendering: ``exists (0:r0=1 /\\ not ([x]=2))``."""
    return f"{c.quantifier} ({show_prop(c.prop)})"


def show_prop(p: s.Prop) -> str:
    if isinstance(p, s.Atom):
        value = p.value.name if isinstance(p.value, s.Address) else str(p.value)
        text = f"{_show_key(key(p.loc))}={value}"
        return f"not ({text})" if p.negated else text
    if isinstance(p, s.Const):
        return "true" if p.value else "false"
    if isinstance(p, s.Not):
        return f"not ({show_prop(p.prop)})"
    op = "/\\" if isinstance(p, s.And) else "\\/"
    return f"{_operand(p.left, p)} {op} {_operand(p.right, p)}"


def _operand(child: s.Prop, parent: s.And | s.Or) -> str:
    text = show_prop(child)
    nested = isinstance(child, s.And | s.Or) and type(child) is not type(parent)
    return f"({text})" if nested else text
