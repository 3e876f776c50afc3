"""Evaluating a cat model on one concrete execution.

:meth:`CatModel.load` parses a model and everything it includes, once.  Includes are
looked up in the model's directory; herd's own library files (``stdlib.cat``,
``cross.cat``, ``cos-opt.cat``, ``cos.cat``) are always the native versions of
:mod:`.stdlib`.  :meth:`CatModel.check` then runs herd's sequence on one execution:
``stdlib.cat``, the bell file, the cat file, in one environment.

The environment is what the caller knows of the execution (a flat mapping, or an object
or mapping with ``sets``, ``relations``, ``values`` and ``tags``):

- event sets (``frozenset[int]``): ``R``, ``W``, ``M``, ``F``, ``IW``, ``FW``, ``RMW``,
  ``LKR``, ``LKW``, ``UL``, ``LF``, ``RL``, ``RU``...  As in herd: ``W`` includes the
  initial writes ``IW``; ``R`` and ``W`` need not hold lock events (lock.cat adds them);
  ``FW`` holds the co-last write of each location the test's final condition reads (herd
  computes only those when the model generates co; a lock's would raise ``lock-final``);
- relations (:class:`~pagerace.graph.relation.Relation`): ``po``, ``rf``, ``co``, ``rmw``,
  ``addr``, ``data``, ``ctrl``, ``loc``, ``ext``, ``int``, ``fr``... (``id`` defaults to
  the identity, ``po-loc``/``rfe``/``rfi``/``co0`` are recomputed as stdlib.cat does);
- ``universe`` (or ``_``): every event (default: every event mentioned);
- ``values``: event -> value, for ``different-values``;
- ``tags``: bell tag as written (``"ONCE"``, ``"rcu-lock"``) -> the events carrying it.
  Each tag ``'x`` becomes the set ``X`` named with its first letter capitalised
  (``ONCE``, ``Rcu-lock``, ``Sync-rcu``), as herd's ``BellName.tag2instrs_var`` does;
  a tag the model declares and the caller omits is the empty set.

``with x from S`` (herd: run the rest of the model once per candidate in ``S``): the
caller's execution is already concrete, one ``rf`` and one ``co``, so ``x`` is bound to
the one candidate consistent with it, the candidate equal to the concrete relation
``x`` stands for (``witnesses``: ``co`` for ``co``, ``rf`` for lock.cat's ``rfe-lf`` and
``rf-ru``) restricted to the pairs some candidate has.  With no such candidate the
execution is one herd never builds: a violation named ``x``.  Candidate sets from
``cross`` and ``generate_cos`` are tested, never enumerated.

Results: herd stops at the first failing check; so does :meth:`CatModel.check` unless
``keep_going=True``.  A check without ``as`` is named by its text (``acyclic po | rf``),
which is what herd prints for it; an unnamed flag too (herd drops it with a warning).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from pagerace.core.errors import InputError, UsageError
from pagerace.graph.relation import Relation
from pagerace.models.cat import parser as p
from pagerace.models.cat import stdlib as lib
from pagerace.models.cat.stdlib import EMPTY, UNIVERSE, EvSet, Mismatch, Rel, Value

WITNESSES: Mapping[str, str] = MappingProxyType({"co": "co", "rfe-lf": "rf", "rf-ru": "rf"})


class ExecutionView(Protocol):
    """An execution as base names (what ``pagerace.models.herdview`` produces)."""

    @property
    def sets(self) -> Mapping[str, frozenset[int]]: ...

    @property
    def relations(self) -> Mapping[str, Relation]: ...

    @property
    def values(self) -> Mapping[int, object]: ...

    @property
    def tags(self) -> Mapping[str, frozenset[int]]: ...


Environment = Mapping[str, Any] | ExecutionView


def tag_set_name(tag: str) -> str:
    """The event set herd names after a bell tag: ``'rcu-lock`` -> ``Rcu-lock``."""
    return tag[:1].upper() + tag[1:]


