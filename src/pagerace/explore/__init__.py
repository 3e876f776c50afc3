"""The engine: runs programs, makes every choice, explores (optimal DPOR), replays, shrinks."""

from pagerace.explore.explorer import Options, explore
from pagerace.explore.result import Counterexample, Finding, Result, Stats, Trace
from pagerace.explore.runtime import Program, World, fail, submit
from pagerace.explore.values import Val

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
