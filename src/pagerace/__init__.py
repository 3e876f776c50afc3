"""pagerace: an executable model of Linux's 2013 compound-page / THP refcounting, and a
stateless model checker for kernel-style concurrent code.

The curated namespace: build a :class:`Program` whose threads are plain Python functions
calling :mod:`pagerace.kernel` primitives, then explore it with
:func:`pagerace.explore.explore` (not re-exported here: the name is the subpackage's).
"""

from typing import TYPE_CHECKING, Any

from pagerace.core.errors import InputError, InternalError, PageraceError, UsageError
from pagerace.explore import Counterexample, Finding, Program, Result, Stats, Trace, Val, World

if TYPE_CHECKING:
    from pagerace.explore import Options


def __getattr__(name: str) -> Any:
    if name == "Options":  # the explorer, imported on first use
        from pagerace.explore import explorer

        return explorer.Options
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__version__ = "0.1.0"

__all__ = [
    "Counterexample",
    "Finding",
    "InputError",
    "InternalError",
    "Options",
    "PageraceError",
    "Program",
    "Result",
    "Stats",
    "Trace",
    "UsageError",
    "Val",
    "World",
    "__version__",
]
