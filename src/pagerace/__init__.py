"""pagerace: an executable model of Linux's 2013 compound-page / THP refcounting, and a
stateless model checker for kernel-style concurrent code.

The curated namespace: build a :class:`Program` whose threads are plain Python functions
calling :mod:`pagerace.kernel` primitives, then explore it with
:func:`pagerace.explore.explore` (not re-exported here: the name is the subpackage's).
"""

from typing import TYPE_CHECKING, Any

from pagerace.core.errors import InputError, InternalError, PageraceError, UsageError
from pagerace.core.lazy import submodule

if TYPE_CHECKING:
    from pagerace.explore import (
        Counterexample,
        Finding,
        Options,
        Program,
        Result,
        Stats,
        Trace,
        Val,
        World,
    )


def __getattr__(name: str) -> Any:
    """The engine's names (those of ``__all__`` not defined here), imported on first use
    (``import pagerace.litmus`` does not load the explorer); submodules likewise."""
    from importlib import import_module

    if name in __all__:
        return getattr(import_module("pagerace.explore"), name)
    return submodule(__name__, name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


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
