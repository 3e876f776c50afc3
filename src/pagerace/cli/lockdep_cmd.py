"""``pagerace lockdep SCENARIO``: explore a scenario with lockdep watching every execution.

Exit codes: 0 no report and every execution explored, 1 lockdep reported something,
2 bad input or usage, 3 no report but the exploration was bounded (not every
execution was seen, so "clean" is not proven).

A parameter beyond the catalogue's range (``--order 9``: 511 tails, far too many
interleavings to exhaust) is accepted up to the kernel's own limit, and then explored
as a bounded sample: one random execution unless ``--max-executions``/``--strategy``
say otherwise.  Lockdep's rules are per thread, so even one execution shows every
report its threads' lock sequences imply; other executions can only add more.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from pagerace.cli import print_json
from pagerace.core.errors import UsageError
from pagerace.core.records import Record
from pagerace.explore.strategies import STRATEGIES

if TYPE_CHECKING:  # imported where used: every command builds this parser
    from pagerace.analyses.lockdep import Lockdep, Report
    from pagerace.explore.explorer import Options
    from pagerace.explore.result import Result
    from pagerace.explore.runtime import Program
    from pagerace.scenarios.catalogue import Scenario

# The largest value a parameter may take beyond the catalogue's exhaustive range:
# HPAGE_PMD_ORDER on x86-64 (a 2 MiB THP of 512 pages).
CEILINGS = {"order": 9}
BEYOND_RANGE_EXECUTIONS = 1
BEYOND_RANGE_STEPS = 1_000_000


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "lockdep",
        help="lockdep over every explored execution: recursion, depth, cycles, irq safety",
        description="Explore a scenario with lockdep watching every execution, and print "
        "its reports as kernel splats. A parameter beyond the catalogue's range (up to "
        "--order 9) is explored as one random execution unless --max-executions or "
        "--strategy say otherwise. Exit codes: 0 no report and every execution explored, "
        "1 a report, 2 bad input or usage, 3 no report from a bounded exploration.",
    )
    p.add_argument("scenario", help="a catalogue scenario, or a .py file defining build(world)")
    p.add_argument(
        "--variant",
        help="any design variant, also one the scenario's catalogue entry does not list "
        "(default: the scenario's first)",
    )
    p.add_argument("--cpus", type=int, help="CPUs (threads) of the scenario")
    p.add_argument("--order", type=int, help=f"order of the THP (up to {CEILINGS['order']})")
    p.add_argument(
        "--track-bit-locks",
        action="store_true",
        help="track bit spinlocks (compound_lock) as lockdep would if they had a lockdep "
        "map; the 2013 kernel does not",
    )
    p.add_argument(
        "--irq-class",
        action="append",
        default=[],
        metavar="CLASS",
        help="declare a lock class taken by an interrupt handler (irq-safe); repeatable",
    )
    p.add_argument("--strategy", choices=STRATEGIES, help="default: exhaustive")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-executions", type=int)
    p.add_argument("--max-steps", type=int, help="shared steps per run (default 5000)")
    p.add_argument("--json", action="store_true")


class _Setup(Record):
    program: Program
    title: str
    options: Options
    note: str  # why the exploration is bounded, or ""


def run(args: argparse.Namespace) -> int:
    from pagerace.analyses.lockdep import Lockdep, attach_sources
    from pagerace.explore.explorer import explore

    lockdep = Lockdep(track_bit_locks=args.track_bit_locks, hardirq_classes=args.irq_class)
    setup = _setup(args, lockdep)
    res = explore(setup.program, setup.options)
    reports = attach_sources(lockdep.reports(), setup.program, lockdep.witnesses)
    complete = not res.bound_reason and not res.stats.bounded and not res.stats.blocked
    if args.json:
        print_json(_json(args, setup, res, lockdep, reports, complete))
    else:
        print(_text(setup, res, lockdep, reports, complete))
    if reports:
        return 1
    return 0 if complete else 3


# -- building the program --------------------------------------------------------------
def _setup(args: argparse.Namespace, lockdep: Lockdep) -> _Setup:
    from pagerace.explore.explorer import Options

    program, title, beyond = _program(args)
    note = ""
    strategy, max_executions, max_steps = args.strategy, args.max_executions, args.max_steps
    if beyond and strategy in (None, "exhaustive") and max_executions is None:
        strategy, max_executions = "random", BEYOND_RANGE_EXECUTIONS
        note = (
            f"{', '.join(beyond)} beyond the catalogue's exhaustive range: one random "
            "execution (raise --max-executions for more)"
        )
    options = Options(
        strategy=strategy or "exhaustive",
        seed=args.seed,
        max_executions=max_executions,
        max_steps=max_steps or (BEYOND_RANGE_STEPS if beyond else 5000),
        all_findings=True,  # model findings do not stop lockdep's exploration
        shrink=False,
        observers=(lockdep,),
    )
    title += " --track-bit-locks" if args.track_bit_locks else ""
    return _Setup(program, title, options, note)


def _program(args: argparse.Namespace) -> tuple[Program, str, list[str]]:
    """The program, its title, and the parameters given beyond the catalogue's range."""
    from pagerace.explore.runtime import Program
    from pagerace.mm.variants import VARIANTS
    from pagerace.scenarios.catalogue import scenario
    from pagerace.scenarios.user import load_user_program

    if args.scenario.endswith(".py"):
        for flag in ("variant", "cpus", "order"):
            if getattr(args, flag) is not None:
                raise UsageError(f"--{flag}", getattr(args, flag), "no value for a .py file")
        return load_user_program(args.scenario), args.scenario, []
    sc = scenario(args.scenario)
    variant = _variant(sc, args.variant)
    params, beyond = _params(sc, {"cpus": args.cpus, "order": args.order})
    program = Program(f"{sc.name}/{variant}", sc.builder(VARIANTS[variant], params), params)
    shown = " ".join(f"--{k} {v}" for k, v in params.items())
    return program, f"{sc.name} --variant {variant} {shown}", beyond


