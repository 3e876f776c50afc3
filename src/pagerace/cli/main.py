"""``pagerace``: check scenarios, list the catalogue, replay counterexamples, run litmus tests.

Exit codes: 0 verified (or as expected), 1 a finding, 2 bad input or usage, 3 a bound
or an interrupt stopped the search before it covered everything, with no finding.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from pagerace.cli import print_json
from pagerace.core.errors import PageraceError, UsageError
from pagerace.explore.strategies import MAX_STEPS, STRATEGIES
from pagerace.models.base import model_by_name

# Each command imports what it runs (the explorer, the catalogue, the litmus front end):
# `pagerace litmus` does not load the THP model, nor `pagerace check` the C parser.
if TYPE_CHECKING:
    from pagerace.explore.result import Counterexample, Result, Stats
    from pagerace.explore.runtime import Program
    from pagerace.explore.trust import Outcome
    from pagerace.litmus import LitmusResult
    from pagerace.scenarios.catalogue import Expectation, Scenario

EXIT = {"verified": 0, "finding": 1, "bounded": 3}
DEFAULT_MAX_STEPS = MAX_STEPS
EXIT_PIPE = 141


def _columns() -> int:
    """The terminal's width as ``shutil.get_terminal_size`` finds it ($COLUMNS, then the
    terminal of stdout, else 80), without importing ``shutil`` (and with it ``bz2``,
    ``lzma``, ``zlib``): argparse's formatter did on every command's start-up."""
    import os

    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Formatter(argparse.HelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=_columns() - 2)  # (argparse's own margin)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"pagerace: error: {message}\n  Try `{self.prog} --help`.\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of ``command`` alone (what ``main`` parses with
    when the command line names one: the others' options are not needed)."""
    p = _Parser(prog="pagerace", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, add in _COMMANDS.items():
        if command in (None, name):
            add(sub)
    return p


def _add_scenarios(sub: Any) -> None:
    sc = sub.add_parser("scenarios", help="list the scenario catalogue with expected verdicts")
    sc.add_argument("--json", action="store_true")


def _add_check(sub: Any) -> None:
    from pagerace.cli.lockdep_cmd import BEYOND_RANGE_STEPS

    ck = sub.add_parser("check", help="explore a scenario: a proof, or a counterexample")
    ck.add_argument("scenario", help="a catalogue scenario, or a .py file defining build(world)")
    ck.add_argument("--variant")
    ck.add_argument(
        "--model",
        default="sc",
        help="memory model: sc, tso, lkmm, or cat:DIR (linux-kernel.cat in DIR, interpreted)",
    )
    ck.add_argument("--cpus", type=int)
    ck.add_argument("--order", type=int)
    ck.add_argument(
        "--strategy",
        default="exhaustive",
        choices=STRATEGIES,
        help="exhaustive (a proof when nothing is found), or random / pct: --max-executions "
        "runs (default 1000) drawn from --seed, a bounded verdict",
    )
    ck.add_argument("--seed", type=int, default=0, help="seed of random and pct (default 0)")
    ck.add_argument(
        "--max-executions", type=int, help="stop after N executions (random, pct: N runs)"
    )
    ck.add_argument(
        "--max-steps",
        type=int,
        help=f"shared steps per run (default {DEFAULT_MAX_STEPS}; {BEYOND_RANGE_STEPS:,} with "
        "a parameter beyond the catalogue's range, as --order 9)",
    )
    ck.add_argument(
        "--all-findings",
        action="store_true",
        help="keep exploring after a finding; one counterexample per kind",
    )
    ck.add_argument("--no-shrink", action="store_true", help="print the run as found")
    ck.add_argument("--replay", metavar="TOKEN", help="replay a counterexample token")
    ck.add_argument("--json", action="store_true")


def _add_replay(sub: Any) -> None:
    rp = sub.add_parser("replay", help="replay a token printed with a counterexample")
    rp.add_argument("token")
    rp.add_argument("--json", action="store_true")


def _add_litmus(sub: Any) -> None:
    lt = sub.add_parser(
        "litmus",
        help="run C litmus tests: herd7-style verdicts and a summary",
        description="Run C litmus tests (files, or directories searched for *.litmus). "
        "Exit codes: 0 every verdict matches its Result: header (or there is none), "
        "1 a verdict differs, 2 an input error (the other files still run), "
        "3 a test timed out.",
    )
    lt.add_argument("paths", nargs="+", metavar="PATH")
    lt.add_argument(
        "--model",
        default="lkmm",  # the kernel's tests state LKMM verdicts, as herd7 -conf linux-kernel.cfg
        help="memory model: lkmm (default: the model the kernel's tests are written for), "
        "sc, tso, or cat:DIR (linux-kernel.cat in DIR, interpreted)",
    )
    lt.add_argument("--timeout", type=float, metavar="S", help="seconds per test")
    lt.add_argument("--json", action="store_true")


def _add_lockdep(sub: Any) -> None:
    from pagerace.cli import lockdep_cmd

    lockdep_cmd.add_parser(sub)


def _add_cost(sub: Any) -> None:
    from pagerace.cli import cost_cmd

    cost_cmd.add_parser(sub)


_COMMANDS: dict[str, Callable[[Any], None]] = {
    "scenarios": _add_scenarios,
    "check": _add_check,
    "replay": _add_replay,
    "litmus": _add_litmus,
    "lockdep": _add_lockdep,
    "cost": _add_cost,
}


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; ``argv`` None: this process's (then the process is pagerace's
    own, and the litmus command may freeze what it imported: see _freeze_imports)."""
    own_process = argv is None
    argv = sys.argv[1:] if argv is None else list(argv)
    command = argv[0] if argv and argv[0] in _COMMANDS else None
    args = build_parser(command).parse_args(argv)
    args.own_process = own_process
    try:
        if args.command == "scenarios":
            return _scenarios(args.json)
        if args.command == "replay":
            return _replay(args.token, args.json)
        if args.command == "litmus":
            return _litmus(args)
        if args.command == "lockdep":
            from pagerace.cli import lockdep_cmd

            return lockdep_cmd.run(args)
        if args.command == "cost":
            from pagerace.cli import cost_cmd

            return cost_cmd.run(args)
        if args.replay:
            return _replay(args.replay, args.json)
        return _check(args)
    except PageraceError as e:
        print(f"pagerace: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pagerace: interrupted", file=sys.stderr)
        return 3
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return EXIT_PIPE


def _scenarios(as_json: bool) -> int:
    from pagerace.scenarios.catalogue import MODELS, catalogue

    cat = catalogue()
    if as_json:
        print_json([_scenario_json(s) for s in cat.values()])
        return 0
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for s in cat.values():
        params = ", ".join(
            f"--{p.name} {p.default} ({p.minimum}..{p.maximum}"
            + (f"; up to {p.limit} sampled" if p.limit > p.maximum else "")
            + f"): {p.help}"
            for p in s.params
        )
        table = Table(
            title=f"{s.name}: {s.summary}",
            caption=f"parameters: {params}",
            title_justify="left",
            caption_justify="left",
            show_lines=False,
        )
        table.add_column("variant")
        for m in MODELS:
            table.add_column(m if _available(m) else f"{m} (not yet)")
        table.add_column("why")
        for v in s.variants:
            cells = [_expect_cell(s, v, m) for m in MODELS]
            table.add_row(v, *cells, _reasons(s, v))
        console.print(table)
    return 0


def _available(model: str) -> bool:
    try:
        model_by_name(model)
    except UsageError:
        return False
    return True


def _reasons(s: Scenario, variant: str) -> str:
    """Each distinct reason once, prefixed by the models it explains."""
    from pagerace.scenarios.catalogue import MODELS

    by_reason: dict[str, list[str]] = {}
    for m in MODELS:
        e = s.expected.get((variant, m))
        if e is not None:
            by_reason.setdefault(e.reason, []).append(m)
    return "\n".join(f"{', '.join(ms)}: {reason}" for reason, ms in by_reason.items())


def _expect_cell(s: Scenario, variant: str, model: str) -> str:
    e = s.expected.get((variant, model))
    if e is None:
        return "-"
    return e.verdict + (f" ({'/'.join(e.kinds)})" if e.kinds else "")


def _scenario_json(s: Scenario) -> dict[str, Any]:
    return {
        "name": s.name,
        "summary": s.summary,
        "params": [
            {
                "name": p.name,
                "default": p.default,
                "min": p.minimum,
                "max": p.maximum,
                "accepted_max": p.limit,  # beyond max: random/pct runs (too large to exhaust)
                "help": p.help,
            }
            for p in s.params
        ],
        "variants": list(s.variants),
        "expected": [
            {
                "variant": v,
                "model": m,
                "verdict": e.verdict,
                "kinds": list(e.kinds),
                "reason": e.reason,
            }
            for (v, m), e in s.expected.items()
        ],
    }


def _check(args: argparse.Namespace) -> int:
    from pagerace.scenarios.catalogue import MODELS, scenario

    if args.model not in MODELS and not args.model.startswith("cat:"):
        raise UsageError("--model", args.model, " | ".join((*MODELS, "cat:DIR")))
    model_by_name(args.model)
    if args.scenario.endswith(".py"):
        return _check_user_file(args)
    sc = scenario(args.scenario)
    params = {"cpus": args.cpus, "order": args.order}
    program = sc.program(args.variant, params)
    resolved = sc.resolve(params)
    variant = sc.variant(args.variant).name
    beyond = sc.beyond_range(resolved)
    if beyond and args.strategy == "exhaustive":
        print(
            f"pagerace: note: {', '.join(beyond)} is beyond the catalogue's exhaustive range: "
            "the search may not end in useful time (--strategy random or pct with "
            "--max-executions N makes N runs)",
            file=sys.stderr,
        )
    from pagerace.cli.lockdep_cmd import BEYOND_RANGE_STEPS

    max_steps = BEYOND_RANGE_STEPS if beyond else DEFAULT_MAX_STEPS
    res = _explore(args, program, sc.replay_prefix(variant, args.model, resolved), max_steps)
    context = {
        "scenario": sc.name,
        "variant": variant,
        "model": args.model,
        **_run_context(args, res),
    }
    head = f"{sc.name} --variant {variant} --model {args.model} " + " ".join(
        f"--{k} {v}" for k, v in res.params.items() if k != "variant"
    )
    head += _sampling_flags(args)
    # The catalogue's LKMM verdicts hold for the interpreted linux-kernel.cat too.
    key = "lkmm" if args.model.startswith("cat:") else args.model
    return _report(args, res, context, head, sc.expected.get((variant, key)))


def _check_user_file(args: argparse.Namespace) -> int:
    """A user's protocol: a Python file defining build(world)."""
    from pagerace.scenarios.user import load_user_program

    for flag in ("variant", "cpus", "order"):
        if getattr(args, flag) is not None:
            raise UsageError(
                f"--{flag}",
                getattr(args, flag),
                "no value: it applies to catalogue scenarios, not to a .py file",
            )
    program = load_user_program(args.scenario)
    res = _explore(args, program, f"{args.scenario}:-:{args.model}:", DEFAULT_MAX_STEPS)
    context = {
        "scenario": args.scenario,
        "variant": None,
        "model": args.model,
        **_run_context(args, res),
    }
    head = f"{args.scenario} --model {args.model}" + _sampling_flags(args)
    return _report(args, res, context, head, None)


