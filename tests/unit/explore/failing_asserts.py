"""Models whose Python ``assert`` fails, kept out of the test modules on purpose: pytest
rewrites the asserts of test modules (adding its own message), and these must fail
exactly as they do in a user's model."""

from __future__ import annotations

from pagerace import kernel as k
from pagerace.explore import World


def one_bare_assert(w: World) -> None:
    x = w.location("x")

    @w.thread("P0")
    def p0() -> None:
        v = k.READ_ONCE(x)
        assert v == 2


def two_different_bare_asserts(w: World) -> None:
    """Two threads, two different conditions, both false in every execution."""
    x, y = w.location("x"), w.location("y")

    @w.thread("P0")
    def p0() -> None:
        v = k.READ_ONCE(x)
        assert v == 2

    @w.thread("P1")
    def p1() -> None:
        u = k.READ_ONCE(y)
        assert u == 3
