"""What herd7 builds in: the value domain, the relation algebra, the primitives, and the
library files the Linux-kernel model includes (``stdlib.cat``, ``cross.cat``,
``cos-opt.cat``, ``cos.cat``), all implemented natively.

Sets and relations are Python ints over the ``n`` events of one execution, numbered
``0..n-1``: a set has bit ``i`` for event ``i``; a relation has bit ``i*n + j`` for the
pair ``(i, j)``.  Union, intersection and difference are one integer operation; ``[S];r``
and ``r;[S]`` are one mask; sequence and transitive closure take ``n`` big-integer steps
(:class:`Algebra`).

The library, as herdtools7's ``herd/libdir`` defines it (read there, reimplemented here):

``stdlib.cat`` (loaded before every model)
    ``emptyset``; ``po-loc = po & loc``; ``rfe = rf & ext``; ``rfi = rf & int``;
    ``co0 = loc & ((IW * (W\\IW)) | ((W\\FW) * FW))``; ``toid(s) = [s]``;
    ``fencerel(B) = (po & (_ * B)) ; po``; ``ctrlcfence(C) = (ctrl & (_ * C)) ; po``;
    ``imply(A, B) = ~A | B``; ``nodetour(R1, R2, R3) = R1 \\ (R2 ; R3)``;
    ``singlestep(R) = nodetour(R, R, R)``; ``map f S``; ``LKW = try LKW with emptyset``;
    and herd's primitives ``domain``, ``range``, ``different-values``, ``classes-loc``
    (also ``partition``) and ``fail``.  The closures capture ``po``, ``ctrl`` and ``loc``
    of the execution, as herd's do.
``cross.cat``
    ``cross(S)`` (one element from each set of ``S``, united), ``generate_orders(S, pco)``
    and ``generate_cos(pco)`` (one total order per location of the current ``W``,
    extending ``pco``).  These are *candidate sets* (:class:`Cross`, :class:`CoOrders`):
    they are never enumerated, only asked whether the concrete execution's relation is
    one of them (see ``with ... from`` in :mod:`.interp`).
``cos-opt.cat``
    ``invrf``, ``obsco`` (the co edges observed through ``po-loc`` and ``rf``), ``rmwco``,
    ``cobase = obsco | rmwco | co0``; the check ``acyclic cobase as ConsCo``;
    ``with co from generate_cos(cobase)``; then ``coi``, ``coe``, ``fr = (invrf ; co) \\ id``,
    ``fri``, ``fre``.
``cos.cat``
    as ``cos-opt.cat``, plus ``ca = fr | co``.

Limitations: no ``linearisations``, ``co_locs``, ``tag2events``, ``lift``/``delift`` or
class relations; ``different-values`` compares the caller's ``values`` (an event without
one has value ``None``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, final

from pagerace.models.cat.parser import Pattern

# -- values ------------------------------------------------------------------------------


@final
class EvSet:
    """A set of events (bit ``i`` is event ``i``)."""

    __slots__ = ("bits",)

    def __init__(self, bits: int) -> None:
        self.bits = bits

    def __eq__(self, other: object) -> bool:
        return type(other) is EvSet and other.bits == self.bits

    def __hash__(self) -> int:
        return hash((EvSet, self.bits))

    def __repr__(self) -> str:
        return f"EvSet({self.bits:#x})"


@final
class Rel:
    """A relation on events (bit ``i*n + j`` is the pair ``(i, j)``)."""

    __slots__ = ("bits",)

    def __init__(self, bits: int) -> None:
        self.bits = bits

    def __eq__(self, other: object) -> bool:
        return type(other) is Rel and other.bits == self.bits

    def __hash__(self) -> int:
        return hash((Rel, self.bits))

    def __repr__(self) -> str:
        return f"Rel({self.bits:#x})"


class Special(enum.Enum):
    EMPTY = "{}"  # herd's polymorphic empty value
    UNIVERSE = "_"  # the universe, a set or a relation as the context wants


EMPTY = Special.EMPTY
UNIVERSE = Special.UNIVERSE


@dataclass(frozen=True, slots=True)
class Event:
    index: int


@dataclass(frozen=True, slots=True)
class Pair:
    left: int
    right: int


@dataclass(frozen=True, slots=True)
class Tag:
    enum: str
    name: str


@dataclass(frozen=True, slots=True)
class ValSet:
    """A set of values other than events (tags, sets, relations)."""

    items: frozenset[Value]


@dataclass(frozen=True, slots=True)
class Tup:
    items: tuple[Value, ...]


@dataclass(eq=False, slots=True)
class Closure:
    param: Pattern
    body: Code  # the compiled body
    env: dict[str, Value]  # filled once more for `let rec` functions, then left alone
    name: str


@dataclass(frozen=True, eq=False, slots=True)
class Prim:
    name: str
    fn: Callable[[Value, Runtime], Value]


@dataclass(frozen=True, slots=True)
class Cross:
    """``cross(S)``: every union of one relation from each component."""

    components: tuple[frozenset[int], ...]


@dataclass(frozen=True, slots=True)
class CoOrders:
    """``generate_orders(S, pco)``: one strict total order on each class, extending
    ``pco``."""

    classes: tuple[int, ...]
    base: int


Value = (
    EvSet | Rel | Special | Event | Pair | Tag | ValSet | Tup | Closure | Prim | Cross | CoOrders
)


Code = Callable[[Any, dict[str, Value]], Value]  # compiled expression: (runtime, env) -> value


class Mismatch(Exception):
    """A value of the wrong type (the interpreter adds the file position)."""


def type_name(v: Value) -> str:
    names = {EvSet: "event set", Rel: "relation", Event: "event", Pair: "pair", Tag: "tag"}
    names |= {ValSet: "set", Tup: "tuple", Closure: "function", Prim: "function"}
    if isinstance(v, Special):
        return "empty set" if v is EMPTY else "universe"
    return names.get(type(v), "candidate set")


class Runtime(Protocol):
    """What the primitives and native library files need from the interpreter."""

    @property
    def alg(self) -> Algebra: ...

    @property
    def env(self) -> dict[str, Value]: ...

    def value_of(self, index: int) -> object: ...

    def apply(self, fn: Value, arg: Value) -> Value: ...

    def require(self, name: str, ok: bool) -> None:
        """A check named ``name`` (records a violation when not ``ok``)."""

    def choose(self, name: str, candidates: Value) -> None:
        """``with name from candidates``."""


# -- the algebra -------------------------------------------------------------------------


class Algebra:
    """Sets and relations over ``n`` events as integers (see the module docstring)."""

    __slots__ = ("_spread", "all", "diag", "full", "n", "rep")

    def __init__(self, n: int) -> None:
        self.n = n
        self.full = (1 << n) - 1  # every event; also one full row
        self.rep = sum(1 << (i * n) for i in range(n))  # bit 0 of every row
        self.diag = sum(1 << (i * n + i) for i in range(n))
        self.all = self.full * self.rep
        self._spread: dict[int, int] = {}

    def spread(self, s: int) -> int:
        """Bit ``i`` of ``s`` moved to bit ``i*n`` (the start of row ``i``)."""
        out = self._spread.get(s)
        if out is None:
            out, x = 0, s
            while x:
                low = x & -x
                out |= 1 << ((low.bit_length() - 1) * self.n)
                x ^= low
            if len(self._spread) > 4096:
                self._spread.clear()
            self._spread[s] = out
        return out

    def rows(self, s: int) -> int:
        """The pairs whose left event is in ``s`` (``[s] ; _``)."""
        return self.spread(s) * self.full

    def cols(self, s: int) -> int:
        """The pairs whose right event is in ``s`` (``_ ; [s]``)."""
        return s * self.rep

    def ident(self, s: int) -> int:
        return self.diag & self.rows(s)

    def cart(self, s: int, t: int) -> int:
        return self.spread(s) * t

    def seq(self, r: int, s: int) -> int:
        n, full, rep, out = self.n, self.full, self.rep, 0
        for k in range(n):
            row = (s >> (k * n)) & full
            if row:
                col = (r >> k) & rep
                if col:
                    out |= col * row
        return out

    def plus(self, r: int) -> int:
        """Transitive closure (Warshall: row ``k`` joins every row that reaches ``k``)."""
        n, full, rep = self.n, self.full, self.rep
        for k in range(n):
            col = (r >> k) & rep
            if col:
                row = (r >> (k * n)) & full
                if row:
                    r |= col * row
        return r

    def inv(self, r: int) -> int:
        n, out = self.n, 0
        while r:
            low = r & -r
            i, j = divmod(low.bit_length() - 1, n)
            out |= 1 << (j * n + i)
            r ^= low
        return out

    def domain(self, r: int) -> int:
        n, full = self.n, self.full
        return sum(1 << i for i in range(n) if (r >> (i * n)) & full)

    def range(self, r: int) -> int:
        n, full, out = self.n, self.full, 0
        while r:
            out |= r & full
            r >>= n
        return out

    def acyclic(self, r: int) -> bool:
        return r == 0 or not (self.plus(r) & self.diag)

    def pairs(self, r: int) -> Iterator[tuple[int, int]]:
        n = self.n
        while r:
            low = r & -r
            yield divmod(low.bit_length() - 1, n)
            r ^= low

    def members(self, s: int) -> Iterator[int]:
        while s:
            low = s & -s
            yield low.bit_length() - 1
            s ^= low


# -- operations on values ----------------------------------------------------------------


def to_rel(v: Value, alg: Algebra) -> int:
    if type(v) is Rel:
        return v.bits
    if v is EMPTY:
        return 0
    if v is UNIVERSE:
        return alg.all
    if isinstance(v, Pair):
        return 1 << (v.left * alg.n + v.right)
    raise Mismatch(f"relation expected, found {type_name(v)}")


def to_set(v: Value, alg: Algebra) -> int:
    if type(v) is EvSet:
        return v.bits
    if v is EMPTY:
        return 0
    if v is UNIVERSE:
        return alg.full
    if isinstance(v, Event):
        return 1 << v.index
    raise Mismatch(f"event set expected, found {type_name(v)}")


def _lift(v: Value) -> Value:
    return ValSet(frozenset((v,))) if isinstance(v, Tag) else v


def union(vals: list[Value], alg: Algebra) -> Value:
    bits = 0
    for v in vals:
        if not isinstance(v, Rel):
            break
        bits |= v.bits
    else:
        return Rel(bits)
    vals = [_lift(v) for v in vals if v is not EMPTY]
    if not vals:
        return EMPTY
    if any(v is UNIVERSE for v in vals):
        return UNIVERSE
    first = vals[0]
    if isinstance(first, EvSet | Event):
        bits = 0
        for v in vals:
            bits |= to_set(v, alg)
        return EvSet(bits)
    if isinstance(first, Rel | Pair):
        bits = 0
        for v in vals:
            bits |= to_rel(v, alg)
        return Rel(bits)
    if all(isinstance(v, ValSet) for v in vals):
        return ValSet(frozenset().union(*(v.items for v in vals if isinstance(v, ValSet))))
    raise Mismatch(f"cannot unite {', '.join(sorted({type_name(v) for v in vals}))}")


def inter(a: Value, b: Value, alg: Algebra) -> Value:
    if isinstance(a, Rel) and isinstance(b, Rel):
        return Rel(a.bits & b.bits)
    if isinstance(a, EvSet) and isinstance(b, EvSet):
        return EvSet(a.bits & b.bits)
    a, b = _lift(a), _lift(b)
    if a is UNIVERSE:
        return b
    if b is UNIVERSE:
        return a
    if a is EMPTY or b is EMPTY:
        return EMPTY
    if isinstance(a, ValSet) and isinstance(b, ValSet):
        return ValSet(a.items & b.items)
    if type(a) is EvSet or type(b) is EvSet:
        return EvSet(to_set(a, alg) & to_set(b, alg))
    return Rel(to_rel(a, alg) & to_rel(b, alg))


def diff(a: Value, b: Value, alg: Algebra, enums: Mapping[str, tuple[str, ...]]) -> Value:
    if isinstance(a, Rel) and isinstance(b, Rel):
        return Rel(a.bits & ~b.bits)
    if isinstance(a, EvSet) and isinstance(b, EvSet):
        return EvSet(a.bits & ~b.bits)
    a, b = _lift(a), _lift(b)
    if b is UNIVERSE or a is EMPTY:
        return EMPTY
    if b is EMPTY:
        return a
    if a is UNIVERSE:
        return complement(b, alg, enums)
    if isinstance(a, ValSet) and isinstance(b, ValSet):
        return ValSet(a.items - b.items)
    if type(a) is EvSet or type(b) is EvSet:
        return EvSet(to_set(a, alg) & ~to_set(b, alg))
    return Rel(to_rel(a, alg) & ~to_rel(b, alg))


def complement(v: Value, alg: Algebra, enums: Mapping[str, tuple[str, ...]]) -> Value:
    v = _lift(v)
    if v is EMPTY:
        return UNIVERSE
    if v is UNIVERSE:
        return EMPTY
    if type(v) is EvSet:
        return EvSet(alg.full & ~v.bits)
    if type(v) is Rel:
        return Rel(alg.all & ~v.bits)
    if isinstance(v, ValSet) and v.items and all(isinstance(t, Tag) for t in v.items):
        kind = next(t.enum for t in v.items if isinstance(t, Tag))
        return ValSet(frozenset(Tag(kind, t) for t in enums[kind]) - v.items)
    raise Mismatch(f"cannot complement a {type_name(v)}")


def add(elem: Value, s: Value, alg: Algebra) -> Value:
    """``elem ++ s``: add an element to a set (herd's rules for each kind of set)."""
    if elem is UNIVERSE:
        raise Mismatch("universe in set ++")
    if s is UNIVERSE:
        return UNIVERSE
    if s is EMPTY:
        if isinstance(elem, Event):
            return EvSet(1 << elem.index)
        if isinstance(elem, Pair):
            return Rel(to_rel(elem, alg))
        return ValSet(frozenset((elem,)))
    if isinstance(s, ValSet):
        return ValSet(s.items | {elem})
    if type(s) is Rel and isinstance(elem, Pair | Tup):
        pair = elem if isinstance(elem, Pair) else _as_pair(elem)
        return Rel(s.bits | to_rel(pair, alg))
    if type(s) is EvSet and isinstance(elem, Event):
        return EvSet(s.bits | 1 << elem.index)
    raise Mismatch(f"cannot add a {type_name(elem)} to a {type_name(s)}")


def _as_pair(t: Tup) -> Pair:
    if len(t.items) == 2 and all(isinstance(e, Event) for e in t.items):
        a, b = t.items
        assert isinstance(a, Event) and isinstance(b, Event)
        return Pair(a.index, b.index)
    raise Mismatch("a pair of events expected")


def elements(v: Value, alg: Algebra) -> list[Value]:
    """The members of a set, in a fixed order (for ``map``)."""
    if v is EMPTY:
        return []
    if type(v) is EvSet:
        return [Event(i) for i in alg.members(v.bits)]
    if type(v) is Rel:
        return [Pair(i, j) for i, j in alg.pairs(v.bits)]
    if isinstance(v, ValSet):
        return sorted(v.items, key=repr)
    raise Mismatch(f"set expected, found {type_name(v)}")


def tuple_args(arg: Value, count: int) -> tuple[Value, ...]:
    items: tuple[Value, ...] = ()
    if isinstance(arg, Tup):
        items = arg.items
    elif isinstance(arg, Pair):
        items = (Event(arg.left), Event(arg.right))
    if len(items) != count:
        raise Mismatch(f"{count} arguments expected, found {type_name(arg)}")
    return items


# -- with ... from: the candidate consistent with the concrete execution -------------------


def witness(candidates: Value, concrete: int, alg: Algebra) -> tuple[int, bool]:
    """``concrete`` restricted to the pairs some candidate has, and whether that is a
    candidate (when it is not, herd would build no such execution)."""
    if isinstance(candidates, Cross):
        support = 0
        for comp in candidates.components:
            for option in comp:
                support |= option
        k = concrete & support
        return k, _cross_has(candidates.components, k, 0)
    if isinstance(candidates, CoOrders):
        support = 0
        for c in candidates.classes:
            support |= alg.cart(c, c)
        k = concrete & support & ~alg.diag
        return k, all(_total_on(k, c, candidates.base, alg) for c in candidates.classes)
    if candidates is EMPTY:
        return 0, False
    if isinstance(candidates, ValSet):
        options = {to_rel(c, alg) for c in candidates.items}
        support = 0
        for o in options:
            support |= o
        return concrete & support, concrete & support in options
    raise Mismatch(f"with ... from: a set of relations expected, found {type_name(candidates)}")


def _cross_has(components: tuple[frozenset[int], ...], k: int, acc: int) -> bool:
    if not components:
        return acc == k
    return any(_cross_has(components[1:], k, acc | o) for o in components[0] if not o & ~k)


def _total_on(k: int, cls: int, base: int, alg: Algebra) -> bool:
    square = alg.cart(cls, cls)
    sub = k & square
    return (
        not sub & alg.diag
        and not alg.seq(sub, sub) & ~sub
        and (sub | alg.inv(sub) | alg.ident(cls)) == square
        and not base & square & ~sub
    )


# -- stdlib.cat --------------------------------------------------------------------------


def _prim(name: str, fn: Callable[[Value, Runtime], Value]) -> Prim:
    return Prim(name, fn)


def _domain(v: Value, rt: Runtime) -> Value:
    return v if isinstance(v, Special) else EvSet(rt.alg.domain(to_rel(v, rt.alg)))


def _range(v: Value, rt: Runtime) -> Value:
    return v if isinstance(v, Special) else EvSet(rt.alg.range(to_rel(v, rt.alg)))


def _different_values(v: Value, rt: Runtime) -> Value:
    alg, bits = rt.alg, to_rel(v, rt.alg)
    for i, j in alg.pairs(bits):
        if rt.value_of(i) == rt.value_of(j):
            bits &= ~(1 << (i * alg.n + j))
    return Rel(bits)


def _classes(loc: int) -> Callable[[Value, Runtime], Value]:
    def classes_loc(v: Value, rt: Runtime) -> Value:
        alg, left = rt.alg, to_set(v, rt.alg)
        out: set[Value] = set()
        while left:
            i = (left & -left).bit_length() - 1
            cls = (((loc >> (i * alg.n)) & alg.full) | 1 << i) & left
            out.add(EvSet(cls))
            left &= ~cls
        return ValSet(frozenset(out))

    return classes_loc


def _fail(v: Value, rt: Runtime) -> Value:
    raise Mismatch(f"fail on {type_name(v)}")


def _fence_after(first: int, po: int) -> Callable[[Value, Runtime], Value]:
    """``(first & (_ * B)) ; po``: fencerel with first = po, ctrlcfence with first = ctrl."""

    def rel(v: Value, rt: Runtime) -> Value:
        alg = rt.alg
        return Rel(alg.seq(first & alg.cols(to_set(v, alg)), po))

    return rel


def _imply(v: Value, rt: Runtime) -> Value:
    a, b = tuple_args(v, 2)
    return union([complement(a, rt.alg, {}), b], rt.alg)


def _nodetour(v: Value, rt: Runtime) -> Value:
    r1, r2, r3 = (to_rel(x, rt.alg) for x in tuple_args(v, 3))
    return Rel(r1 & ~rt.alg.seq(r2, r3))


def _singlestep(v: Value, rt: Runtime) -> Value:
    r = to_rel(v, rt.alg)
    return Rel(r & ~rt.alg.seq(r, r))


def _map(f: Value, rt: Runtime) -> Value:
    def do_map(s: Value, rt: Runtime) -> Value:
        out: Value = EMPTY
        for e in reversed(elements(s, rt.alg)):
            out = add(rt.apply(f, e), out, rt.alg)
        return out

    return _prim("map", do_map)


def bind_stdlib(rt: Runtime) -> None:
    """herd's ``stdlib.cat``, run before the model (see the module docstring)."""
    env, alg = rt.env, rt.alg
    env["emptyset"] = EvSet(0)
    rels = {k: v.bits for k, v in env.items() if type(v) is Rel}
    sets = {k: v.bits for k, v in env.items() if type(v) is EvSet}
    if {"po", "loc"} <= rels.keys():
        env["po-loc"] = Rel(rels["po"] & rels["loc"])
    if {"rf", "ext", "int"} <= rels.keys():
        env["rfe"], env["rfi"] = Rel(rels["rf"] & rels["ext"]), Rel(rels["rf"] & rels["int"])
    if "loc" in rels and {"IW", "W", "FW"} <= sets.keys():
        iw, w, fw = sets["IW"], sets["W"], sets["FW"]
        env["co0"] = Rel(rels["loc"] & (alg.cart(iw, w & ~iw) | alg.cart(w & ~fw, fw)))
    env.setdefault("LKW", EvSet(0))
    po, ctrl, loc = rels.get("po", 0), rels.get("ctrl", 0), rels.get("loc", 0)
    prims: dict[str, Callable[[Value, Runtime], Value]] = {
        "domain": _domain,
        "range": _range,
        "different-values": _different_values,
        "classes-loc": _classes(loc),
        "partition": _classes(loc),
        "fail": _fail,
        "toid": lambda v, rt: Rel(rt.alg.ident(to_set(v, rt.alg))),
        "fencerel": _fence_after(po, po),
        "ctrlcfence": _fence_after(ctrl, po),
        "imply": _imply,
        "nodetour": _nodetour,
        "singlestep": _singlestep,
        "map": _map,
    }
    for name, fn in prims.items():
        env[name] = _prim(name, fn)


# -- cross.cat, cos-opt.cat, cos.cat -----------------------------------------------------


def _cross(v: Value, rt: Runtime) -> Value:
    comps = [] if v is EMPTY else elements(v, rt.alg)
    return Cross(tuple(frozenset(to_rel(o, rt.alg) for o in elements(c, rt.alg)) for c in comps))


def _orders(events: int, pco: int, rt: Runtime) -> CoOrders:
    classes = rt.env["classes-loc"]
    assert isinstance(classes, Prim), "[pagerace internal bug] classes-loc is not bound"
    parts = classes.fn(EvSet(events), rt)
    assert isinstance(parts, ValSet)
    return CoOrders(tuple(sorted(to_set(p, rt.alg) for p in parts.items)), pco)


def include_cross(rt: Runtime) -> None:
    """``cross.cat``: ``generate_cos`` orders the ``W`` current at this include."""
    w = rt.env.get("W")

    def generate_orders(v: Value, rt: Runtime) -> Value:
        s, pco = tuple_args(v, 2)
        return _orders(to_set(s, rt.alg), to_rel(pco, rt.alg), rt)

    def generate_cos(v: Value, rt: Runtime) -> Value:
        if w is None:
            raise Mismatch("generate_cos: W was unbound when cross.cat was included")
        return _orders(to_set(w, rt.alg), to_rel(v, rt.alg), rt)

    rt.env["cross"] = _prim("cross", _cross)
    rt.env["generate_orders"] = _prim("generate_orders", generate_orders)
    rt.env["generate_cos"] = _prim("generate_cos", generate_cos)


def _get(rt: Runtime, name: str) -> Value:
    try:
        return rt.env[name]
    except KeyError:
        raise Mismatch(f"unbound variable {name}") from None


def include_cos_opt(rt: Runtime) -> None:
    """``cos-opt.cat``: co observations, ``ConsCo``, co chosen, ``fr`` computed."""
    alg, env = rt.alg, rt.env
    rf, po_loc, co0, ident, internal = (
        to_rel(_get(rt, k), alg) for k in ("rf", "po-loc", "co0", "id", "int")
    )
    r, w = to_set(_get(rt, "R"), alg), to_set(_get(rt, "W"), alg)
    invrf = alg.inv(rf)
    ww = po_loc & alg.cart(w, w)
    rw = alg.seq(rf, po_loc & alg.cart(r, w))
    wr = alg.seq(po_loc & alg.cart(w, r), invrf) & ~ident
    rr = alg.seq(alg.seq(rf, po_loc & alg.cart(r, r)), invrf) & ~ident
    obsco = ww | rw | wr | rr
    rmwco = rf & alg.cart(w, r & w)  # in C, an RMW event is both R and W
    cobase = obsco | rmwco | co0
    env.update(invrf=Rel(invrf), obsco=Rel(obsco), rmwco=Rel(rmwco), cobase=Rel(cobase))
    rt.require("ConsCo", alg.acyclic(cobase))
    include_cross(rt)
    rt.choose("co", _orders(w, cobase, rt))
    co = to_rel(_get(rt, "co"), alg)
    fr = alg.seq(invrf, co) & ~ident
    env.update(coi=Rel(co & internal), coe=Rel(co & ~internal))
    env.update(fr=Rel(fr), fri=Rel(fr & internal), fre=Rel(fr & ~internal))


def include_cos(rt: Runtime) -> None:
    """``cos.cat`` (herd picks an optimised co generation; both amount to cos-opt's)."""
    include_cos_opt(rt)
    rt.env["ca"] = Rel(to_rel(rt.env["fr"], rt.alg) | to_rel(rt.env["co"], rt.alg))


NATIVE_INCLUDES: Mapping[str, Callable[[Runtime], None]] = {
    "stdlib.cat": bind_stdlib,
    "cross.cat": include_cross,
    "cos-opt.cat": include_cos_opt,
    "cos.cat": include_cos,
}
