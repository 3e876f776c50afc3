"""pagerace's table-driven parser against lark's: the same parse or the same error.

:mod:`pagerace.litmus.parser` parses with the tables of :mod:`pagerace.litmus._lalr`
and its own contextual lexer; lark's parser of the grammar, with lark's contextual
lexer, is the reference.  Every corpus file, and edits of it (characters deleted,
duplicated or replaced: mostly syntax errors), must give equal tests or equal messages.
Valid texts go through pagerace's loop, errors through lark's, which reports them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Lark

from pagerace.core.errors import InputError
from pagerace.litmus import grammar as g
from pagerace.litmus import parser as p
from pagerace.litmus import syntax as s
from pagerace.litmus.build import Build
from tests.unit.litmus.corpus import corpus_files, needs_corpus

FILES = corpus_files()
SB = """C SB
{ x=0; y=0; }
P0(int *x, int *y) { int r0; WRITE_ONCE(*x, 1); r0 = READ_ONCE(*y); }
P1(int *x, int *y) { int r0; WRITE_ONCE(*y, 1); r0 = READ_ONCE(*x); }
exists (0:r0=0 /\\ 1:r0=0)
"""


def lark_lexing() -> Lark:
    """lark's parser of the grammar, with its contextual lexer."""
    return g.lark_parser()


def outcome(text: str, parser: Lark | None) -> object:
    try:
        return p.parse_text(text, "t.litmus", parser)
    except InputError as e:
        return str(e)


def same(text: str) -> None:
    assert outcome(text, None) == outcome(text, lark_lexing())


@needs_corpus
@pytest.mark.parametrize("path", FILES, ids=lambda f: f.stem)
def test_every_corpus_file_parses_as_with_larks_lexer(path):
    same(path.read_text())


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_edited_texts_parse_or_fail_as_with_larks_lexer(data):
    texts = [f.read_text() for f in FILES[:12]] or [SB]
    text = data.draw(st.sampled_from(texts))
    # The `C NAME` line stays: where it is broken, lark reports the first character
    # (its last-token heuristic) and pagerace says what a test must start with.
    start = text.index("\n") + 1
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(start, len(text)))
        edit = data.draw(st.sampled_from(["delete", "duplicate", "replace"]))
        if edit == "delete":
            text = text[:i] + text[i + 1 :]
        elif edit == "duplicate":
            text = text[:i] + text[i : i + 1] + text[i:]
        else:
            char = data.draw(st.sampled_from([*"(){};,*&=~!-+/\\[]:0x a\n", "é"]))
            text = text[:i] + char + text[i + 1 :]
    same(text)


def test_keywords_are_names_where_no_keyword_is_expected():
    # `filter`, `not` and `locations` are keywords of the condition block only.
    text = SB.replace("int r0;", "int filter; int not; int locations;", 1)
    test = p._parse(text, Build("t.litmus"))  # the table-driven loop itself, no fallback
    assert test == outcome(text, lark_lexing())
    assert [d.name for d in test.procs[0].body[:3]] == ["filter", "not", "locations"]


def test_a_type_spanning_lines_keeps_the_positions_after_it():
    # `struct srcu_struct` is one token, white space (a line break too) inside it.
    text = SB.replace("{ x=0; y=0; }", "{ x=0; y=0; struct\nsrcu_struct s; }")
    test = p._parse(text, Build("t.litmus"))
    assert test == outcome(text, lark_lexing())
    assert test.procs[0].pos == s.Pos(4, 1)  # (line 3 before the type: one line more)


# Error messages, fixed: the table-driven loop rejects these, and lark says why.
MESSAGES = {
    "": "t.litmus:1:1: unexpected end of file: the file has no test",
    "[C x\n": "t.litmus:1:1: unexpected `[C`\n  a C litmus test starts with `C NAME`",
    "/*C": "t.litmus:1:1: unexpected `/*C`",
    "struct x\n": "t.litmus:1:1: unexpected `struct`\n  a C litmus test starts with",
    "C t\n{}\nP0(int *x)\nwhile\n{}\n": "t.litmus:4:1: unexpected `while`; expected `{`",
    "C t\n{}\nP0(int *x)\n{ while (1) ; }\n": "t.litmus:4:3: unsupported C: `while`",
    "C t\n{}\nP0(int *x)\n{\n  WRITE_ONCE(*x, 1)\n}\n": "t.litmus:5:20: missing `;` after `)`",
    "C t\n{ x = ; }\n": "t.litmus:2:7: unexpected `;`; expected one of",
}


@pytest.mark.parametrize("text", MESSAGES, ids=range(len(MESSAGES)))
def test_error_messages(text):
    for parser in (None, lark_lexing()):
        message = outcome(text, parser)
        assert isinstance(message, str) and message.startswith(MESSAGES[text]), message


@needs_corpus
def test_the_table_driven_loop_builds_every_corpus_test_as_larks_loop_does():
    # parse_text falls back to lark's loop on any error: this checks the fast loop
    # itself parses every valid test, to the same result.
    for path in FILES:
        text = path.read_text()
        expected = p._expected(text)
        got = p._parse(text, Build(str(path), expected))
        assert got == g.parse(text, str(path), expected), path.name


def test_the_generated_tables_are_those_of_the_grammar():
    # After a change of GRAMMAR: `python -m pagerace.litmus.grammar` rewrites _lalr.py.
    import lark

    from pagerace.litmus import _lalr

    assert g.grammar_digest() == _lalr.GRAMMAR_SHA256, "run: python -m pagerace.litmus.grammar"
    if lark.__version__ == _lalr.LARK_VERSION:  # (another lark may number states otherwise)
        assert Path(_lalr.__file__).read_text() == g.tables_source()
