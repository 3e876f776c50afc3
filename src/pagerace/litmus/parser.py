"""Parsing C litmus files (herd7's C format, as the kernel's litmus tests use it).

A table-driven LALR(1) parser: the tables are those lark builds for
:data:`pagerace.litmus.grammar.GRAMMAR`, generated into :mod:`._lalr`, so that lark is
not imported to parse a valid test.  Its lexer is contextual, as lark's: a parser state
takes only the terminals it accepts, tried in lark's order; a regex terminal's match
that spells a literal the state accepts (``if`` by ``NAME``) is that literal; white
space and comments are skipped between tokens.  A token is read by its first
character: per state, the terminals the state accepts that can start with it (their
first characters are generated with the tables), a literal that an earlier terminal
always shadows left out, in one pattern compiled on first use (a lone literal needs
none).  Rules build :mod:`.syntax` nodes as they are reduced
(:class:`~pagerace.litmus.build.Build`).

A text this parser rejects is parsed again by lark (:func:`pagerace.litmus.grammar.parse`),
which reports the error as ``file:line:col: message``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from pagerace.core.errors import InputError
from pagerace.litmus import syntax as s
from pagerace.litmus.build import Build, Token

_RESULT = re.compile(r"^[ \t]*(?:\(\*|\*)?[ \t]*Result:[ \t]*([A-Za-z]+(?:[ \t]+DATARACE)?)", re.M)
_REJECTED = frozenset({"UNSUPPORTED"})  # lark reports it: "unsupported C: `while`"


new_token = tuple.__new__  # (a named tuple's own __new__ is a Python-level call)


class _Rejected(Exception):
    """The text is not one this parser takes: lark parses it again and says why."""


class _Rule:
    """A reduction: pop ``size`` values, keep and inline children as lark's tree
    builder does, call the rule's :class:`Build` method, go to the state after
    ``origin``.  ``unit``: a ``?rule`` of one symbol, whose value is that symbol's."""

    __slots__ = ("callback", "expand1", "keep", "name", "nones", "origin", "size", "unit")

    def __init__(self, entry: tuple[Any, ...]) -> None:
        self.size, self.origin, self.name, self.expand1, keep, self.nones = entry
        identity = all(i == j and not inline and not n for j, (i, inline, n) in enumerate(keep))
        self.keep = None if identity and len(keep) == self.size and not self.nones else keep
        self.unit = self.expand1 and self.keep is None and self.size == 1
        self.callback: Callable[[Build, list[Any]], Any] | None = getattr(Build, self.name, None)

    def reduce(self, build: Build, children: list[Any]) -> Any:
        if self.keep is not None:
            kept: list[Any] = []
            for i, inline, nones in self.keep:
                if nones:
                    kept += [None] * nones
                if inline:
                    kept += children[i].children
                else:
                    kept.append(children[i])
            if self.nones:
                kept += [None] * self.nones
            children = kept
        if self.expand1 and len(children) == 1:
            return children[0]
        if self.callback is None:  # a helper rule (``x*``): inlined into its parent
            return build.__default__(self.name, children, None)
        return self.callback(build, children)


class _Tables:
    """The tables, and the lexer's patterns: per parser state and first character of
    a token, the terminals the state accepts that can start with that character, in
    lark's order (lark's contextual lexer tries all those the state accepts; the
    others cannot match there).  A literal alone needs no pattern (``;``, ``exists``).
    Made on first use."""

    def __init__(self) -> None:
        from pagerace.litmus import _lalr  # (generated: imported where it is used)

        self.rows = _lalr.STATES
        self.start, self.end = _lalr.START, _lalr.END
        self.regex = dict(_lalr.TERMINALS)
        self.first = _lalr.FIRST
        self.shadowed = _lalr.SHADOWED
        self.rules = tuple(_Rule(e) for e in _lalr.RULES)
        self.literals = _lalr.LITERALS
        self.text = {name: value for value, name in self.literals.items()}
        self.regex_terminals = frozenset(self.regex.keys() - self.literals.values())
        self.skip = re.compile("(?:" + "|".join(r for _, r in _lalr.IGNORE) + ")*+")
        self.skip_first = frozenset("".join(self.first[n] for n, _ in _lalr.IGNORE))
        self.by_state: list[dict[str, Any]] = [{} for _ in self.rows]
        self._patterns: dict[tuple[str, ...], re.Pattern[str]] = {}

    def lexer(self, state: int, c: str) -> Any:
        """How a token starting with ``c`` is read in ``state``: the literal it can only
        be, as ``(name, text)``, or a pattern of the terminals it may be."""
        accepts = [n for n in self.regex if n in self.rows[state]]
        if c < "\x80":
            accepts = [n for n in accepts if c in self.first[n]]
        # A literal after a terminal that matches wherever it does never matches first.
        accepts = [n for n in accepts if not set(self.shadowed.get(n, ())) & {*accepts}]
        if len(accepts) == 1 and accepts[0] in self.text:
            got: Any = (accepts[0], self.text[accepts[0]])
        else:
            got = self._pattern(tuple(accepts))
        self.by_state[state][c] = got
        return got

    def _pattern(self, names: tuple[str, ...]) -> re.Pattern[str]:
        got = self._patterns.get(names)
        if got is None:
            alternatives = "|".join(f"(?P<{n}>{self.regex[n]})" for n in names)
            got = self._patterns[names] = re.compile(alternatives or "(?!)")
        return got


