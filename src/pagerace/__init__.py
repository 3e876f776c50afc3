"""pagerace: an executable model of Linux's 2013 compound-page / THP refcounting, and a
stateless model checker for kernel-style concurrent code.

The curated namespace: build a :class:`Program` whose threads are plain Python functions
calling :mod:`pagerace.kernel` primitives, then explore it with
:func:`pagerace.explore.explore` (not re-exported here: the name is the subpackage's).
"""

from pagerace.core.errors import InputError, InternalError, PageraceError, UsageError
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
