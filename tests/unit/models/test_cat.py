"""The cat interpreter: parsing herd's cat, each operator, checks and flags, and the
Linux-kernel memory model (read from its own files) on tiny hand-built executions."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pagerace.core.errors import InputError, UsageError
from pagerace.graph.relation import Relation
from pagerace.models.cat import CatModel, CatResult, parse_file, parse_text, tag_set_name
from pagerace.models.cat import parser as p


def _lkmm_dir() -> Path | None:
    root = Path(__file__).resolve().parents[3]
    for d in (
        os.environ.get("PAGERACE_LKMM_MODEL"),
        root.parent / "shared" / "litmus" / "lkmm-model",
        "/work/shared/litmus/lkmm-model",
    ):
        if d and (Path(d) / "linux-kernel.cat").is_file():
            return Path(d)
    return None


LKMM = _lkmm_dir()
needs_lkmm = pytest.mark.skipif(LKMM is None, reason="the LKMM model files are not available")


@pytest.fixture(scope="module")
def lkmm() -> CatModel:
    assert LKMM is not None
    return CatModel.load(LKMM)


# -- a tiny execution builder ----------------------------------------------------------


@dataclass
class Execution:
    """Threads of events, initial writes, rf and co: what an explorer hands the model.

    Events are (eid, kind, location); kind is R, W, F, LKR, LKW or UL.  ``co`` lists, per
    location, the non-initial writes in coherence order.  ``tags`` maps a bell tag to eids.
    """

    threads: list[list[tuple[int, str, str | None]]]
    init: dict[str, int]
    rf: set[tuple[int, int]]
    co: dict[str, list[int]] = field(default_factory=dict)
    tags: dict[str, set[int]] = field(default_factory=dict)
    data: set[tuple[int, int]] = field(default_factory=set)
    addr: set[tuple[int, int]] = field(default_factory=set)
    ctrl: set[tuple[int, int]] = field(default_factory=set)
    values: dict[int, object] = field(default_factory=dict)

    def env(self) -> dict[str, object]:
        where: dict[int, tuple[str | None, int]] = {e: (x, -1) for x, e in self.init.items()}
        kind = dict.fromkeys(self.init.values(), "W")
        for t, thread in enumerate(self.threads):
            for e, k, loc in thread:
                where[e], kind[e] = (loc, t), k
        evs = list(where)

        def pairs(pred: object) -> Relation:
            return Relation((a, b) for a in evs for b in evs if pred(a, b))  # type: ignore[operator]

        def of(*kinds: str) -> frozenset[int]:
            return frozenset(e for e in evs if kind[e] in kinds)

        po = Relation(
            (a[0], b[0]) for th in self.threads for i, a in enumerate(th) for b in th[i + 1 :]
        )
        co = {(self.init[loc], w) for loc, ws in self.co.items() for w in ws}
        co |= {(a, b) for ws in self.co.values() for i, a in enumerate(ws) for b in ws[i + 1 :]}
        fr = {(r, w2) for w, r in self.rf for w1, w2 in co if w1 == w}
        last = {ws[-1] for loc, ws in self.co.items() if ws and loc != "l"}
        same_loc = pairs(lambda a, b: where[a][0] is not None and where[a][0] == where[b][0])
        return {
            "R": of("R"),
            "W": of("W"),
            "M": of("R", "W", "LKR", "LKW", "UL", "LF"),
            "F": of("F"),
            "IW": frozenset(self.init.values()),
            "FW": frozenset(last),
            "RMW": frozenset(),
            **{k: of(k) for k in ("LKR", "LKW", "UL")},
            **dict.fromkeys(("LF", "RL", "RU"), frozenset()),
            "po": po,
            "rf": Relation(self.rf),
            "co": Relation(co),
            "fr": Relation(fr),
            "rmw": Relation(),
            "addr": Relation(self.addr),
            "data": Relation(self.data),
            "ctrl": Relation(self.ctrl),
            "loc": same_loc,
            "int": pairs(lambda a, b: where[a][1] == where[b][1]),
            "ext": pairs(lambda a, b: where[a][1] != where[b][1]),
            "po-loc": Relation(po.pairs & same_loc.pairs),
            "universe": frozenset(evs),
            "tags": {k: frozenset(v) for k, v in self.tags.items()},
            "values": self.values,
        }


def _sb(fenced: bool) -> Execution:
    # P0: WRITE_ONCE(x, 1); [smp_mb()]; r0 = READ_ONCE(y)   P1: the mirror; r0 = r1 = 0
    mb = [[(6, "F", None)], [(7, "F", None)]] if fenced else [[], []]
    return Execution(
        threads=[
            [(2, "W", "x"), *mb[0], (3, "R", "y")],
            [(4, "W", "y"), *mb[1], (5, "R", "x")],
        ],
        init={"x": 0, "y": 1},
        rf={(1, 3), (0, 5)},
        co={"x": [2], "y": [4]},
        tags={"ONCE": {2, 3, 4, 5}, "MB": {6, 7} if fenced else set()},
    )


def _mp(fenced: bool) -> Execution:
    # P0: x = 1; [smp_wmb()]; y = 1   P1: r0 = y (1); [smp_rmb()]; r1 = x (0)
    f = ([(6, "F", None)], [(7, "F", None)]) if fenced else ([], [])
    return Execution(
        threads=[[(2, "W", "x"), *f[0], (3, "W", "y")], [(4, "R", "y"), *f[1], (5, "R", "x")]],
        init={"x": 0, "y": 1},
        rf={(3, 4), (0, 5)},
        co={"x": [2], "y": [3]},
        tags={
            "ONCE": {2, 3, 4, 5},
            "wmb": {6} if fenced else set(),
            "rmb": {7} if fenced else set(),
        },
    )


def _lb(deps: bool) -> Execution:
    # P0: r0 = x (1); y = r0   P1: r1 = y (1); x = r1
    return Execution(
        threads=[[(2, "R", "x"), (3, "W", "y")], [(4, "R", "y"), (5, "W", "x")]],
        init={"x": 0, "y": 1},
        rf={(5, 2), (3, 4)},
        co={"x": [5], "y": [3]},
        tags={"ONCE": {2, 3, 4, 5}},
        data={(2, 3), (4, 5)} if deps else set(),
    )


# -- LKMM on tiny executions -----------------------------------------------------------


@needs_lkmm
def test_sb_without_fences_is_consistent(lkmm: CatModel) -> None:
    r = lkmm.check(_sb(fenced=False).env())
    assert (r.violations, r.flags) == ((), ())


@needs_lkmm
def test_sb_with_smp_mb_fails_propagation(lkmm: CatModel) -> None:
    assert lkmm.check(_sb(fenced=True).env()).violations == ("propagation",)


@needs_lkmm
def test_mp_without_fences_is_consistent(lkmm: CatModel) -> None:
    assert lkmm.check(_mp(fenced=False).env()).consistent


@needs_lkmm
def test_mp_with_wmb_and_rmb_fails_happens_before(lkmm: CatModel) -> None:
    assert lkmm.check(_mp(fenced=True).env()).violations == ("happens-before",)


@needs_lkmm
def test_lb_without_dependencies_is_consistent(lkmm: CatModel) -> None:
    assert lkmm.check(_lb(deps=False).env()).consistent


@needs_lkmm
def test_lb_with_data_dependencies_fails_happens_before(lkmm: CatModel) -> None:
    assert lkmm.check(_lb(deps=True).env()).violations == ("happens-before",)


@needs_lkmm
def test_corr_is_caught_by_consco_before_coherence_as_in_herd(lkmm: CatModel) -> None:
    # P0: x = 1   P1: r0 = x (1); r1 = x (0).  cos-opt.cat's `acyclic cobase as ConsCo`
    # sees the uniproc cycle while generating co, before linux-kernel.cat's coherence.
    corr = Execution(
        threads=[[(1, "W", "x")], [(2, "R", "x"), (3, "R", "x")]],
        init={"x": 0},
        rf={(1, 2), (0, 3)},
        co={"x": [1]},
        tags={"ONCE": {1, 2, 3}},
    )
    assert lkmm.check(corr.env()).violations == ("ConsCo",)
    assert "coherence" in lkmm.check(corr.env(), keep_going=True).violations


@needs_lkmm
def test_a_co_that_is_not_total_per_location_is_no_candidate(lkmm: CatModel) -> None:
    two_writers = Execution(
        threads=[[(2, "W", "x")], [(3, "W", "x")]],
        init={"x": 0},
        rf=set(),
        co={"x": [2]},  # the write 3 is left out of co
        tags={"ONCE": {2, 3}},
    )
    assert lkmm.check(two_writers.env()).violations == ("co",)


def _critical_sections(reads_new: bool) -> Execution:
    # P0: spin_lock(l); x = 1; spin_unlock(l)   P1: spin_lock(l); r0 = x; spin_unlock(l)
    return Execution(
        threads=[
            [(2, "LKR", "l"), (3, "LKW", "l"), (4, "W", "x"), (5, "UL", "l")],
            [(6, "LKR", "l"), (7, "LKW", "l"), (8, "R", "x"), (9, "UL", "l")],
        ],
        init={"l": 0, "x": 1},
        rf={(0, 2), (5, 6), (4 if reads_new else 1, 8)},
        co={"l": [3, 5, 7, 9], "x": [4]},
        tags={"ONCE": {4, 8}},
    )


@needs_lkmm
def test_a_later_critical_section_sees_the_earlier_ones_write(lkmm: CatModel) -> None:
    r = lkmm.check(_critical_sections(reads_new=True).env())
    assert (r.violations, r.flags) == ((), ())


@needs_lkmm
def test_a_later_critical_section_missing_the_earlier_write_fails_happens_before(
    lkmm: CatModel,
) -> None:
    assert lkmm.check(_critical_sections(reads_new=False).env()).violations == ("happens-before",)


@needs_lkmm
@pytest.mark.parametrize(("source", "violations"), [(3, ()), (0, ("rfe-lf",))])
def test_a_failed_trylock_reads_from_a_held_lock(
    lkmm: CatModel, source: int, violations: tuple[str, ...]
) -> None:
    # P0: spin_lock(l); spin_unlock(l)   P1: spin_trylock(l) fails, reading `source`.
    # lock.cat's `with rfe-lf from cross(...)` offers only P0's lock write.
    trylock = Execution(
        threads=[[(2, "LKR", "l"), (3, "LKW", "l"), (4, "UL", "l")], [(5, "LF", "l")]],
        init={"l": 0},
        rf={(0, 2), (source, 5)},
        co={"l": [3, 4]},
    )
    env = trylock.env()
    env["LF"] = frozenset({5})
    r = lkmm.check(env)
    assert r.violations == violations
    assert r.value("rfe-lf") == (Relation({(3, 5)}) if source == 3 else Relation())


def _rcu(reader_sees_old_y: bool) -> Execution:
    # P0: rcu_read_lock(); r0 = x; r1 = y; rcu_read_unlock()
    # P1: y = 1; synchronize_rcu(); x = 1        r0 = 1 and r1 = 0 is forbidden
    return Execution(
        threads=[
            [(2, "F", None), (3, "R", "x"), (4, "R", "y"), (5, "F", None)],
            [(6, "W", "y"), (7, "F", None), (8, "W", "x")],
        ],
        init={"x": 0, "y": 1},
        rf={(8, 3), (1 if reader_sees_old_y else 6, 4)},
        co={"x": [8], "y": [6]},
        tags={"ONCE": {3, 4, 6, 8}, "rcu-lock": {2}, "rcu-unlock": {5}, "sync-rcu": {7}},
    )


@needs_lkmm
def test_rcu_reader_seeing_the_grace_periods_later_write_sees_the_earlier(
    lkmm: CatModel,
) -> None:
    ok = lkmm.check(_rcu(reader_sees_old_y=False).env())
    assert ok.consistent and ok.value("rcu-rscs") == Relation({(2, 5)})
    assert lkmm.check(_rcu(reader_sees_old_y=True).env()).violations == ("rcu",)


@needs_lkmm
def test_plain_accesses_racing_raise_the_data_race_flag(lkmm: CatModel) -> None:
    plain = _sb(fenced=False)
    plain.tags = {}
    r = lkmm.check(plain.env())
    assert (r.violations, r.flags) == ((), ("data-race",))


@needs_lkmm
def test_without_the_lkmmv2_variant_the_bell_raises_its_version_flag() -> None:
    assert LKMM is not None
    old = CatModel.load(LKMM, variants=frozenset())
    assert old.check(_sb(fenced=False).env()).flags == (
        "this-model-requires-variant-higher-than-lkmmv1",
    )


@needs_lkmm
def test_bindings_are_readable_after_a_check(lkmm: CatModel) -> None:
    r = lkmm.check(_mp(fenced=True).env(), keep_going=True)
    hb = r.value("hb")
    assert isinstance(hb, Relation) and {(2, 3), (3, 4), (4, 5)} <= hb.pairs
    assert r.value("Wmb") == frozenset({6})
    with pytest.raises(UsageError):
        r.value("no-such-relation")


@needs_lkmm
def test_an_execution_view_with_sets_relations_values_and_tags_plugs_in(
    lkmm: CatModel,
) -> None:
    flat = _sb(fenced=True).env()

    @dataclass(frozen=True)
    class View:
        sets: dict[str, frozenset[int]]
        relations: dict[str, Relation]
        values: dict[int, object]
        tags: dict[str, frozenset[int]]

    view = View(
        sets={k: v for k, v in flat.items() if isinstance(v, frozenset)},
        relations={k: v for k, v in flat.items() if isinstance(v, Relation)},
        values={},
        tags=flat["tags"],  # type: ignore[arg-type]
    )
    assert lkmm.check(view).violations == ("propagation",)


# -- parsing ---------------------------------------------------------------------------


@needs_lkmm
def test_the_lkmm_files_parse_with_their_checks_and_flags_named() -> None:
    assert LKMM is not None
    cat = parse_file(LKMM / "linux-kernel.cat")
    bell = parse_file(LKMM / "linux-kernel.bell")
    lock = parse_file(LKMM / "lock.cat")
    progs = (cat, bell, lock)
    names = [i.name for prog in progs for i in prog.instructions if isinstance(i, p.Test)]
    assert cat.title == "Linux-kernel memory consistency model"
    for name in ("coherence", "happens-before", "propagation", "rcu", "data-race"):
        assert name in names
    assert "unmatched-rcu-lock" in names and "lock-nest" in names


@needs_lkmm
def test_the_lkmm_loads_with_its_include_and_every_bell_tag(lkmm: CatModel) -> None:
    assert set(lkmm.includes) == {"lock.cat"}
    assert {"ONCE", "rcu-lock", "sync-srcu", "after-unlock-lock"} <= set(lkmm.tags)


def test_a_tag_names_its_event_set_with_the_first_letter_capitalised() -> None:
    assert [tag_set_name(t) for t in ("ONCE", "wmb", "rcu-lock", "MB", "sync-rcu")] == [
        "ONCE",
        "Wmb",
        "Rcu-lock",
        "MB",
        "Sync-rcu",
    ]


def _error(text: str) -> InputError:
    with pytest.raises(InputError) as e:
        parse_text(text, "t.cat")
    return e.value


def test_a_parse_error_gives_file_line_and_column_of_the_unexpected_token() -> None:
    e = _error('"t"\nlet x = po |\nacyclic x')
    assert (e.file, e.line, e.col) == ("t.cat", 3, 1)
    assert "unexpected `acyclic`" in str(e)


def test_an_unexpected_character_is_reported_where_it_is() -> None:
    e = _error("let x = po $ rf")
    assert (e.line, e.col) == (1, 12) and "'$'" in e.message


def test_an_unterminated_comment_is_reported_where_it_opens() -> None:
    e = _error("let x = po (* a (* nested *) comment\nlet y = rf")
    assert (e.line, e.col) == (1, 12) and "unterminated comment" in e.message


def test_unsupported_cat_constructs_are_named() -> None:
    e = _error("let f = fun s -> match s with || {} -> 0 end")
    assert (e.line, e.col) == (1, 18) and "`match`" in e.message


def test_nested_comments_and_line_comments_are_skipped() -> None:
    prog = parse_text('// SPDX\n"m" (* a (* b *) c *)\n# note\nlet x = po (* d *) ; rf')
    assert prog.title == "m" and len(prog.instructions) == 1


def test_precedence_follows_herd_union_loosest_then_seq_diff_inter() -> None:
    let = parse_text(r"let x = a | b ; c \ d & e ; f").instructions[0]
    assert isinstance(let, p.Let)
    seq = ("seq", "b", ("diff", "c", ("inter", "d", "e")), "f")
    assert _shape(let.bindings[0].expr) == ("union", "a", seq)


def _shape(e: p.Expr) -> object:
    if isinstance(e, p.Var):
        return e.name
    assert isinstance(e, p.Op)
    return (e.op, *(_shape(a) for a in e.args))


# -- the language on a tiny environment --------------------------------------------------

# Events 1..4.  po is the chain 1 -> 2 -> 3 -> 4; F = {2}; r = {(1,2), (2,3)}; s = {(3,4)}.
TINY: dict[str, object] = {
    "A": frozenset({1, 2}),
    "B": frozenset({3, 4}),
    "F": frozenset({2}),
    "po": Relation({(1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4)}),
    "r": Relation({(1, 2), (2, 3)}),
    "s": Relation({(3, 4)}),
    "universe": frozenset({1, 2, 3, 4}),
    "values": {1: 0, 2: 0, 3: 1, 4: 1},
    "tags": {"rcu-lock": frozenset({1}), "once": frozenset({3, 4})},
}


def _run(tmp: Path, text: str, env: object = None, **load: object) -> CatResult:
    (tmp / "t.cat").write_text(text)
    model = CatModel.load(tmp, "t.cat", bell=None, **load)  # type: ignore[arg-type]
    return model.check(TINY if env is None else env)  # type: ignore[arg-type]


def _rel(*pairs: tuple[int, int]) -> Relation:
    return Relation(pairs)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("r ; s", _rel((2, 4))),
        ("r ; r ; s", _rel((1, 4))),
        ("r+", _rel((1, 2), (2, 3), (1, 3))),
        ("r*", _rel((1, 2), (2, 3), (1, 3), (1, 1), (2, 2), (3, 3), (4, 4))),
        ("s?", _rel((3, 4), (1, 1), (2, 2), (3, 3), (4, 4))),
        ("r^-1", _rel((2, 1), (3, 2))),
        ("(r | s) \\ r", _rel((3, 4))),
        ("po & (r | s)", _rel((1, 2), (2, 3), (3, 4))),
        ("A * B", _rel((1, 3), (1, 4), (2, 3), (2, 4))),
        ("[A] ; po ; [B]", _rel((1, 3), (1, 4), (2, 3), (2, 4))),
        ("[A] ; [F]", _rel((2, 2))),
        ("fencerel(F)", _rel((1, 3), (1, 4))),
        ("~po & (B * A)", _rel((3, 1), (3, 2), (4, 1), (4, 2))),
        ("different-values(po)", _rel((1, 3), (1, 4), (2, 3), (2, 4))),
        ("singlestep(po)", _rel((1, 2), (2, 3), (3, 4))),
        ("map (fun p -> p) r", _rel((1, 2), (2, 3))),
        ("0", _rel()),
    ],
)
def test_relation_operators_compute_as_herd_defines_them(
    tmp_path: Path, expr: str, expected: Relation
) -> None:
    assert _run(tmp_path, f"let x = {expr}").value("x") == expected


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("A | B", {1, 2, 3, 4}),
        ("(A | B) \\ F", {1, 3, 4}),
        ("~A", {3, 4}),
        ("domain(r)", {1, 2}),
        ("range(r)", {2, 3}),
        ("domain(0)", set()),
        ("emptyset", set()),
        ("{}", set()),
        ("map (fun e -> e) A", {1, 2}),
        ("Rcu-lock | Once", {1, 3, 4}),
        ("try no-such-set with B", {3, 4}),
        ('if "v1" then A else B', {1, 2}),
        ('if "v2" then A else B', {3, 4}),
    ],
)
def test_set_operators_compute_as_herd_defines_them(
    tmp_path: Path, expr: str, expected: set[int]
) -> None:
    text = f"enum Tags = 'rcu-lock || 'once\nlet x = {expr}"
    assert _run(tmp_path, text, variants=frozenset({"v1"})).value("x") == frozenset(expected)


def test_functions_take_one_argument_or_a_tuple(tmp_path: Path) -> None:
    text = """
        let twice x = x ; x
        let both(a, b) = a | b
        let flip = fun x -> x^-1
        let x = both(twice(r), flip s)
        let y = let z = r in z ; s
    """
    r = _run(tmp_path, text)
    assert r.value("x") == _rel((1, 3), (4, 3))
    assert r.value("y") == _rel((2, 4))


def test_closures_capture_their_environment_when_made(tmp_path: Path) -> None:
    r = _run(tmp_path, "let t = r\nlet f x = x ; t\nlet t = s\nlet x = f(po)")
    assert r.value("x") == _rel((1, 3))  # po ; r, not po ; s


def test_let_rec_computes_a_least_fixpoint(tmp_path: Path) -> None:
    text = """
        let rec tc = r | (tc ; r)
        let rec odd = r | (even ; r) and even = odd ; r
        let nested = let rec c = s | (c ; s) in c
    """
    res = _run(tmp_path, text)
    assert res.value("tc") == _rel((1, 2), (2, 3), (1, 3))
    assert res.value("odd") == _rel((1, 2), (2, 3)) and res.value("even") == _rel((1, 3))
    assert res.value("nested") == _rel((3, 4))


def test_let_rec_functions_may_call_each_other(tmp_path: Path) -> None:
    text = 'let rec up x = x | down(x ; r) and down x = if "never" then up(x) else x\n'
    text += "let x = up(s)"
    assert _run(tmp_path, text).value("x") == _rel((3, 4))


def test_add_builds_singletons_and_cross_picks_one_from_each(tmp_path: Path) -> None:
    text = """
        include "cross.cat"
        let one p = p ++ 0
        let choices = { map one r, { s } }
        with pick from cross(choices)
    """
    # The concrete execution chose (2,3) and (3,4); (1,4) is no candidate's business.
    env = {**TINY, "chosen": _rel((2, 3), (3, 4), (1, 4))}
    res = _run(tmp_path, text, env, witnesses={"pick": "chosen"})
    assert res.consistent and res.value("pick") == _rel((2, 3), (3, 4))


def test_with_from_without_a_matching_candidate_is_a_violation(tmp_path: Path) -> None:
    res = _run(tmp_path, "with pick from { r, s }\nlet after = r", witnesses={"pick": "po"})
    assert res.violations == ("pick",)
    assert "after" not in res.bindings


def test_checks_stop_at_the_first_failure_unless_told_to_keep_going(tmp_path: Path) -> None:
    text = """
        acyclic r as fine
        empty r as r-is-empty
        irreflexive r*
        flag ~empty r as has-r
        flag ~empty 0 as never
    """
    first = _run(tmp_path, text)
    assert (first.violations, first.flags) == (("r-is-empty",), ())
    (tmp_path / "t.cat").write_text(text)
    all_ = CatModel.load(tmp_path, "t.cat", bell=None).check(TINY, keep_going=True)
    assert all_.violations == ("r-is-empty", "irreflexive r*")  # unnamed: herd's text
    assert all_.flags == ("has-r",)


def test_an_unbound_name_is_an_input_error_at_its_position(tmp_path: Path) -> None:
    with pytest.raises(InputError) as e:
        _run(tmp_path, "let x = r\nlet y = x ; rr")
    assert (e.value.line, e.value.col) == (2, 13) and "`rr`" in e.value.message
    assert "r" in e.value.hint


def test_a_type_error_names_what_was_expected(tmp_path: Path) -> None:
    with pytest.raises(InputError) as e:
        _run(tmp_path, "let x = r ; A")
    assert "relation expected, found event set" in e.value.message


def test_an_include_missing_from_the_directory_is_reported_at_the_include(
    tmp_path: Path,
) -> None:
    (tmp_path / "t.cat").write_text('"m"\ninclude "nowhere.cat"')
    with pytest.raises(InputError) as e:
        CatModel.load(tmp_path, "t.cat", bell=None)
    assert (e.value.file, e.value.line) == ("t.cat", 2) and "nowhere.cat" in e.value.message


def test_includes_are_read_from_the_model_directory(tmp_path: Path) -> None:
    (tmp_path / "defs.cat").write_text("let both = r | s")
    res = _run(tmp_path, 'include "defs.cat"\nlet x = both ; po')
    assert res.value("x") == _rel((1, 3), (1, 4), (2, 4))
