"""A litmus test as a pagerace :class:`~pagerace.explore.Program`.

``build(world)`` creates one location per shared variable (initial values from the init
block; a pointer is a location holding another location) and one model thread per
``Pn`` body.  A thread interprets its statements: every kernel macro calls the
``pagerace.kernel`` primitive of the same name, so the explorer sees each access; a
plain ``*p`` is ``plain_read``/``plain_write``.  Registers are Python values inside the
thread; values read from memory stay :class:`~pagerace.explore.Val` objects, so
address, data and control dependencies are recorded as for any Python model.

When a thread ends it leaves its registers in the run's :class:`Run` (no memory event);
:attr:`LitmusProgram.runs` maps each World to its Run, for the outcome of the execution.
"""

from __future__ import annotations

import operator
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from pagerace import kernel as k
from pagerace.core.errors import InputError
from pagerace.core.ops import Location
from pagerace.explore import Program, Val, World
from pagerace.explore.values import raw, unwrap
from pagerace.litmus import syntax as s
from pagerace.litmus.macros import LOC, MACROS, PTR
from pagerace.litmus.resolve import Layout


class Run:
    """What one run leaves besides memory: each thread's final registers, or the first
    error a thread hit (a null dereference, pointer arithmetic, ...)."""

    __slots__ = ("error", "registers")

    def __init__(self, registers: list[dict[str, Any] | None]) -> None:
        self.registers = registers
        self.error: InputError | None = None


class LitmusProgram:
    """A test as a :class:`Program`; ``runs``: what each run's World left."""

    def __init__(self, test: s.LitmusTest, layout: Layout) -> None:
        self.test, self.layout = test, layout
        self.runs: weakref.WeakKeyDictionary[World, Run] = weakref.WeakKeyDictionary()
        # What every run builds alike, worked out once (a run is built per thread path).
        init = dict(layout.init)
        self._shared = [(n, init.get(n, 0)) for n in layout.shared]
        self._threads = [_ThreadSetup(proc, layout) for proc in test.procs]

    def program(self) -> Program:
        return Program(self.test.name, self.build, {"litmus": self.test.file}, self.build_one)

    def build(self, world: World) -> None:
        self._build(world, self._threads)

    def build_one(self, world: World, tid: int) -> None:
        """The locations and thread ``Ptid`` alone (its registers go to index tid)."""
        self._build(world, (self._threads[tid],))

    def _build(self, world: World, threads: Sequence[_ThreadSetup]) -> None:
        locs: dict[str, Location] = {}
        for name, v in self._shared:  # (a pointer's target made before it is stored)
            locs[name] = world.location(name, 0 if isinstance(v, s.Address) else v)
        for name, v in self._shared:
            if isinstance(v, s.Address):
                world.init(locs[name], locs[v.name])
        run = Run([None] * len(self.test.procs))
        self.runs[world] = run
        for t in threads:
            regs = dict(t.regs)
            for reg, target in t.pointers:
                regs[reg] = locs[target]
            params = {p: locs[p] for p in t.params}
            world.thread(t.name)(_Thread(self.test.file, t.proc, params, regs, run).run)


class _ThreadSetup:
    """A thread's name, registers with their initial values (``pointers``: registers
    that start as the address of a shared variable), and parameters."""

    __slots__ = ("name", "params", "pointers", "proc", "regs")

    def __init__(self, proc: s.Proc, layout: Layout) -> None:
        self.proc, self.name = proc, f"P{proc.index}"
        self.regs: dict[str, Any] = dict.fromkeys(layout.registers[proc.index], 0)
        self.pointers: list[tuple[str, str]] = []
        for n, v in layout.reg_init[proc.index]:
            if isinstance(v, s.Address):
                self.pointers.append((n, v.name))
            else:
                self.regs[n] = v
        self.params = [p.name for p in proc.params]


class _Fail(Exception):
    """Ends a thread after a runtime error; the error itself is in the Run."""


def _cdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _cmod(a: int, b: int) -> int:
    return a - b * _cdiv(a, b)


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _cdiv,
    "%": _cmod,
    "&": operator.and_,
    "|": operator.or_,
    "^": operator.xor,
    "<<": operator.lshift,
    ">>": operator.rshift,
    "==": lambda a, b: int(a == b),
    "!=": lambda a, b: int(a != b),
    "<": lambda a, b: int(a < b),
    "<=": lambda a, b: int(a <= b),
    ">": lambda a, b: int(a > b),
    ">=": lambda a, b: int(a >= b),
}


