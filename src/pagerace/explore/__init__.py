"""The engine: runs programs, makes every choice, explores (optimal DPOR), replays, shrinks."""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from pagerace.core.lazy import submodule
from pagerace.explore.finding import Finding
from pagerace.explore.runtime import Program, World, fail, submit
from pagerace.explore.values import Val

if TYPE_CHECKING:
    from pagerace.explore.explorer import Options, explore
    from pagerace.explore.result import Counterexample, Result, Stats, Trace

# Imported on first use: a command that only reads litmus tests or lists scenarios does
# not pay for the explorer (DPOR, TruSt, shrinking) nor for exploration results.
_LAZY = {
    "Options": "pagerace.explore.explorer",
    "explore": "pagerace.explore.explorer",
    "Counterexample": "pagerace.explore.result",
    "Result": "pagerace.explore.result",
    "Stats": "pagerace.explore.result",
    "Trace": "pagerace.explore.result",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    return submodule(__name__, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


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
