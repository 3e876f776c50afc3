"""The front door of the engine: explore a program, collect findings, build a verdict.

``explore(program, Options(...))`` runs the optimal DPOR explorer (``exhaustive``) or a
randomised strategy (``random``, ``pct``), turns every finding into a counterexample
(shrunk, replayed with source lines, with a replay token) and returns a
:class:`~pagerace.explore.result.Result`.  A bound or an interrupt gives ``bounded``,
never ``verified``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pagerace.core.errors import InternalError, UsageError
from pagerace.explore.dpor import (
    Node,
    RaceAnalyser,
    Waiter,
    WuNode,
    dependent,
    next_info,
    step_info,
)
from pagerace.explore.execution import Execution
from pagerace.explore.finding import Finding
from pagerace.explore.observer import ObservedRun, Observer
from pagerace.explore.replay import encode_schedule, replay
from pagerace.explore.result import Counterexample, Result, Stats
from pagerace.explore.runtime import Program, World
from pagerace.explore.shrink import shrink
from pagerace.explore.strategies import MAX_STEPS, STRATEGIES, make_strategy
from pagerace.explore.trust import Outcome, Trust, decode_execution, encode_execution
from pagerace.explore.weak import counterexample, race_findings
from pagerace.models.base import MemoryModel

__all__ = ["STRATEGIES", "Options", "explore"]


@dataclass(frozen=True)
class Options:
    strategy: str = "exhaustive"
    seed: int = 0
    max_executions: int | None = None  # default: unbounded (exhaustive), 1000 (random, pct)
    max_steps: int = MAX_STEPS  # shared steps per run
    all_findings: bool = False
    pct_depth: int = 3
    shrink: bool = True
    replay_prefix: str = ""
    # The memory model.  None: SC by interleavings (optimal DPOR).  A model that is not
    # an interleaving one (tso, lkmm, cat) is explored on graphs (TruSt); an interleaving
    # one (sc) is checked on every graph the DPOR explorer builds (tests).
    model: MemoryModel | None = None
    count_graphs: bool = False
    # Analyses fed every complete execution (lockdep, the cost model): see observer.py.
    observers: tuple[Observer, ...] = field(default=(), compare=False)
    final_states: bool = False  # tally the final memory states (tests, litmus outcomes)
    on_progress: Callable[[Stats], None] | None = field(default=None, compare=False)
    # Called once per complete execution (not for runs cut short, nor for the replays
    # that build counterexamples) with the run's final World and findings; whatever it
    # raises ends the exploration and propagates out of explore() (litmus --timeout).
    on_execution: Callable[[World, tuple[Finding, ...]], None] | None = field(
        default=None, compare=False
    )

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise UsageError("--strategy", self.strategy, " | ".join(STRATEGIES))
        if self.max_executions is not None and self.max_executions < 1:
            raise UsageError("--max-executions", self.max_executions, "a positive integer")
        if self.max_steps < 1:
            raise UsageError("--max-steps", self.max_steps, "a positive integer")


class _Collector:
    """Counts executions and keeps one counterexample per finding signature."""

    def __init__(self, program: Program, opts: Options) -> None:
        self.program, self.opts = program, opts
        self.stats = Stats()
        self.result = Result("verified", self.stats, params=dict(program.params))
        self.seen: set[tuple[str, str]] = set()
        self.graphs = self.result.graph_keys
        self.start = time.perf_counter()
        self.last_progress = self.start
        self.stop = False
        if opts.count_graphs:
            self.stats.distinct_graphs = self.stats.duplicate_graphs = 0

    def run_done(self, ex: Execution, status: str) -> None:
        st = self.stats
        st.steps += len(ex.steps)
        if status == "blocked":
            st.blocked += 1
            return
        if status == "bounded":
            st.bounded += 1
            self.result.bound_reason = f"a run exceeded max_steps={self.opts.max_steps}"
        else:
            st.executions += 1
            if any(f.kind == "deadlock" for f in ex.findings):
                st.deadlocks += 1
            if self.opts.final_states and not ex.findings:
                key = ex.final_state()
                self.result.final_states[key] = self.result.final_states.get(key, 0) + 1
            if self.opts.on_execution is not None:
                self.opts.on_execution(ex.world, tuple(ex.findings))
            if self.opts.observers:
                names = tuple(t.name for t in ex.threads)
                run = ObservedRun(names, tuple(ex.events), tuple(ex.findings))
                for obs in self.opts.observers:
                    obs.observe(run)
        if self.opts.count_graphs or self.opts.model is not None:
            self._check_graph(ex)
        for f in ex.findings:
            if f.signature not in self.seen:
                self.seen.add(f.signature)
                self.result.counterexamples.append(self._counterexample(ex, f.signature))
        if ex.findings and not self.opts.all_findings:
            self.stop = True
        if self.opts.max_executions is not None and st.executions >= self.opts.max_executions:
            self.stop = True
            self.result.bound_reason = f"max_executions={self.opts.max_executions} reached"
        self._progress()

    def weak_done(self, out: Outcome, model: MemoryModel) -> None:
        """One consistent execution from the graph explorer.  (Its graphs where an await
        read a value a later write replaced are not runs cut short: the execution where
        it reads that write is reached by a revisit, so they are not counted here.)"""
        st = self.stats
        st.executions += 1
        st.steps += len(out.graph.events)
        findings = out.findings + race_findings(model, out)
        if any(f.kind == "deadlock" for f in findings):
            st.deadlocks += 1
        if self.opts.final_states and not findings:
            key = tuple((loc.name, loc.show(out.final[loc.lid])) for loc in out.world.locations)
            self.result.final_states[key] = self.result.final_states.get(key, 0) + 1
        if self.opts.on_execution is not None:
            self.opts.on_execution(out.world, tuple(findings))
        if self.opts.observers:
            names = tuple(name for name, _ in out.world.threads)
            run = ObservedRun(names, out.graph.events, tuple(findings))
            for obs in self.opts.observers:
                obs.observe(run)
        if self.opts.count_graphs:
            if out.graph.key in self.graphs:
                self.stats.duplicate_graphs = (self.stats.duplicate_graphs or 0) + 1
            else:
                self.graphs.add(out.graph.key)
                self.stats.distinct_graphs = len(self.graphs)
        for f in findings:
            if f.signature not in self.seen:
                self.seen.add(f.signature)
                code = encode_execution(out.graph)
                token = f"{self.opts.replay_prefix}@{code}"
                shown = self._with_sources(out, model, code)
                self.result.counterexamples.append(counterexample(shown, f, token))
        if findings and not self.opts.all_findings:
            self.stop = True
        if self.opts.max_executions is not None and st.executions >= self.opts.max_executions:
            self.stop = True
            self.result.bound_reason = f"max_executions={self.opts.max_executions} reached"
        self._progress()

    def _with_sources(self, out: Outcome, model: MemoryModel, code: str) -> Outcome:
        """The execution replayed once more, recording each event's model source line."""
        again: list[Outcome] = []

        def keep(o: Outcome) -> bool:
            again.append(o)
            return True

        Trust(self.program, model, keep).replay(decode_execution(code), capture=True)
        return again[0] if again else out

    def _check_graph(self, ex: Execution) -> None:
        g = ex.graph()
        if self.opts.model is not None:
            bad = self.opts.model.violation(g)
            assert bad is None, f"[pagerace internal bug] explored graph violates {bad}"
        if self.opts.count_graphs:
            if g.key in self.graphs:
                self.stats.duplicate_graphs = (self.stats.duplicate_graphs or 0) + 1
            else:
                self.graphs.add(g.key)
                self.stats.distinct_graphs = len(self.graphs)

    def _counterexample(self, ex: Execution, sig: tuple[str, str]) -> Counterexample:
        """Shrink the run, then replay it once more recording source lines.  Shrinking
        keeps only schedules that replay to the same finding, so the replay shows it."""
        schedule = tuple(ex.schedule)
        if self.opts.shrink:
            schedule = shrink(self.program, schedule, sig)
        shown = replay(
            self.program,
            schedule,
            capture=True,
            strict=False,
            stop_on_finding=not self.opts.all_findings,
        )
        finding = next((f for f in shown.findings if f.signature == sig), None)
        if finding is None:
            raise InternalError(f"replaying a counterexample lost its finding {sig}")
        token = f"{self.opts.replay_prefix}@{encode_schedule(shown.schedule)}"
        return Counterexample(finding, shown.trace(), token)

    def _progress(self) -> None:
        now = time.perf_counter()
        self.stats.elapsed_s = now - self.start
        if self.opts.on_progress is not None and now - self.last_progress > 0.25:
            self.last_progress = now
            self.opts.on_progress(self.stats)

    def finish(self, complete: bool, interrupted: bool = False) -> Result:
        self.stats.elapsed_s = time.perf_counter() - self.start
        r = self.result
        if r.counterexamples:
            r.verdict = "finding"
        elif interrupted:
            r.verdict, r.bound_reason = "bounded", "interrupted (Ctrl-C)"
        elif not complete or self.stats.bounded or self.stats.blocked:
            r.verdict = "bounded"
            r.bound_reason = r.bound_reason or "the search did not cover every execution"
        return r


