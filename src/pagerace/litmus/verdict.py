"""Running a litmus test under a memory model: herd7's verdict, from every execution.

The explorer visits each consistent execution once (optimal DPOR); each one that
completes is an outcome: its final state restricted to the observed variables.  As in
herd7, executions that fail the ``filter`` are dropped; the rest are counted as
*positive* (the condition's proposition holds) or *negative*; the observation is
``Never`` (no positive), ``Always`` (no negative) or ``Sometimes``.  A run that
deadlocks (every thread waits on a lock) is not an execution, as in lock.cat; a test
all of whose runs deadlock is ``Never 0 0``, which the kernel's judgelitmus.sh calls
``DEADLOCK``.

``Ok``/``No`` and the ``Witnesses`` line follow the quantifier (herd7's output):
``exists p`` is Ok when some execution satisfies p; ``~exists p`` when none does (its
witnesses count the executions *not* satisfying p); ``forall p`` when all do.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from pagerace.core.errors import InputError, InternalError, UsageError
from pagerace.core.records import Record
from pagerace.explore import Finding, World
from pagerace.explore.candidates import Candidate, CandidateStats, candidates
from pagerace.litmus import syntax as s
from pagerace.litmus.condition import (
    FinalValue,
    State,
    final_value,
    holds,
    key,
    observed,
    show_condition,
    show_state,
    sort_key,
    variables,
)
from pagerace.litmus.parser import parse_file, tables
from pagerace.litmus.program import LitmusProgram, Run
from pagerace.litmus.resolve import resolve
from pagerace.models.base import MemoryModel, model_by_name

MODELS = ("sc", "tso", "lkmm", "cat:DIR")
VERDICTS = ("Never", "Sometimes", "Always", "DEADLOCK")


class LitmusResult(Record):
    """One test's verdict (``status`` ``done``), or why there is none: ``error`` (bad
    input, ``error`` holds ``file:line:col: message``), ``timeout``, ``interrupted``."""

    name: str
    file: str
    model: str
    status: str
    quantifier: str = "exists"
    condition: str = ""
    states: tuple[str, ...] = ()
    positive: int = 0  # executions where the condition's proposition holds
    negative: int = 0  # ... where it does not (filtered-out executions are in neither)
    executions: int = 0  # complete executions explored, filtered ones and deadlocks included
    deadlocks: int = 0
    expected: str | None = None  # the "Result:" header: an LKMM verdict, not this model's
    flags: tuple[str, ...] = ()
    elapsed_s: float = 0.0
    error: str = ""
    uses_srcu: bool = False

    @property
    def kind(self) -> str:
        return "Required" if self.quantifier == "forall" else "Allowed"

    @property
    def observation(self) -> str:
        if self.status != "done":
            return ""
        if self.positive == 0:
            return "Never"
        return "Always" if self.negative == 0 else "Sometimes"

    @property
    def ok(self) -> bool:
        if self.quantifier == "exists":
            return self.positive > 0
        if self.quantifier == "~exists":
            return self.positive == 0
        return self.negative == 0

    @property
    def witnesses(self) -> tuple[int, int]:
        """herd7's ``Witnesses`` line: counts for the quantified condition."""
        if self.quantifier == "~exists":
            return self.negative, self.positive
        return self.positive, self.negative

    @property
    def judged(self) -> str:
        """The verdict as judgelitmus.sh compares it with a ``Result:`` header."""
        if self.observation == "Never" and self.positive + self.negative == 0:
            return "DEADLOCK"
        return self.observation

    @property
    def agrees(self) -> bool | None:
        """Whether the verdict matches the header; None without a verdict or a header."""
        if self.status != "done" or self.expected is None:
            return None
        return self.expected.split()[0] == self.judged