def _run_context(args: argparse.Namespace, res: Result) -> dict[str, Any]:
    """How the search ran, for --json: the strategy, its seed (random, pct), the run
    budget given, and how many runs were made (complete or cut by a bound)."""
    return {
        "strategy": args.strategy,
        "seed": None if args.strategy == "exhaustive" else args.seed,
        "max_executions": args.max_executions,
        "runs": _runs(res),
    }


def _runs(res: Result) -> int:
    st = res.stats
    return st.executions + st.blocked + st.bounded


def _sampling_flags(args: argparse.Namespace) -> str:
    if args.strategy == "exhaustive":
        return ""
    return f" --strategy {args.strategy} --seed {args.seed}"


def _explore(
    args: argparse.Namespace, program: Program, replay_prefix: str, max_steps: int
) -> Result:
    from pagerace.explore.explorer import Options, explore

    progress = _Progress(enabled=not args.json and sys.stderr.isatty())
    opts = Options(
        strategy=args.strategy,
        seed=args.seed,
        max_executions=args.max_executions,
        max_steps=max_steps if args.max_steps is None else args.max_steps,
        all_findings=args.all_findings,
        shrink=not args.no_shrink,
        replay_prefix=replay_prefix,
        on_progress=progress.update,
        model=None if args.model == "sc" else model_by_name(args.model),
    )
    try:
        return explore(program, opts)
    finally:
        progress.stop()