def explore(program: Program, opts: Options | None = None) -> Result:
    """Explore ``program``; see the module docstring.  Ctrl-C returns what was found."""
    opts = opts or Options()
    col = _Collector(program, opts)
    try:
        if opts.model is not None and not opts.model.interleaving:
            complete = _weak(program, opts, opts.model, col)
        elif opts.strategy == "exhaustive":
            complete = _dpor(program, opts, col)
        else:
            complete = _sample(program, opts, col)
    except KeyboardInterrupt:
        return col.finish(False, interrupted=True)
    return col.finish(complete)


def _dpor(program: Program, opts: Options, col: _Collector) -> bool:
    nodes: list[Node] = [Node({}, [])]
    races: RaceAnalyser | None = None
    while True:
        ex = Execution(program, stop_on_finding=not opts.all_findings)
        races = races or RaceAnalyser(len(ex.threads))
        replayed = len(nodes) - 1
        status = _dpor_run(ex, nodes, opts.max_steps)
        if status == "complete":
            waiting = _waiters(ex)
            ex.finish()
            races.analyse(ex.steps, nodes, waiting, start=replayed)
        else:
            ex.close()
            races.skip(replayed)
        col.run_done(ex, status)
        if col.stop:
            return False
        if not _backtrack(nodes):
            return True


