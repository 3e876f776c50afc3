"""Name resolution and static checks: every error a test can have before it runs.

A parsed test is checked once: every name is a register (a local of its thread) or a
parameter (a pointer to the shared variable of the same name, as in herd7), every call
is a known kernel macro with the right number and kind of arguments, every register
in the init block, ``locations``, ``filter`` and the condition belongs to its thread.
The result, a :class:`Layout`, lists the shared variables and initial values.
"""

from __future__ import annotations

from pagerace.core.errors import InputError
from pagerace.core.records import Record
from pagerace.litmus import syntax as s
from pagerace.litmus.macros import LOC, MACROS, PTR

_MACRO_HINT = (
    "pagerace knows the macros of tools/memory-model/linux-kernel.def: READ_ONCE, "
    "WRITE_ONCE, smp_*, atomic_*, xchg*, cmpxchg*, spin_*, rcu_*, srcu_*"
)


class Layout(Record):
    """Shared variables in creation order with their initial values (0 when absent),
    and per thread its registers and their initial values."""

    shared: tuple[str, ...]
    init: tuple[tuple[str, s.Value], ...]
    registers: tuple[frozenset[str], ...]
    reg_init: tuple[tuple[tuple[str, s.Value], ...], ...]


def resolve(test: s.LitmusTest) -> Layout:
    """Check ``test``; raise :class:`InputError` at the first problem."""
    return _Resolver(test).layout()


class _Resolver:
    def __init__(self, test: s.LitmusTest) -> None:
        self.test = test
        self.shared: dict[str, None] = {}  # insertion-ordered set
        self.registers = [_locals(p) for p in test.procs]

    def error(self, pos: s.Pos, message: str, hint: str = "") -> InputError:
        return InputError(self.test.file, pos.line, pos.col, message, hint)

    def layout(self) -> Layout:
        init, reg_init = self._init()
        for proc in self.test.procs:
            self._proc(proc)
        for target in self.test.locations:
            self._target(target)
        if self.test.filter is not None:
            self._prop(self.test.filter)
        self._prop(self.test.condition.prop)
        return Layout(
            tuple(self.shared),
            tuple(init.items()),
            tuple(frozenset(r) for r in self.registers),
            tuple(tuple(r.items()) for r in reg_init),
        )

    # -- init block --------------------------------------------------------------------
    def _init(self) -> tuple[dict[str, s.Value], list[dict[str, s.Value]]]:
        init: dict[str, s.Value] = {}
        reg_init: list[dict[str, s.Value]] = [{} for _ in self.test.procs]
        for item in self.test.init:
            value = 0 if item.value is None else item.value
            t = item.target
            if isinstance(t, s.Reg):
                self._target(t)
                table = reg_init[t.proc]
                key, shown = t.name, f"{t.proc}:{t.name}"
            else:
                self.shared.setdefault(t.name)
                table, key, shown = init, t.name, t.name
            if key in table:
                raise self.error(item.pos, f"{shown} is initialised twice")
            table[key] = value
            if isinstance(value, s.Address):
                self.shared.setdefault(value.name)
        return init, reg_init

    # -- threads -----------------------------------------------------------------------
    def _proc(self, proc: s.Proc) -> None:
        params: set[str] = set()
        for p in proc.params:
            if p.name in params:
                raise self.error(p.pos, f"P{proc.index} has two parameters named {p.name}")
            if p.name in self.registers[proc.index]:
                raise self.error(
                    p.pos, f"{p.name} is both a parameter and a local of P{proc.index}"
                )
            params.add(p.name)
            self.shared.setdefault(p.name)
        scope = _Scope(self, proc.index, params)
        for st in s.statements(proc.body):
            scope.stmt(st)

    # -- conditions --------------------------------------------------------------------
    def _target(self, t: s.Target) -> None:
        if isinstance(t, s.Shared):
            self.shared.setdefault(t.name)
            return
        if t.proc >= len(self.test.procs):
            raise self.error(t.pos, f"{t.proc}:{t.name} names thread P{t.proc}, which is absent")
        if t.name not in self.registers[t.proc]:
            raise self.error(
                t.pos,
                f"{t.proc}:{t.name}: P{t.proc} has no local named {t.name}",
                f"declare it in P{t.proc} (`int {t.name};`)",
            )

    def _prop(self, p: s.Prop) -> None:
        if isinstance(p, s.Atom):
            self._target(p.loc)
            if isinstance(p.value, s.Address):
                self.shared.setdefault(p.value.name)
        elif isinstance(p, s.Not):
            self._prop(p.prop)
        elif isinstance(p, s.And | s.Or):
            self._prop(p.left)
            self._prop(p.right)