def run_file(
    path: str | os.PathLike[str], model: str = "sc", timeout_s: float | None = None
) -> LitmusResult:
    """Parse and run one file; an input error becomes a result with status ``error``."""
    path = os.fspath(path)
    tables()  # the parser's, made once per process, outside the first test's time
    with contextlib.suppress(UsageError, InputError):
        model_by_name(model)  # likewise (a bad name is reported by run_test)
    start = time.perf_counter()
    try:
        test = parse_file(path)
    except InputError as e:
        return LitmusResult(
            _name(path), str(path), model, "error", error=str(e), elapsed_s=_since(start)
        )
    result = run_test(test, model, timeout_s)
    return result._replace(elapsed_s=_since(start))


def run_test(
    test: s.LitmusTest,
    model: str = "sc",
    timeout_s: float | None = None,
    engine: str | None = None,
) -> LitmusResult:
    """Explore ``test`` under ``model`` and tally its outcomes.  ``engine``: ``dpor``
    (interleavings: SC only, the default for sc) or ``candidates`` (herd7's candidate
    executions: every model, the default for the others)."""
    if model not in MODELS[:-1] and not model.startswith("cat:"):
        raise UsageError("--model", model, " | ".join(MODELS))
    base = LitmusResult(
        test.name,
        test.file,
        model,
        "done",
        test.condition.quantifier,
        show_condition(test.condition),
        expected=test.expected,
        uses_srcu=_uses_srcu(test),
    )
    try:
        lp = LitmusProgram(test, resolve(test))
    except InputError as e:
        return base._replace(status="error", error=str(e))
    tally = _Tally(test, lp, timeout_s)
    if (engine or ("dpor" if model == "sc" else "candidates")) == "candidates":
        return _run_candidates(lp, model_by_name(model), tally, base)
    from pagerace.explore.explorer import Options, explore  # the DPOR engine: on demand

    try:
        res = explore(lp.program(), Options(all_findings=True, shrink=False, on_execution=tally))
    except InputError as e:
        return tally.result(base, "error", str(e))
    except _Timeout:
        return tally.result(base, "timeout", f"exceeded --timeout {timeout_s:g} s")
    if res.verdict == "bounded":
        status = "interrupted" if "interrupted" in res.bound_reason else "bounded"
        return tally.result(base, status, res.bound_reason)
    return tally.result(base, "done")


def _run_candidates(
    lp: LitmusProgram, model: MemoryModel, tally: _Tally, base: LitmusResult
) -> LitmusResult:
    """Weak models: herd7's candidate executions, each consistent one an outcome."""
    stats = CandidateStats()
    flags: set[str] = set()
    try:
        for cand in candidates(lp.program(), model, stats, tally.tick):
            flags.update(cand.flags)
            tally.candidate(cand)
    except InputError as e:
        return tally.result(base, "error", str(e))
    except _Timeout:
        return tally.result(base, "timeout", f"exceeded --timeout {tally.timeout_s:g} s")
    except KeyboardInterrupt:
        return tally.result(base, "interrupted", "interrupted (Ctrl-C)")
    return tally.result(base, "done")._replace(flags=tuple(sorted(flags)))


def run_paths(
    paths: Iterable[str | os.PathLike[str]], model: str = "sc", timeout_s: float | None = None
) -> Iterator[LitmusResult]:
    """Run every ``.litmus`` file under ``paths`` (files, or directories searched
    recursively), in sorted order per directory; a bad path is an ``error`` result."""
    for given in paths:
        path = _clean(os.fspath(given))
        if os.path.isdir(path):
            for f in _litmus_files(path):
                yield run_file(f, model, timeout_s)
        elif os.path.exists(path):
            yield run_file(path, model, timeout_s)
        else:
            msg = str(InputError(path, 1, 1, "no such file or directory"))
            yield LitmusResult(_name(path), path, model, "error", error=msg)


def _litmus_files(top: str) -> list[str]:
    """The ``.litmus`` files under ``top``, sorted as paths (directory by directory)."""
    found = [
        os.path.join(d, f) for d, _, files in os.walk(top) for f in files if f.endswith(".litmus")
    ]
    return sorted(found, key=lambda f: f.split(os.sep))