def _dpor_run(ex: Execution, nodes: list[Node], max_steps: int) -> str:
    depth = 0
    replay_to = len(nodes) - 1  # nodes before this one replay the previous run's prefix
    while depth < replay_to:
        chosen = nodes[depth].chosen
        assert chosen is not None
        ex.step(chosen.info.tid)
        depth += 1
    while not ex.stopped:
        node = nodes[depth]
        enabled = ex.enabled()
        if node.chosen is None:
            runnable = [c for c in node.wut if c.info.tid in enabled]
            if runnable:
                node.chosen = runnable[0]
            else:
                fresh = [t for t in enabled if t not in node.sleep]
                if not fresh:
                    return "blocked" if enabled else "complete"
                node.chosen = WuNode(next_info(ex, fresh[-1]))
                node.wut.append(node.chosen)
        tid = node.chosen.info.tid
        if tid not in enabled:
            return "blocked"
        if depth >= max_steps:
            return "bounded"
        info = step_info(ex.step(tid))
        node.done = info
        depth += 1
        sleep = {q: i for q, i in node.sleep.items() if not dependent(i, info)}
        nodes.append(Node(sleep, node.chosen.children))
    return "stopped"


def _waiters(ex: Execution) -> list[Waiter]:
    out = []
    for tid in ex.waiting():
        op = ex.threads[tid].pending
        assert op is not None and op.loc is not None
        out.append(Waiter(tid, op))
    return out


def _backtrack(nodes: list[Node]) -> bool:
    """Mark the deepest explored branch done and move to the next one to explore."""
    nodes.pop()
    while nodes:
        node = nodes[-1]
        if node.done is not None:
            node.sleep[node.done.tid] = node.done
        if node.chosen is not None:
            node.wut.remove(node.chosen)
        node.chosen, node.done = None, None
        if node.wut:
            return True
        nodes.pop()
    return False


def _sample(program: Program, opts: Options, col: _Collector) -> bool:
    strategy = make_strategy(opts.strategy, opts.seed, opts.pct_depth)
    budget = opts.max_executions or 1000
    for run in range(budget):
        ex = Execution(program, stop_on_finding=not opts.all_findings)
        strategy.begin(run, len(ex.threads))
        status = "complete"
        while not ex.stopped:
            enabled = ex.enabled()
            if not enabled:
                break
            if len(ex.steps) >= opts.max_steps:
                status = "bounded"
                break
            ex.step(strategy.choose(enabled, len(ex.steps)))
        if status == "complete":
            ex.finish()
        else:
            ex.close()
        col.run_done(ex, status)
        if col.stop:
            break
    col.result.bound_reason = col.result.bound_reason or (
        f"{opts.strategy} sampling covers some executions, not all"
    )
    return False


def _weak(program: Program, opts: Options, model: MemoryModel, col: _Collector) -> bool:
    """Weak memory: the TruSt graph explorer, every consistent execution once."""
    if opts.strategy != "exhaustive":
        raise UsageError(
            "--strategy",
            opts.strategy,
            f"exhaustive: under --model {model.name} executions are explored on graphs",
        )

    def outcome(out: Outcome) -> bool:
        col.weak_done(out, model)
        return col.stop

    explorer = Trust(program, model, outcome, max_events=opts.max_steps)
    try:
        complete = explorer.run()
    finally:
        col.stats.reruns = explorer.stats.replays
        col.stats.rejected = explorer.stats.inconsistent
    if explorer.bounded:
        col.result.bound_reason = f"a run exceeded max_steps={opts.max_steps}"
        col.stats.bounded += 1
    return complete and not col.stop