def _variant(sc: Scenario, name: str | None) -> str:
    """The catalogue's variants for the scenario, or any other design variant: lockdep
    checks no expected verdict, and every builder takes any variant."""
    from pagerace.mm.variants import VARIANTS

    name = name or sc.variants[0]
    if name not in VARIANTS:
        raise UsageError("--variant", name, f"one of {', '.join(VARIANTS)}")
    return name


def _params(sc: Scenario, given: dict[str, int | None]) -> tuple[dict[str, int], list[str]]:
    """Defaults filled in and checked; values beyond the catalogue's range (up to
    :data:`CEILINGS`) are allowed and listed, as ``--order 9``."""
    known = {p.name: p for p in sc.params}
    wide = {k for k, v in given.items() if v is not None and k in CEILINGS and k in known}
    params = sc.resolve({k: None if k in wide else v for k, v in given.items()})
    beyond = []
    for name in sorted(wide):
        p, value = known[name], given[name]
        assert value is not None
        top = max(CEILINGS[name], p.maximum)
        if not p.minimum <= value <= top:
            raise UsageError(f"--{name}", value, f"an integer from {p.minimum} to {top}")
        params[name] = value
        if value > p.maximum:
            beyond.append(f"--{name} {value} (catalogue: {p.minimum}..{p.maximum})")
    return params, beyond


# -- output --------------------------------------------------------------------------------
def _coverage(setup: _Setup, res: Result, lockdep: Lockdep, complete: bool) -> str:
    st = res.stats
    seen = (
        f"{st.executions} execution{'s' if st.executions != 1 else ''}, "
        f"{lockdep.paths} distinct thread lock sequences"
    )
    if complete:
        return f"exhaustive: every execution explored ({seen}, {st.elapsed_s:.2f} s)"
    why = setup.note or res.bound_reason or "the search did not cover every execution"
    return f"BOUNDED (not every execution): {why}; {seen}, {st.elapsed_s:.2f} s"


def _learned(lockdep: Lockdep) -> str:
    from pagerace.analyses.lockdep import IRQ_SAFE, IRQ_UNSAFE

    order = ", ".join(f"{a} -> {b}" for a, b in lockdep.dependencies()) or "none"
    usage = lockdep.usage()
    safe = [c for c, states in usage.items() if IRQ_SAFE in states]
    unsafe = [c for c, states in usage.items() if IRQ_UNSAFE in states]
    return (
        f"lock order learned: {order}; irq-safe: {', '.join(safe) or 'none'}; "
        f"irq-unsafe: {', '.join(unsafe) or 'none'}"
    )


def _bit_lock_note(lockdep: Lockdep) -> str:
    if lockdep.track_bit_locks:
        return (
            "bit spinlocks tracked (--track-bit-locks): what lockdep would say if they "
            "had a lockdep map; the 2013 kernel's lockdep does not see them"
        )
    if not lockdep.untracked:
        return ""
    counts = ", ".join(f"{n} of {cls}" for cls, n in lockdep.untracked.items())
    return (
        "bit spinlocks are invisible to lockdep (2013: bit_spin_lock has no lockdep map), "
        f"so these acquisitions were not tracked: {counts}; --track-bit-locks shows what "
        "lockdep would say if they were"
    )


def _text(
    setup: _Setup, res: Result, lockdep: Lockdep, reports: list[Report], complete: bool
) -> str:
    from pagerace.report.lockdep import render_report

    out = [f"lockdep: {setup.title}"]
    note = _bit_lock_note(lockdep)
    out += [note] if note else []
    for r in reports:
        out += ["", render_report(r)]
    out += ["", _learned(lockdep), _coverage(setup, res, lockdep, complete)]
    if reports:
        kinds = ", ".join(dict.fromkeys(r.kind for r in reports))
        out.append(
            f"LOCKDEP: {len(reports)} report{'s' if len(reports) > 1 else ''} ({kinds}). "
            "The kernel's lockdep prints only its first, then turns itself off; here "
            "every distinct one is shown."
        )
    else:
        out.append("LOCKDEP: no report" + ("" if complete else " in what was explored"))
    findings = sorted({cx.finding.kind for cx in res.counterexamples})
    if findings:
        out.append(f"the model itself has findings ({', '.join(findings)}): see `pagerace check`")
    return "\n".join(out)


def _json(
    args: argparse.Namespace,
    setup: _Setup,
    res: Result,
    lockdep: Lockdep,
    reports: list[Report],
    complete: bool,
) -> dict[str, Any]:
    from pagerace.report.lockdep import report_json

    return {
        "command": "lockdep",
        "title": setup.title,
        "scenario": args.scenario,
        "params": dict(setup.program.params),
        "track_bit_locks": lockdep.track_bit_locks,
        "untracked_bit_locks": dict(lockdep.untracked),
        "exploration": {
            "complete": complete,
            "bound": None if complete else (setup.note or res.bound_reason),
            "strategy": setup.options.strategy,
            "executions": res.stats.executions,
            "thread_paths": lockdep.paths,
            "elapsed_s": round(res.stats.elapsed_s, 3),
        },
        "reports": [report_json(r) for r in reports],
        "dependencies": [list(d) for d in lockdep.dependencies()],
        "irq_usage": lockdep.usage(),
        "model_findings": sorted({cx.finding.kind for cx in res.counterexamples}),
    }