def _report(
    args: argparse.Namespace,
    res: Result,
    context: dict[str, Any],
    head: str,
    expected: Expectation | None,
) -> int:
    from pagerace.report.jsonout import result_json

    if args.json:
        print_json(result_json(res, **context))
    else:
        print(_summary(head, res, expected, _sampled(args, res)))
    return EXIT[res.verdict]


def _summary(head: str, res: Result, exp: Expectation | None, sampled: str = "") -> str:
    from pagerace.report.trace import render_counterexample

    st = res.stats
    out = [head]
    for cx in res.counterexamples:
        out += ["", render_counterexample(cx)]
    rate = st.executions / st.elapsed_s if st.elapsed_s > 0 else 0.0
    cut = f", {st.bounded} cut at --max-steps" if st.bounded else ""
    graphs = ""
    if st.reruns is not None:
        graphs = f"; re-runs: {st.reruns}, graphs the model rejected: {st.rejected}"
    counts = (
        f"{st.executions} executions ({st.blocked} blocked, {st.deadlocks} deadlocked{cut}"
        f"{graphs}) in {st.elapsed_s:.2f} s, {rate:.0f}/s"
    )
    if res.verdict == "verified":
        out.append(f"\nVERIFIED: every execution explored, no finding: {counts}")
    elif res.verdict == "finding":
        kinds = ", ".join(sorted({cx.finding.kind for cx in res.counterexamples}))
        out.append(f"\nFINDING ({kinds}) after {counts}")
    else:
        out.append(f"\nBOUNDED (not verified): {res.bound_reason}; {counts}")
    if sampled:
        out.append(sampled)
    if exp is not None and res.verdict == "bounded":
        out.append(
            f"catalogue: expected {exp.verdict}; a bounded run neither confirms nor contradicts it"
        )
    elif exp is not None:
        agree = "matches" if exp.verdict == res.verdict else "DIFFERS from"
        out.append(f"catalogue: expected {exp.verdict}; this run {agree} it")
    return "\n".join(out)


