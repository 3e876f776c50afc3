"""Parsing C litmus tests: the kernel's corpus, every construct, and errors at file:line:col."""

from __future__ import annotations

import re

import pytest

from pagerace.core.errors import InputError
from pagerace.litmus import parse_file, parse_text
from pagerace.litmus import syntax as s
from tests.unit.litmus.corpus import KERNEL, corpus_files, needs_corpus


@needs_corpus
def test_the_kernel_corpus_has_its_47_tests():
    assert len(corpus_files()) == 47


@needs_corpus
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_every_kernel_litmus_test_parses_with_its_result_header(path):
    test = parse_file(path)
    assert test.name == path.read_text().split()[1]
    assert test.procs
    assert test.expected in ("Never", "Sometimes", "DEADLOCK")


@needs_corpus
def test_a_pointer_init_and_rcu_body_parse_to_addresses_and_derefs():
    test = parse_file(KERNEL / "Documentation/litmus-tests/rcu/RCU+sync+free.litmus")
    y = next(i for i in test.init if isinstance(i.target, s.Shared) and i.target.name == "y")
    assert isinstance(y.value, s.Address) and y.value.name == "x"
    assert y.type == "int *"
    (p0, _) = test.procs
    calls = [c.name for c in s.calls(p0.body)]
    assert calls == ["rcu_read_lock", "rcu_dereference", "READ_ONCE", "rcu_read_unlock"]


INIT = """C init-forms
{
  x=2; int y = -1; 0:r1=7; atomic_t v = ATOMIC_INIT(3); int *p=&x; spinlock_t s; q = y;
}
P0(int *x) { int r1; }
exists (x=2)
"""


def test_the_init_block_accepts_types_registers_atomics_pointers_and_bare_names():
    items = {
        (i.target.name if isinstance(i.target, s.Shared) else f"0:{i.target.name}"): i
        for i in parse_text(INIT).init
    }
    values = {k: getattr(i.value, "name", i.value) for k, i in items.items()}
    assert values == {"x": 2, "y": -1, "0:r1": 7, "v": 3, "p": "x", "s": None, "q": "y"}
    assert isinstance(items["p"].value, s.Address)
    assert items["v"].type == "atomic_t"
    assert items["s"].type == "spinlock_t"


def test_conjunction_binds_tighter_than_disjunction_and_tilde_negates():
    text = "C t\n{}\nP0(int *x) { }\nexists (x=1 \\/ ~x=2 /\\ x!=3)\n"
    prop = parse_text(text).condition.prop
    assert isinstance(prop, s.Or)
    assert isinstance(prop.right, s.And)
    assert isinstance(prop.right.left, s.Not)
    assert isinstance(prop.right.right, s.Atom) and prop.right.right.negated


@pytest.mark.parametrize(
    ("clause", "quantifier"),
    [("exists (x=1)", "exists"), ("~exists (x=1)", "~exists"), ("forall (x=1)", "forall")],
)
def test_the_three_quantifiers_parse(clause, quantifier):
    text = f"C t\n{{}}\nP0(int *x) {{ WRITE_ONCE(*x, 1); }}\n{clause}\n"
    assert parse_text(text).condition.quantifier == quantifier


def test_a_test_without_a_condition_gets_forall_true_as_in_herd():
    cond = parse_text("C t\n{}\nP0(int *x) { WRITE_ONCE(*x, 1); }\n").condition
    assert (cond.quantifier, cond.prop) == ("forall", s.Const(True, cond.prop.pos))


def test_locations_and_filter_are_kept():
    text = (
        "C t\n{}\nP0(int *x) { int r0; r0 = READ_ONCE(*x); }\n"
        "locations [x; 0:r0;]\nfilter (0:r0=0)\nexists (x=0)\n"
    )
    test = parse_text(text)
    assert [type(t).__name__ for t in test.locations] == ["Shared", "Reg"]
    assert isinstance(test.filter, s.Atom)


def test_if_else_blocks_nested_expressions_and_a_void_cast_parse():
    text = """C t
{}
P0(int *x, atomic_t *v)
{
	int r0 = READ_ONCE(*x);
	if (r0 == 1 && !(r0 + 2 * 3 != 7)) {
		WRITE_ONCE(*x, r0 - 1);
	} else
		(void)atomic_add_unless(v, 1, 0);
}
exists (x=0)
"""
    (st_decl, st_if) = parse_text(text).procs[0].body
    assert isinstance(st_decl, s.Decl) and isinstance(st_decl.init, s.Call)
    assert isinstance(st_if, s.If)
    assert isinstance(st_if.cond, s.Binary) and st_if.cond.op == "&&"
    (else_stmt,) = st_if.orelse
    assert isinstance(else_stmt, s.ExprStmt) and isinstance(else_stmt.expr, s.Cast)