def _lift(f: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
    """``f`` on raw values; the result carries both operands' dependencies."""
    va, da = unwrap(a)
    vb, db = unwrap(b)
    r = f(va, vb)
    return Val(r, da | db) if da or db else r


class _Thread:
    """Interprets one ``Pn`` body inside its model thread."""

    def __init__(
        self,
        file: str,
        proc: s.Proc,
        params: dict[str, Location],
        regs: dict[str, Any],
        run: Run,
    ) -> None:
        self.file, self.proc, self.params, self.regs, self.run_ = file, proc, params, regs, run

    def run(self) -> None:
        self.block(self.proc.body)
        self.run_.registers[self.proc.index] = dict(self.regs)

    def fail(self, pos: s.Pos, message: str) -> _Fail:
        if self.run_.error is None:
            self.run_.error = InputError(
                self.file, pos.line, pos.col, f"P{self.proc.index}: {message}"
            )
        return _Fail(message)

    # -- statements --------------------------------------------------------------------
    def block(self, body: tuple[s.Stmt, ...]) -> None:
        for st in body:
            self.stmt(st)

    def stmt(self, st: s.Stmt) -> None:
        if isinstance(st, s.ExprStmt):
            self.expr(st.expr)
        elif isinstance(st, s.Assign):
            value = self.expr(st.value)
            if isinstance(st.target, s.Var):
                self.regs[st.target.name] = value
            else:
                k.plain_write(self.address(st.target), value)
        elif isinstance(st, s.Decl):
            if st.init is not None:
                self.regs[st.name] = self.expr(st.init)
        elif self.expr(st.cond):  # If: a Val's reads become control dependencies
            self.block(st.then)
        else:
            self.block(st.orelse)

    # -- expressions -------------------------------------------------------------------
    def expr(self, e: s.Expr) -> Any:
        if isinstance(e, s.Num):
            return e.value
        if isinstance(e, s.Var):
            return self.regs[e.name] if e.name in self.regs else self.params[e.name]
        if isinstance(e, s.Call):
            return self.call(e)
        if isinstance(e, s.Binary):
            return self.binary(e)
        if isinstance(e, s.Unary):
            return self.unary(e)
        value = self.expr(e.operand)  # Cast
        return None if e.type == "void" else value

    def binary(self, e: s.Binary) -> Any:
        left = self.expr(e.left)
        if e.op in ("&&", "||"):
            # C evaluates the right operand only when it must: a branch on the left.
            if bool(left) == (e.op == "||"):
                return int(e.op == "||")
            return _lift(operator.ne, self.expr(e.right), 0)
        right = self.expr(e.right)
        try:
            return _lift(_BINARY[e.op], left, right)
        except ZeroDivisionError:
            raise self.fail(e.pos, f"division by zero in `{e.op}`") from None
        except TypeError:
            raise self.fail(
                e.pos, f"`{e.op}` on a pointer ({_show(left)}, {_show(right)}) is not supported"
            ) from None

    def unary(self, e: s.Unary) -> Any:
        if e.op == "*":
            return k.plain_read(self.address(e))
        if e.op == "&":  # `&*p` is p (the resolver allows `&` on `*p` only)
            assert isinstance(e.operand, s.Unary)
            return self.pointer(e.operand.operand)
        v = self.expr(e.operand)
        if e.op == "!":
            return _lift(operator.eq, v, 0)
        if isinstance(raw(v), Location):
            raise self.fail(e.pos, f"`{e.op}` on a pointer ({_show(v)}) is not supported")
        return -v if e.op == "-" else ~v

    def address(self, lvalue: s.Expr) -> Any:
        """The location ``*p`` names: the value of ``p``, which must be a pointer."""
        assert isinstance(lvalue, s.Unary) and lvalue.op == "*"
        return self.pointer(lvalue.operand, lvalue.pos)

    def pointer(self, e: s.Expr, at: s.Pos | None = None) -> Any:
        v = self.expr(e)
        if not isinstance(raw(v), Location):
            raise self.fail(at or e.pos, f"dereferencing {_show(v)}, which is not a pointer")
        return v

    def call(self, c: s.Call) -> Any:
        m = MACROS[c.name]
        args = []
        for kind, arg in zip(m.args, c.args, strict=True):
            if kind == LOC:
                args.append(self.address(arg))
            elif kind == PTR:
                args.append(self.pointer(arg))
            else:
                args.append(self.expr(arg))
        return m.call(*args)


def _show(v: Any) -> str:
    r = raw(v)
    return f"&{r.name}" if isinstance(r, Location) else repr(r)