def _sampled(args: argparse.Namespace, res: Result) -> str:
    """What a random or PCT search did: its runs, strategy and seed, and what that
    proves (nothing, when it found nothing); "" for an exhaustive search."""
    if args.strategy == "exhaustive":
        return ""
    runs = _runs(res)
    how = f"--strategy {args.strategy} --seed {args.seed}"
    if args.max_executions is not None:
        how += f" --max-executions {args.max_executions}"
    if res.verdict == "finding" and not args.all_findings:
        return f"sampled: {runs} run{'s' if runs != 1 else ''} ({how}), the last one found it"
    found = "findings in some" if res.verdict == "finding" else "no finding"
    return (
        f"sampled: {runs} run{'s' if runs != 1 else ''} ({how}), {found}; a sample is "
        "no proof: it covers some executions, not all (--strategy exhaustive explores "
        "every one)"
    )


def _replay(token: str, as_json: bool) -> int:
    from pagerace.scenarios.catalogue import scenario
    from pagerace.scenarios.user import load_user_program

    spec, sep, sched = token.partition("@")
    parts = spec.split(":")
    if len(parts) > 4 and parts[2] == "cat":  # cat:DIR as the model
        parts = [parts[0], parts[1], ":".join(parts[2:-1]), parts[-1]]
    if not sep or len(parts) != 4:
        raise UsageError(
            "replay token",
            token,
            "SCENARIO:VARIANT:MODEL:PARAMS@SCHEDULE, as printed after `replay:`",
        )
    name, variant, model, ps = parts
    model_by_name(model)
    if name.endswith(".py"):
        return _replay_program(load_user_program(name), sched, token, as_json, model)
    sc = scenario(name)
    params: dict[str, int | None] = {}
    for item in filter(None, ps.split(",")):
        key, eq, value = item.partition("=")
        if not eq or not value.lstrip("-").isdigit():
            raise UsageError("replay token parameter", item, "NAME=INTEGER")
        params[key] = int(value)
    return _replay_program(sc.program(variant, params), sched, token, as_json, model)


