"""Errors pagerace raises, each carrying what the user should do next.

Findings (races, lost locks, deadlocks) are results, never exceptions: see
``pagerace.explore.result``.  What lives here is for bad input, bad usage and our own bugs.
"""

from __future__ import annotations


class PageraceError(Exception):
    """Base class: every error pagerace raises on purpose."""


class UsageError(PageraceError):
    """A bad value on the command line or in an API call (exit code 2)."""

    def __init__(self, what: str, got: object, expected: str) -> None:
        self.what, self.got, self.expected = what, got, expected
        super().__init__(f"{what}: got {got!r}; expected {expected}")


class InputError(PageraceError):
    """Malformed input at ``file:line:col`` (exit code 2)."""

    def __init__(self, file: str, line: int, col: int, message: str, hint: str = "") -> None:
        self.file, self.line, self.col, self.message, self.hint = file, line, col, message, hint
        text = f"{file}:{line}:{col}: {message}"
        super().__init__(f"{text}\n  {hint}" if hint else text)


class ModelError(PageraceError):
    """Model code misused a primitive (wrong argument type, call outside a model thread)."""


class InternalError(PageraceError):
    """Our own bug: the message says so, so that users report it."""

    def __init__(self, message: str) -> None:
        super().__init__(f"[pagerace internal bug] {message}")