def test_herd_comments_are_skipped_but_a_parenthesised_deref_is_c():
    text = (
        "C t\n(* Result: Sometimes *)\n{}\nP0(int *x) // a C comment\n"
        "{ int r0; /* another */ r0 = (*x); }\nexists (0:r0=0) (* Bad outcome. *)\n"
    )
    test = parse_text(text)
    assert test.expected == "Sometimes"
    (_, assign) = test.procs[0].body
    assert isinstance(assign, s.Assign) and isinstance(assign.value, s.Unary)


# -- errors ------------------------------------------------------------------------------


def error_of(text: str) -> InputError:
    with pytest.raises(InputError) as info:
        parse_text(text, "t.litmus")
    return info.value


def test_a_missing_semicolon_is_reported_where_it_belongs():
    e = error_of(
        "C t\n{}\nP0(int *x)\n{\n\tint r0;\n\tr0 = READ_ONCE(*x)\n\tWRITE_ONCE(*x, 1);\n}\n"
    )
    assert (e.line, e.col) == (6, 20)
    assert str(e).startswith("t.litmus:6:20: missing `;`")


def test_a_stray_character_is_reported_at_its_position():
    e = error_of("C t\n{}\nP0(int *x)\n{\n\tWRITE_ONCE(*x, 1) @;\n}\n")
    assert re.match(r"t\.litmus:5:20: unexpected character '@'", str(e))


def test_a_loop_is_rejected_by_name():
    e = error_of("C t\n{}\nP0(int *x)\n{\n\twhile (1) { }\n}\n")
    assert str(e).startswith("t.litmus:5:2: unsupported C: `while`")


def test_a_test_for_another_architecture_is_rejected():
    e = error_of("X86 SB\n{}\n")
    assert "a C litmus test starts with `C NAME`" in str(e)


def test_a_truncated_file_says_what_is_missing():
    e = error_of("C t\n{}\nP0(int *x)\n{\n\tWRITE_ONCE(*x, 1);\n")
    assert "end of file: a `}` is missing" in str(e)


def test_threads_must_be_numbered_from_p0():
    e = error_of("C t\n{}\nP1(int *x) { }\n")
    assert str(e).startswith("t.litmus:3:1: thread P1 where P0 was expected")


@needs_corpus
def test_a_file_with_crlf_line_ends_parses_as_with_lf(tmp_path):
    path = corpus_files()[0]
    crlf = tmp_path / path.name
    crlf.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert parse_file(crlf) == parse_file(path)._replace(file=str(crlf))


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"])
def test_an_error_in_a_file_with_other_line_ends_is_reported_on_its_line(tmp_path, newline):
    text = b"C t\n{}\nP0(int *x)\n{\n\tWRITE_ONCE(*x, 1) @;\n}\n"
    path = tmp_path / "t.litmus"
    path.write_bytes(text.replace(b"\n", newline))
    with pytest.raises(InputError, match=r"t\.litmus:5:20: unexpected character '@'"):
        parse_file(path)


def test_a_file_that_is_not_utf8_or_not_readable_is_an_input_error(tmp_path):
    bad = tmp_path / "bad.litmus"
    bad.write_bytes(b"C bad\n\xff\xfe{}\n")
    with pytest.raises(InputError, match=r"bad\.litmus:1:1: not a UTF-8 text file"):
        parse_file(bad)
    with pytest.raises(InputError, match=r"1:1: cannot read the file"):
        parse_file(tmp_path)  # a directory


def test_syntax_nodes_of_different_classes_are_never_equal():
    pos = s.Pos(1, 1)
    assert s.Shared("x", pos) != s.Address("x", pos)
    assert s.Shared("x", pos) == s.Shared("x", s.Pos(1, 1))
    assert s.Var("r0", pos) != ("r0", pos)
    assert len({s.Shared("x", pos), s.Address("x", pos)}) == 2


@pytest.mark.parametrize("text", ["", "\n\n", "(* only a comment *)\n"])
def test_a_file_without_a_test_says_so(text):
    with pytest.raises(InputError, match=r"t\.litmus:1:1: unexpected end of file: the file has"):
        parse_text(text, "t.litmus")


def test_a_test_name_missing_is_reported_at_the_end():
    with pytest.raises(
        InputError, match=r"(?s)t\.litmus:1:1: unexpected end of file\n.*starts with `C NAME`"
    ):
        parse_text("C", "t.litmus")