def _replay_program(program: Program, sched: str, token: str, as_json: bool, model: str) -> int:
    from pagerace.explore.replay import decode_schedule, replay
    from pagerace.explore.result import Counterexample
    from pagerace.report.jsonout import counterexample_json
    from pagerace.report.trace import render_counterexample

    if sched.startswith("w:"):
        cxs = _replay_weak(program, sched, token, model)
    else:
        ex = replay(program, decode_schedule(sched), capture=True)
        trace = ex.trace()
        cxs = [Counterexample(f, trace, token) for f in ex.findings]
    if not cxs:
        print("replayed: the run completes with no finding")
        return 0
    if as_json:
        print_json([counterexample_json(c) for c in cxs])
    else:
        print("\n\n".join(render_counterexample(c) for c in cxs))
    return 1


def _replay_weak(program: Program, sched: str, token: str, model: str) -> list[Counterexample]:
    """A weak-memory execution: rebuilt from its reads-from and coherence choices."""
    from pagerace.explore.trust import Trust, decode_execution
    from pagerace.explore.weak import counterexample as weak_counterexample
    from pagerace.explore.weak import race_findings

    mm = model_by_name(model)
    outs: list[Outcome] = []
    try:
        steps = decode_execution(sched)
    except ValueError:
        raise UsageError("replay token", token, "a token printed after `replay:`") from None

    def keep(out: Outcome) -> bool:
        outs.append(out)
        return True

    if not Trust(program, mm, keep).replay(steps, capture=True) or not outs:
        raise UsageError(
            "replay token",
            token,
            f"an execution of this program that --model {model} allows (was the model or "
            "the program changed since the token was printed?)",
        )
    out = outs[0]
    findings = out.findings + race_findings(mm, out)
    return [weak_counterexample(out, f, token) for f in findings]


def _litmus(args: argparse.Namespace) -> int:
    from pagerace.litmus import run_paths
    from pagerace.report.litmus import herd_text, litmus_json, summary_lines, summary_table

    if args.own_process:
        _freeze_imports()
    model = args.model
    model_by_name(model)  # an unknown model, or a cat directory that does not load
    if args.timeout is not None and not args.timeout > 0:
        raise UsageError("--timeout", args.timeout, "a positive number of seconds")
    results = []
    for r in run_paths(args.paths, model, args.timeout):
        results.append(r)
        if r.status == "error":
            print(r.error, file=sys.stderr, flush=True)
        elif not args.json:
            print(herd_text(r) + "\n", flush=True)
        if r.status == "interrupted":
            break
    if args.json:
        print_json(litmus_json(results, model))
    else:
        print(summary_table(results, model))
        print("\n".join(summary_lines(results, model)))
    return _litmus_exit(results)


def _freeze_imports() -> None:
    """Move what importing made (modules, classes, functions) out of the cyclic garbage
    collector's view: its collections during a run then look at the run's objects only
    (a litmus run over the kernel's corpus: 10 M fewer instructions).  Only in a process
    of its own: frozen objects are never collected (tests call ``main`` many times)."""
    import gc

    gc.freeze()


def _litmus_exit(results: list[LitmusResult]) -> int:
    if any(r.status == "error" for r in results):
        return 2
    if any(r.agrees is False for r in results):
        return 1
    if any(r.status != "done" for r in results):
        return 3
    return 0


class _Progress:
    """Live progress on a terminal (rich), after the first second."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.status: Any = None

    def update(self, st: Stats) -> None:
        if not self.enabled or st.elapsed_s < 1.0:
            return
        rate = st.executions / st.elapsed_s if st.elapsed_s else 0.0
        text = (
            f"exploring: {st.executions} executions, {rate:.0f}/s, "
            f"{st.elapsed_s:.1f} s (Ctrl-C stops and reports)"
        )
        if self.status is None:
            from rich.console import Console

            self.status = Console(stderr=True).status(text)
            self.status.start()
        else:
            self.status.update(text)

    def stop(self) -> None:
        if self.status is not None:
            self.status.stop()


if __name__ == "__main__":
    sys.exit(main())
