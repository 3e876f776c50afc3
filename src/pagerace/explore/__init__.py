"""The engine: runs programs, makes every choice, explores (optimal DPOR), replays, shrinks."""

from typing import TYPE_CHECKING, Any

from pagerace.explore.result import Counterexample, Finding, Result, Stats, Trace
from pagerace.explore.runtime import Program, World, fail, submit
from pagerace.explore.values import Val

if TYPE_CHECKING:
    from pagerace.explore.explorer import Options, explore


def __getattr__(name: str) -> Any:
    """The explorer (DPOR, TruSt, shrinking) is imported on first use: a command that
    only reads litmus tests or lists scenarios does not pay for it."""
    if name in ("Options", "explore"):
        from pagerace.explore import explorer

        return getattr(explorer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Counterexample",
    "Finding",
    "Options",
    "Program",
    "Result",
    "Stats",
    "Trace",
    "Val",
    "World",
    "explore",
    "fail",
    "submit",
]