@cache
def tables() -> _Tables:
    """The parser's tables, made once per process."""
    return _Tables()


def _parse(text: str, build: Build) -> Any:
    """The LALR(1) loop, lexing one token ahead in the state it is read in."""
    t = tables()
    rows, rules, literals, regex_terminals = t.rows, t.rules, t.literals, t.regex_terminals
    skip, skip_first, by_state = t.skip.match, t.skip_first, t.by_state
    stack, values = [t.start], []
    pos, line, line_start, end = 0, 1, 0, len(text)
    while True:
        state = stack[-1]
        row = rows[state]
        if pos < end and text[pos] in skip_first:
            start = skip(text, pos).end()  # type: ignore[union-attr]  # it matches ""
            if start != pos:  # white space and comments
                newlines = text.count("\n", pos, start)
                if newlines:
                    line += newlines
                    line_start = text.rindex("\n", pos, start) + 1
        else:
            start = pos
        tok: Any = None
        if start >= end:
            kind = "$END"
        else:
            c = text[start]
            how = by_state[state].get(c) or t.lexer(state, c)
            if type(how) is tuple:
                kind, value = how
                if not text.startswith(value, start):
                    raise _Rejected
                pos = start + len(value)
            else:
                m = how.match(text, start)
                if m is None:
                    raise _Rejected
                kind, value, pos = m.lastgroup, m.group(), m.end()
                if kind in regex_terminals and value in literals and literals[value] in row:
                    kind = literals[value]
                if kind in _REJECTED:
                    raise _Rejected
            tok = new_token(Token, (kind, value, line, start - line_start + 1))
            if "\n" in value:  # (`struct\nsrcu_struct`: a type may span lines)
                line += value.count("\n")
                line_start = start + value.rindex("\n") + 1
        while True:
            act = row.get(kind)
            if act is None:
                raise _Rejected
            if act >= 0:
                stack.append(act)
                values.append(tok)
                break
            rule = rules[~act]
            if rule.unit:  # the value stays; only the state changes
                del stack[-1]
            else:
                size = rule.size
                if size:
                    children = values[-size:]
                    del stack[-size:], values[-size:]
                else:
                    children = []
                values.append(rule.reduce(build, children))
            stack.append(rows[stack[-1]][rule.origin])
            if tok is None and stack[-1] == t.end:
                return values[-1]
            row = rows[stack[-1]]


def parse_file(path: str | os.PathLike[str]) -> s.LitmusTest:
    """Read and parse one ``.litmus`` file."""
    name = str(path)
    try:
        with open(path, "rb") as f:  # (a third of the time of Path.read_text)
            text = f.read().decode("utf-8-sig")  # (a byte-order mark is not text)
    except UnicodeDecodeError as e:
        raise InputError(name, 1, 1, f"not a UTF-8 text file ({e.reason})") from None
    except OSError as e:
        raise InputError(name, 1, 1, f"cannot read the file: {e.strerror}") from None
    if "\r" in text:  # universal newlines, as text mode reads them
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return parse_text(text, name)


def parse_text(text: str, file: str = "<litmus>", parser: Any = None) -> s.LitmusTest:
    """Parse the text of one C litmus test; ``file`` names it in error messages.
    ``parser``: a Lark parser of the grammar with ``transformer=grammar.BUILD``, used
    instead (tests compare it with this parser)."""
    expected = _expected(text)
    if parser is None:
        try:
            return _parse(text, Build(file, expected))  # type: ignore[no-any-return]
        except InputError:  # a rule's (`P2` where `P1` was expected): lark's too
            raise
        except Exception:  # lark parses it again, and says what is wrong
            pass
    from pagerace.litmus import grammar

    return grammar.parse(text, file, expected, parser)


def _expected(text: str) -> str | None:
    m = _RESULT.search(text)
    return " ".join(m.group(1).split()) if m else None
