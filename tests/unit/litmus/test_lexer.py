"""pagerace's lexer against lark's contextual lexer: the same parse or the same error.

The parser runs with :class:`pagerace.litmus.parser._Lexer` (one compiled pattern per
parser state, comments skipped by one pattern); lark's own contextual lexer is the
reference.  Every corpus file, and edits of it (characters deleted, duplicated or
replaced: mostly syntax errors), must give equal tests or equal messages.  Valid texts
go through pagerace's LALR loop over lark's table (:func:`pagerace.litmus.parser._fast_parse`),
errors through lark's loop, which reports them.
"""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Lark

from pagerace.core.errors import InputError
from pagerace.litmus import parser as p
from tests.unit.litmus.corpus import corpus_files, needs_corpus

FILES = corpus_files()
SB = """C SB
{ x=0; y=0; }
P0(int *x, int *y) { int r0; WRITE_ONCE(*x, 1); r0 = READ_ONCE(*y); }
P1(int *x, int *y) { int r0; WRITE_ONCE(*y, 1); r0 = READ_ONCE(*x); }
exists (0:r0=0 /\\ 1:r0=0)
"""


@cache
def lark_lexing() -> Lark:
    """The same grammar and transformer with lark's contextual lexer."""
    return Lark(
        p.GRAMMAR,
        parser="lalr",
        lexer="contextual",
        maybe_placeholders=True,
        lexer_callbacks={"UNSUPPORTED": p._reject},
        transformer=p.TRANSFORMER,
    )


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
            char = data.draw(st.sampled_from(list("(){};,*&=~!-+/\\[]:0x a\n")))
            text = text[:i] + char + text[i + 1 :]
    same(text)


def test_keywords_are_names_where_no_keyword_is_expected():
    # `filter`, `not` and `locations` are keywords of the condition block only.
    text = SB.replace("int r0;", "int filter; int not; int locations;", 1)
    assert outcome(text, None) == outcome(text, lark_lexing())


@needs_corpus
def test_the_fast_lalr_loop_builds_every_corpus_test_as_larks_loop_does():
    # parse_text falls back to lark's loop on any error: this checks the fast loop
    # itself parses every valid test, to the same result.
    for path in FILES:
        text = path.read_text()
        p._BUILD.file, p._BUILD.expected = str(path), p._expected(text)
        assert p._fast_parse(text) == p.lark_parser().parse(text), path.name