def _clean(path: str) -> str:
    """``path`` as ``pathlib`` spells it: no ``.`` segments, no empty ones (``//``, a
    trailing ``/``); ``..`` kept (it may cross a symbolic link)."""
    parts = [p for p in path.split(os.sep) if p not in ("", ".")]
    root = os.sep if path.startswith(os.sep) else ""
    return root + os.sep.join(parts) or "."


def _name(path: str) -> str:
    return os.path.basename(os.path.normpath(path))


class _Timeout(Exception):
    pass


class _Tally:
    """The ``on_execution`` hook: one outcome per complete execution."""

    def __init__(self, test: s.LitmusTest, lp: LitmusProgram, timeout_s: float | None) -> None:
        self.test, self.lp, self.timeout_s = test, lp, timeout_s
        self.deadline = None if timeout_s is None else time.perf_counter() + timeout_s
        self.shown = tuple(key(t) for t in observed(test))
        lids = {name: lid for lid, name in enumerate(lp.layout.shared)}
        self.needed = [
            (key(t), t.proc if isinstance(t, s.Reg) else None, t.name, lids.get(t.name, -1))
            for t in variables(test)
        ]
        self.executions = self.deadlocks = self.positive = self.negative = 0
        self.states: set[State] = set()

    def __call__(self, world: World, findings: tuple[Finding, ...]) -> None:
        run = self.lp.runs.pop(world)
        self.executions += 1
        if run.error is not None:
            raise run.error
        if any(f.kind == "deadlock" for f in findings):
            self.deadlocks += 1
        else:
            for f in findings:
                if f.kind in ("exception", "assertion"):
                    raise InternalError(f"a litmus thread failed: {f.message}\n{f.traceback}")
            self._outcome(world, run)
        self.tick()

    def tick(self) -> None:
        """Raise :class:`_Timeout` past the deadline (the candidate engine calls this
        inside its loops: one test can build hundreds of thousands of coherence orders
        before its first candidate)."""
        if self.deadline is not None and time.perf_counter() > self.deadline:
            raise _Timeout

    def candidate(self, cand: Candidate) -> None:
        """One consistent candidate execution (weak models): each thread's registers
        are in the Run of the World its path ran in."""
        self.executions += 1
        regs: list[dict[str, Any] | None] = []
        for path in cand.paths:
            run = self.lp.runs[path.world]
            if run.error is not None:
                raise run.error
            if path.finding is not None:
                f = path.finding
                raise InternalError(f"a litmus thread failed: {f.message}\n{f.traceback}")
            regs.append(run.registers[path.tid])
        self._tally(lambda lid: cand.final[lid], regs)
        self.tick()

    def _outcome(self, world: World, run: Run) -> None:
        self._tally(lambda lid: world.mem[lid], run.registers)

    def _tally(self, mem: Callable[[int], Any], registers: Sequence[dict[str, Any] | None]) -> None:
        values: dict[str, FinalValue] = {}
        for k, proc, name, lid in self.needed:
            if proc is None:
                values[k] = final_value(mem(lid))
            else:
                regs = registers[proc]
                assert regs is not None, "[pagerace internal bug] a thread left no registers"
                values[k] = final_value(regs[name])
        if self.test.filter is not None and not holds(self.test.filter, values):
            return
        if holds(self.test.condition.prop, values):
            self.positive += 1
        else:
            self.negative += 1
        self.states.add(tuple((k, values[k]) for k in self.shown))

    def result(self, base: LitmusResult, status: str, error: str = "") -> LitmusResult:
        states = sorted(self.states, key=sort_key) if status == "done" else []
        return base._replace(
            status=status,
            error=error,
            states=tuple(show_state(st) for st in states),
            positive=self.positive,
            negative=self.negative,
            executions=self.executions,
            deadlocks=self.deadlocks,
        )


def _uses_srcu(test: s.LitmusTest) -> bool:
    """SRCU grace periods are recorded but not waited for outside the LKMM."""
    return any("srcu" in c.name for p in test.procs for c in s.calls(p.body))


def _since(start: float) -> float:
    return time.perf_counter() - start