class _Scope:
    """Checks one thread's statements against its registers and parameters."""

    def __init__(self, r: _Resolver, index: int, params: set[str]) -> None:
        self.r, self.index, self.params = r, index, params
        self.locals = r.registers[index]

    def stmt(self, st: s.Stmt) -> None:
        if isinstance(st, s.Decl):
            if st.init is not None:
                self.expr(st.init)
        elif isinstance(st, s.Assign):
            self._assign_target(st.target)
            self.expr(st.value)
        elif isinstance(st, s.ExprStmt):
            self.expr(st.expr, value=False)
        elif isinstance(st, s.If):
            self.expr(st.cond)

    def _assign_target(self, t: s.Expr) -> None:
        if isinstance(t, s.Var) and t.name in self.locals:
            return
        if isinstance(t, s.Unary) and t.op == "*":
            self.expr(t.operand)
            return
        if isinstance(t, s.Var) and t.name in self.params:
            raise self.r.error(
                t.pos,
                f"cannot assign to the parameter {t.name}",
                f"store through it: `*{t.name} = v;` (plain) or `WRITE_ONCE(*{t.name}, v);`",
            )
        if isinstance(t, s.Var):
            self.expr(t)  # reports the unknown name
        raise self.r.error(t.pos, "cannot assign to this expression")

    def expr(self, e: s.Expr, value: bool = True) -> None:
        if isinstance(e, s.Var):
            if e.name not in self.locals and e.name not in self.params:
                raise self.r.error(
                    e.pos,
                    f"unknown name `{e.name}` in P{self.index}",
                    f"declare it (`int {e.name};`) or add it to P{self.index}'s parameters",
                )
        elif isinstance(e, s.Unary):
            if e.op == "&" and not (isinstance(e.operand, s.Unary) and e.operand.op == "*"):
                raise self.r.error(
                    e.pos,
                    "`&` applies only to `*p` here",
                    "litmus parameters are pointers already: pass `x`, not `&x`",
                )
            self.expr(e.operand)
        elif isinstance(e, s.Binary):
            self.expr(e.left)
            self.expr(e.right)
        elif isinstance(e, s.Cast):
            self.expr(e.operand, value=value and e.type != "void")
        elif isinstance(e, s.Call):
            self._call(e, value)

    def _call(self, c: s.Call, value: bool) -> None:
        m = MACROS.get(c.name)
        if m is None:
            raise self.r.error(c.pos, f"unsupported primitive `{c.name}`", _MACRO_HINT)
        if len(c.args) != len(m.args):
            n = len(m.args)
            raise self.r.error(
                c.pos,
                f"{c.name} takes {n} argument{'s' if n != 1 else ''}, got {len(c.args)}",
            )
        if value and not m.returns:
            raise self.r.error(c.pos, f"{c.name}() has no value")
        for kind, arg in zip(m.args, c.args, strict=True):
            if kind == LOC and not (isinstance(arg, s.Unary) and arg.op == "*"):
                raise self.r.error(
                    arg.pos,
                    f"{c.name} needs a shared location such as `*x`",
                    f"write {c.name}(*x{', v' if len(m.args) > 1 else ''})",
                )
            self.expr(arg)
            if kind == PTR and isinstance(arg, s.Num):
                raise self.r.error(arg.pos, f"{c.name} needs a pointer, got the number {arg.value}")


def _locals(proc: s.Proc) -> set[str]:
    return {st.name for st in s.statements(proc.body) if isinstance(st, s.Decl)}