@dataclass(frozen=True, slots=True)
class CatResult:
    """The verdict of a model on one execution."""

    violations: tuple[str, ...]  # failed checks (herd stops at the first)
    flags: tuple[str, ...]  # raised flags, in order
    bindings: Mapping[str, Value] = field(repr=False)
    events: tuple[int, ...] = field(repr=False)

    @property
    def consistent(self) -> bool:
        return not self.violations

    def value(self, name: str) -> frozenset[int] | Relation:
        """A set or relation the model bound (``result.value("hb")``), for debugging."""
        if name not in self.bindings:
            close = difflib.get_close_matches(name, list(self.bindings), n=3)
            raise UsageError("binding", name, f"a name the model binds (close: {close})")
        v, ev = self.bindings[name], self.events
        if v is EMPTY:
            return frozenset()
        if isinstance(v, EvSet):
            return frozenset(ev[i] for i in _members(v.bits))
        if isinstance(v, Rel):
            n = len(ev)
            return Relation((ev[b // n], ev[b % n]) for b in _members(v.bits))
        raise UsageError("binding", name, f"a set or relation, not a {lib.type_name(v)}")


def _members(bits: int) -> Iterable[int]:
    while bits:
        low = bits & -bits
        yield low.bit_length() - 1
        bits ^= low


@dataclass(frozen=True)
class CatModel:
    """A cat model, parsed and compiled once, checked on many executions."""

    directory: Path
    title: str
    programs: tuple[p.Program, ...]  # the bell file (if any), then the cat file
    includes: Mapping[str, p.Program]
    variants: frozenset[str]
    witnesses: Mapping[str, str]
    tags: tuple[str, ...]  # every tag an enum declares
    steps: tuple[Step, ...] = field(repr=False, compare=False)
    _algebras: dict[int, lib.Algebra] = field(default_factory=dict, repr=False, compare=False)
    # Relations already turned into bits, per universe: an explorer passes the same `loc`,
    # `int`, `ext`... again and again (hashing a Relation is cheap, converting one is not).
    _bits_cache: dict[tuple[int, ...], dict[Relation, int]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def load(
        cls,
        directory: str | Path,
        name: str = "linux-kernel.cat",
        variants: frozenset[str] = frozenset({"lkmmv2"}),
        *,
        bell: str | None = "linux-kernel.bell",
        witnesses: Mapping[str, str] = WITNESSES,
    ) -> CatModel:
        """Parse ``name`` (and ``bell``, unless None) from ``directory``, with includes."""
        d = Path(directory)
        if not d.is_dir():
            raise UsageError("model directory", str(d), "a directory holding the .cat files")
        includes: dict[str, p.Program] = {}
        programs = tuple(_load(d, f, includes, ()) for f in (bell, name) if f is not None)
        enums = [e for prog in (*programs, *includes.values()) for e in _enums(prog.instructions)]
        st = _Static(
            variants=variants,
            enums={e.name: e.tags for e in enums},
            tag_enum={t: e.name for e in enums for t in e.tags},
            includes=includes,
            compiled={},
        )
        steps = tuple(step for prog in programs for step in _program(prog, st))
        tags = tuple(dict.fromkeys(t for e in enums for t in e.tags))
        title = programs[-1].title
        return cls(d, title, programs, includes, variants, witnesses, tags, steps)

    def check(self, env: Environment, *, keep_going: bool = False) -> CatResult:
        """Run the model on one execution; ``keep_going`` evaluates past a failed check."""
        bases, values, tags, universe = _flatten(env)
        events = tuple(sorted(universe))
        index = {e: i for i, e in enumerate(events)}
        alg = self._algebras.get(len(events))
        if alg is None:
            alg = self._algebras.setdefault(len(events), lib.Algebra(len(events)))
        cache = self._bits_cache.get(events)
        if cache is None or len(cache) > 1024:
            if len(self._bits_cache) > 64:
                self._bits_cache.clear()
            cache = self._bits_cache[events] = {}
        initial, base_rels = _convert(bases, index, alg, cache)
        initial.setdefault("id", Rel(alg.diag))
        for tag in (*self.tags, *tags):
            initial.setdefault(tag_set_name(tag), EvSet(_bits(tags.get(tag, ()), index, tag)))
        vals = [values.get(e) for e in events]
        run = _Run(alg, initial, base_rels, vals, self.witnesses, keep_going)
        run.execute(self.steps)
        return CatResult(tuple(run.violations), tuple(run.flags), run.env, events)


def _load(d: Path, file: str, seen: dict[str, p.Program], stack: tuple[str, ...]) -> p.Program:
    path = d / file
    if not path.is_file():
        raise InputError(str(path), 1, 1, "no such model file", f"the directory holds: {_ls(d)}")
    prog = p.parse_file(path, file)
    _resolve(d, prog.instructions, seen, (*stack, file))
    return prog


def _resolve(
    d: Path, ins: Iterable[p.Instruction], seen: dict[str, p.Program], stack: tuple[str, ...]
) -> None:
    for i in ins:
        if isinstance(i, p.IfVariantIns):
            _resolve(d, (*i.then, *i.orelse), seen, stack)
        if not isinstance(i, p.Include) or i.file in lib.NATIVE_INCLUDES or i.file in seen:
            continue
        if i.file in stack:
            raise i.loc.error(f"include cycle: {' -> '.join((*stack, i.file))}")
        if not (d / i.file).is_file():
            raise i.loc.error(
                f"cannot find `{i.file}` in {d}",
                f"files there: {_ls(d)}; built in: {', '.join(lib.NATIVE_INCLUDES)}",
            )
        seen[i.file] = _load(d, i.file, seen, stack)


def _ls(d: Path) -> str:
    return ", ".join(sorted(f.name for f in d.glob("*.cat"))) or "no .cat file"


def _enums(ins: Iterable[p.Instruction]) -> list[p.Enum]:
    found: list[p.Enum] = []
    for i in ins:
        if isinstance(i, p.Enum):
            found.append(i)
        elif isinstance(i, p.IfVariantIns):
            found.extend(_enums((*i.then, *i.orelse)))
    return found


# -- the environment ---------------------------------------------------------------------


def _flatten(
    env: Environment,
) -> tuple[dict[str, object], Mapping[int, object], Mapping[str, Iterable[int]], set[int]]:
    if isinstance(env, Mapping) and not {"sets", "relations"} & env.keys():
        flat = dict(env)
        values = flat.pop("values", {})
        tags = flat.pop("tags", {})
        universe = flat.pop("universe", None)
        universe = flat.pop("_", universe)
    else:
        get: Callable[[str], Any] = (
            env.get if isinstance(env, Mapping) else lambda k: getattr(env, k, None)
        )
        flat = {**(get("sets") or {}), **(get("relations") or {})}
        values, tags, universe = get("values") or {}, get("tags") or {}, get("universe")
    if universe is None:
        universe = set().union(*(_ids(v) for v in (*flat.values(), *tags.values())))
    return flat, values, tags, set(universe)


def _ids(v: object) -> set[int]:
    if isinstance(v, Relation):
        return {e for pair in v.pairs for e in pair}
    return set(v) if isinstance(v, frozenset | set) else set()


def _bits(events: Iterable[int], index: Mapping[int, int], what: str) -> int:
    bits = 0
    for e in events:
        if e not in index:
            raise UsageError(what, e, "an event of the universe")
        bits |= 1 << index[e]
    return bits


def _convert(
    bases: Mapping[str, object],
    index: Mapping[int, int],
    alg: lib.Algebra,
    cache: dict[Relation, int],
) -> tuple[dict[str, Value], dict[str, int]]:
    env: dict[str, Value] = {}
    rels: dict[str, int] = {}
    for name, v in bases.items():
        if isinstance(v, Relation):
            bits = cache.get(v)
            if bits is None:
                bits = cache[v] = _rel_bits(name, v, index, alg.n)
            env[name] = Rel(bits)
            rels[name] = bits
        elif isinstance(v, frozenset | set):
            env[name] = EvSet(_bits(v, index, name))
        else:
            raise UsageError(name, type(v).__name__, "a frozenset of events or a Relation")
    return env, rels


def _rel_bits(name: str, r: Relation, index: Mapping[int, int], n: int) -> int:
    bits = 0
    try:
        for a, b in r.pairs:
            bits |= 1 << (index[a] * n + index[b])
    except KeyError:
        bad = next(pair for pair in r.pairs if not set(pair) <= index.keys())
        raise UsageError(name, bad, "a pair of events of the universe") from None
    return bits


# -- compiling: syntax -> closures (once per model) --------------------------------------

Code = lib.Code
Step = Callable[["_Run"], None]


@dataclass(frozen=True, slots=True)
class _Static:
    """What is known before any execution: variants, enums, compiled includes."""

    variants: frozenset[str]
    enums: Mapping[str, tuple[str, ...]]
    tag_enum: Mapping[str, str]
    includes: Mapping[str, p.Program]
    compiled: dict[str, tuple[Step, ...]]


@dataclass(frozen=True, slots=True)
class _Bind:
    pattern: p.Pattern
    code: Code
    loc: p.Loc
    fun: p.Fun | None  # the right side, when it is a function (for `let rec`)
    body: Code | None  # the function's compiled body


def _program(prog: p.Program, st: _Static) -> tuple[Step, ...]:
    steps: list[Step] = []
    for i in prog.instructions:
        steps.extend(_instruction(i, st))
    return tuple(steps)


def _instruction(i: p.Instruction, st: _Static) -> list[Step]:
    if isinstance(i, p.Let):
        return [_let_step(i, st)]
    if isinstance(i, p.Test):
        return [_test_step(i, _expr(i.expr, st))]
    if isinstance(i, p.Include):
        return [_include_step(i, st)]
    if isinstance(i, p.Enum):
        return [_enum_step(i)]
    if isinstance(i, p.WithFrom):
        return [_with_step(i, _expr(i.expr, st))]
    if isinstance(i, p.IfVariantIns):
        branch = i.then if i.variant in st.variants else i.orelse
        return [step for b in branch for step in _instruction(b, st)]
    return []  # show, unshow, instructions, default


def _let_step(i: p.Let, st: _Static) -> Step:
    binds = _binds(i.bindings, st)
    if i.rec:

        def let_rec(run: _Run) -> None:
            run.env = _fix(run, binds, run.env, i.loc)

        return let_rec
    name = binds[0].pattern.names[0]
    if len(binds) == 1 and not binds[0].pattern.is_tuple and name is not None:
        code = binds[0].code

        def let1(run: _Run) -> None:
            run.env[name] = code(run, run.env)

        return let1

    def let(run: _Run) -> None:
        _bind_all(run, binds, run.env, copy=False)

    return let


def _test_step(t: p.Test, code: Code) -> Step:
    name = t.name or t.text

    def test(run: _Run) -> None:
        v = code(run, run.env)
        try:
            ok = _holds(t.kind, v, run.alg) != t.negated
        except Mismatch as m:
            raise t.loc.error(str(m)) from None
        if t.mode == "check":
            run.require(name, ok)
        elif ok == (t.mode == "flag"):  # a flag holds; undefined_unless fails
            run.flags.append(name)

    return test


def _holds(kind: str, v: Value, alg: lib.Algebra) -> bool:
    if kind == "empty":
        if isinstance(v, EvSet | lib.Event):
            return lib.to_set(v, alg) == 0
        if isinstance(v, lib.ValSet):
            return not v.items
        return lib.to_rel(v, alg) == 0
    r = lib.to_rel(v, alg)
    return alg.acyclic(r) if kind == "acyclic" else not r & alg.diag


def _include_step(i: p.Include, st: _Static) -> Step:
    native = lib.NATIVE_INCLUDES.get(i.file)
    if native is None:
        if i.file not in st.compiled:
            st.compiled[i.file] = _program(st.includes[i.file], st)
        steps = st.compiled[i.file]

        def include(run: _Run) -> None:
            for step in steps:
                step(run)

        return include

    def include_native(run: _Run) -> None:
        try:
            native(run)
        except Mismatch as m:
            raise i.loc.error(f"{i.file}: {m}") from None

    return include_native


def _enum_step(i: p.Enum) -> Step:
    tags = lib.ValSet(frozenset(lib.Tag(i.name, t) for t in i.tags))

    def enum(run: _Run) -> None:
        run.env[i.name] = tags

    return enum


def _with_step(i: p.WithFrom, code: Code) -> Step:
    def with_from(run: _Run) -> None:
        candidates = code(run, run.env)
        try:
            run.choose(i.name, candidates)
        except Mismatch as m:
            raise i.loc.error(str(m)) from None

    return with_from


def _binds(bindings: tuple[p.Binding, ...], st: _Static) -> tuple[_Bind, ...]:
    out = []
    for b in bindings:
        if isinstance(b.expr, p.Fun):
            body = _expr(b.expr.body, st)
            out.append(_Bind(b.pattern, _closure(b.expr, body), b.loc, b.expr, body))
        else:
            out.append(_Bind(b.pattern, _expr(b.expr, st), b.loc, None, None))
    return tuple(out)


def _expr(e: p.Expr, st: _Static) -> Code:
    code: Code = _COMPILE[type(e)](e, st)
    return code


def _fails(loc: p.Loc) -> Callable[[Mismatch], InputError]:
    return lambda m: loc.error(str(m))


def _c_var(e: p.Var, st: _Static) -> Code:
    name = e.name

    def var(run: _Run, env: dict[str, Value]) -> Value:
        try:
            return env[name]
        except KeyError:
            close = difflib.get_close_matches(name, list(env), n=3)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            hint += "Base names (R, W, po, rf...) come from the environment passed to check()"
            raise e.loc.error(f"unbound name `{name}`", hint) from None

    return var


def _const(v: Value) -> Code:
    return lambda run, env: v


def _c_tag(e: p.TagLit, st: _Static) -> Code:
    if e.name in st.tag_enum:
        return _const(lib.Tag(st.tag_enum[e.name], e.name))

    def undefined(run: _Run, env: dict[str, Value]) -> Value:
        raise e.loc.error(f"tag '{e.name} is undefined", "declare it in an `enum`")

    return undefined


def _c_const(e: p.Const, st: _Static) -> Code:
    return _const(Rel(0) if e.what == "zero" else UNIVERSE if e.what == "universe" else EMPTY)


def _c_explicit_set(e: p.ExplicitSet, st: _Static) -> Code:
    codes = [_expr(x, st) for x in e.items]

    def explicit_set(run: _Run, env: dict[str, Value]) -> Value:
        items = [c(run, env) for c in codes]
        if any(v is UNIVERSE for v in items):
            raise e.loc.error("universe in an explicit set")
        if all(isinstance(v, lib.Event) for v in items):
            return lib.union(items, run.alg)
        if all(isinstance(v, lib.Pair) for v in items):
            return lib.union(items, run.alg)
        return lib.ValSet(frozenset(items))

    return explicit_set


def _c_tuple(e: p.Tuple, st: _Static) -> Code:
    codes = [_expr(x, st) for x in e.items]
    return lambda run, env: lib.Tup(tuple(c(run, env) for c in codes))


def _c_to_id(e: p.ToId, st: _Static) -> Code:
    arg, fail = _expr(e.arg, st), _fails(e.loc)

    def to_id(run: _Run, env: dict[str, Value]) -> Value:
        try:
            return Rel(run.alg.ident(lib.to_set(arg(run, env), run.alg)))
        except Mismatch as m:
            raise fail(m) from None

    return to_id


def _c_op1(e: p.Op1, st: _Static) -> Code:
    arg, op, enums, fail = _expr(e.arg, st), e.op, st.enums, _fails(e.loc)

    def op1(run: _Run, env: dict[str, Value]) -> Value:
        v, alg = arg(run, env), run.alg
        try:
            if op == "comp":
                return lib.complement(v, alg, enums)
            if v is UNIVERSE:
                return v
            if op == "inv":
                if isinstance(v, lib.Pair):
                    return lib.Pair(v.right, v.left)
                return v if v is EMPTY else Rel(alg.inv(lib.to_rel(v, alg)))
            if op == "plus":
                return v if v is EMPTY else Rel(alg.plus(lib.to_rel(v, alg)))
            r = lib.to_rel(v, alg)
            return Rel((alg.plus(r) if op == "star" else r) | alg.diag)
        except Mismatch as m:
            raise fail(m) from None

    return op1


_BINARY: Mapping[str, Callable[[Value, Value, lib.Algebra, Any], Value]] = {
    "inter": lambda a, b, alg, enums: lib.inter(a, b, alg),
    "diff": lib.diff,
    "cartesian": lambda a, b, alg, enums: Rel(alg.cart(lib.to_set(a, alg), lib.to_set(b, alg))),
    "add": lambda a, b, alg, enums: lib.add(a, b, alg),
}


def _c_op(e: p.Op, st: _Static) -> Code:
    if e.op == "seq":
        return _c_seq(e, st)
    codes, enums, fail = [_expr(x, st) for x in e.args], st.enums, _fails(e.loc)
    if e.op == "union":

        def union(run: _Run, env: dict[str, Value]) -> Value:
            vals = [c(run, env) for c in codes]
            try:
                return lib.union(vals, run.alg)
            except Mismatch as m:
                raise fail(m) from None

        return union
    (left, right), fn = codes, _BINARY[e.op]

    def binary(run: _Run, env: dict[str, Value]) -> Value:
        a, b = left(run, env), right(run, env)
        try:
            return fn(a, b, run.alg, enums)
        except Mismatch as m:
            raise fail(m) from None

    return binary


def _c_seq(e: p.Op, st: _Static) -> Code:
    """``r1 ; ... ; rn``, with ``[S]`` operands applied as masks (no product)."""
    parts = [(type(x) is p.ToId, _expr(x.arg if type(x) is p.ToId else x, st)) for x in e.args]
    fail = _fails(e.loc)

    def seq(run: _Run, env: dict[str, Value]) -> Value:
        alg = run.alg
        acc: int | None = None
        first = -1  # the [S] operands before the first relation: a filter on its left
        try:
            for is_id, code in parts:
                v = code(run, env)
                if is_id:
                    s = lib.to_set(v, alg)
                    if acc is None:
                        first &= s
                    else:
                        acc &= alg.cols(s)
                    continue
                if v is EMPTY:
                    return EMPTY
                r = lib.to_rel(v, alg)
                if acc is None:
                    acc = r if first == -1 else r & alg.rows(first)
                else:
                    acc = alg.seq(acc, r)
                if not acc:
                    return Rel(0)
        except Mismatch as m:
            raise fail(m) from None
        return Rel(alg.ident(first & alg.full) if acc is None else acc)

    return seq


def _c_app(e: p.App, st: _Static) -> Code:
    fn, arg, fail = _expr(e.fn, st), _expr(e.arg, st), _fails(e.loc)

    def app(run: _Run, env: dict[str, Value]) -> Value:
        f, a = fn(run, env), arg(run, env)
        try:
            return run.apply(f, a)
        except Mismatch as m:
            raise fail(m) from None

    return app


def _c_fun(e: p.Fun, st: _Static) -> Code:
    return _closure(e, _expr(e.body, st))


def _closure(e: p.Fun, body: Code) -> Code:
    """A closure captures the free names of its body, with their values when made."""
    free = tuple(sorted(e.free))

    def fun(run: _Run, env: dict[str, Value]) -> Value:
        return lib.Closure(e.param, body, {x: env[x] for x in free if x in env}, e.name)

    return fun


def _c_let_in(e: p.LetIn, st: _Static) -> Code:
    binds, body = _binds(e.bindings, st), _expr(e.body, st)
    if e.rec:
        return lambda run, env: body(run, _fix(run, binds, env, e.loc))
    return lambda run, env: body(run, _bind_all(run, binds, env, copy=True))


def _c_try(e: p.Try, st: _Static) -> Code:
    body, fallback = _expr(e.body, st), _expr(e.fallback, st)

    def try_with(run: _Run, env: dict[str, Value]) -> Value:
        try:
            return body(run, env)
        except InputError:
            return fallback(run, env)

    return try_with


def _c_if(e: p.IfVariant, st: _Static) -> Code:
    return _expr(e.then if e.variant in st.variants else e.orelse, st)


_COMPILE: Mapping[type, Callable[[Any, _Static], Code]] = {
    p.Var: _c_var,
    p.TagLit: _c_tag,
    p.Const: _c_const,
    p.ExplicitSet: _c_explicit_set,
    p.Tuple: _c_tuple,
    p.ToId: _c_to_id,
    p.Op1: _c_op1,
    p.Op: _c_op,
    p.App: _c_app,
    p.Fun: _c_fun,
    p.LetIn: _c_let_in,
    p.Try: _c_try,
    p.IfVariant: _c_if,
}


# -- running -----------------------------------------------------------------------------


class _Stop(Exception):
    """A check failed: herd abandons the execution here."""


class _Run:
    """One run of a model on one execution (the :class:`~.stdlib.Runtime`)."""

    def __init__(
        self,
        alg: lib.Algebra,
        env: dict[str, Value],
        base_rels: dict[str, int],
        values: list[object],
        witnesses: Mapping[str, str],
        keep_going: bool,
    ) -> None:
        self.alg, self.env, self.base_rels, self.values = alg, env, base_rels, values
        self.witnesses, self.keep_going = witnesses, keep_going
        self.violations: list[str] = []
        self.flags: list[str] = []

    def execute(self, steps: Iterable[Step]) -> None:
        try:
            lib.bind_stdlib(self)
            for step in steps:
                step(self)
        except _Stop:
            pass

    def value_of(self, index: int) -> object:
        return self.values[index]

    def apply(self, fn: Value, arg: Value) -> Value:
        if isinstance(fn, lib.Closure):
            env = dict(fn.env)
            _bind(fn.param, arg, env)
            return fn.body(self, env)
        if isinstance(fn, lib.Prim):
            return fn.fn(arg, self)
        raise Mismatch(f"function expected, found {lib.type_name(fn)}")

    def require(self, name: str, ok: bool) -> None:
        if not ok:
            self.violations.append(name)
            if not self.keep_going:
                raise _Stop

    def choose(self, name: str, candidates: Value) -> None:
        concrete = self.witnesses.get(name, name)
        if concrete not in self.base_rels:
            raise Mismatch(
                f"with {name} from ...: the execution has no relation `{concrete}` to pick "
                f"the candidate by (CatModel.load(..., witnesses={{{name!r}: NAME}}))"
            )
        k, ok = lib.witness(candidates, self.base_rels[concrete], self.alg)
        self.env[name] = Rel(k)
        self.require(name, ok)


def _bind_all(
    run: _Run, binds: tuple[_Bind, ...], env: dict[str, Value], copy: bool
) -> dict[str, Value]:
    """``let``: every right side is evaluated in ``env``, then all are bound."""
    vals = [b.code(run, env) for b in binds]
    new = dict(env) if copy else env
    for b, v in zip(binds, vals, strict=True):
        try:
            _bind(b.pattern, v, new)
        except Mismatch as m:
            raise b.loc.error(str(m)) from None
    return new


def _fix(
    run: _Run, binds: tuple[_Bind, ...], env: dict[str, Value], loc: p.Loc
) -> dict[str, Value]:
    """herd's ``let rec``: functions see each other; values start empty and are
    recomputed in order, each seeing the ones before, until no value grows."""
    funs = [b for b in binds if b.fun is not None]
    vals = [b for b in binds if b.fun is None]
    new = dict(env)
    for b in vals:
        new.update((name, EMPTY) for name in b.pattern.names if name is not None)
    _rec_funs(funs, new)
    old: list[Value] = [_empty_like(b.pattern) for b in vals]
    for _ in range(max(64, run.alg.n**2 + 2)):
        cur: list[Value] = []
        for b in vals:
            cur.append(b.code(run, new))
            try:
                _bind(b.pattern, cur[-1], new)
            except Mismatch as m:
                raise b.loc.error(str(m)) from None
        _rec_funs(funs, new)
        try:
            if all(_within(c, o, run.alg) for c, o in zip(cur, old, strict=True)):
                return new
        except Mismatch as m:
            raise loc.error(f"illegal recursion: {m}") from None
        old = cur
    raise loc.error("let rec: no fixpoint", "the definitions do not converge")


def _rec_funs(funs: list[_Bind], env: dict[str, Value]) -> None:
    closures: list[tuple[lib.Closure, p.Fun]] = []
    for b in funs:
        name, fun = b.pattern.names[0], b.fun
        assert name is not None and fun is not None and b.body is not None
        closure = lib.Closure(fun.param, b.body, {}, fun.name)
        env[name] = closure
        closures.append((closure, fun))
    for closure, fun in closures:
        closure.env.update((x, env[x]) for x in fun.free if x in env)


def _empty_like(pattern: p.Pattern) -> Value:
    return lib.Tup(tuple(EMPTY for _ in pattern.names)) if pattern.is_tuple else EMPTY


def _bind(pattern: p.Pattern, v: Value, env: dict[str, Value]) -> None:
    if not pattern.is_tuple:
        if pattern.names[0] is not None:
            env[pattern.names[0]] = v
        return
    for name, item in zip(pattern.names, lib.tuple_args(v, len(pattern.names)), strict=True):
        if name is not None:
            env[name] = item


def _within(new: Value, old: Value, alg: lib.Algebra) -> bool:
    """herd's ``stabilised``: ``new`` adds nothing to ``old``."""
    if new is EMPTY or old is UNIVERSE:
        return True
    if isinstance(new, lib.Tup) and isinstance(old, lib.Tup):
        return all(_within(a, b, alg) for a, b in zip(new.items, old.items, strict=True))
    if isinstance(new, lib.ValSet):
        return not new.items or (isinstance(old, lib.ValSet) and new.items <= old.items)
    if isinstance(new, EvSet | lib.Special) and not isinstance(old, Rel):
        return not lib.to_set(new, alg) & ~lib.to_set(old, alg)
    return not lib.to_rel(new, alg) & ~lib.to_rel(old, alg)
