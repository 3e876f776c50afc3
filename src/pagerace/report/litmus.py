"""Litmus verdicts as herd7 prints them, a summary table, and JSON.

Per test, the block herd7 prints (``Test``, ``States``, ``Ok``/``No``, ``Witnesses``,
``Condition``, ``Observation``, ``Time``), then pagerace's own lines: how the verdict
compares with the test's ``Result:`` header (which states the LKMM's verdict, whatever
model this run used) and notes on what the model leaves out.

The summary is plain aligned text, like herd7's output and as easy to ``grep`` or
diff: rich's table took 60 ms to lay out 47 rows, and importing rich another 50 ms,
a quarter of the whole ``pagerace litmus`` run over the kernel's corpus, whose bar is
herd7's time (``docs/benchmarks.md``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from pagerace.litmus.verdict import LitmusResult

HEADER_MODEL = "lkmm"  # the kernel's tests state their expected result under the LKMM


def herd_text(r: LitmusResult) -> str:
    """herd7's output block for one test, plus pagerace's comparison and notes."""
    out = [f"Test {r.name} {r.kind}"]
    if r.status == "done":
        out += [f"States {len(r.states)}", *r.states, "Ok" if r.ok else "No", "Witnesses"]
        pos, neg = r.witnesses
        out.append(f"Positive: {pos} Negative: {neg}")
        out += [f"Flag {f}" for f in r.flags]
        out.append(f"Condition {r.condition}")
        out.append(f"Observation {r.name} {r.observation} {r.positive} {r.negative}")
    elif r.status == "error":
        out.append(r.error)
    elif r.status == "timeout":
        out.append(f"Timeout {r.name}: {r.error} after {r.executions} executions; no verdict")
    else:
        out.append(f"Bounded {r.name}: {r.error} after {r.executions} executions; no verdict")
    out.append(f"Time {r.name} {r.elapsed_s:.2f}")
    out += _pagerace_lines(r)
    return "\n".join(out)


def _pagerace_lines(r: LitmusResult) -> list[str]:
    out = []
    if r.expected is not None and r.agrees is not None:
        verdict = "agrees" if r.agrees else "DIFFERS"
        seen = r.judged if r.judged == "DEADLOCK" else r.observation
        out.append(
            f"Header {r.name} Result: {r.expected} ({HEADER_MODEL.upper()}) vs {r.model} "
            f"{seen}: {verdict}"
        )
    if r.deadlocks:
        out.append(f"Note {r.name}: {r.deadlocks} runs deadlocked (not executions, as in lock.cat)")
    if r.uses_srcu and r.model == "sc":
        out.append(
            f"Note {r.name}: under sc, SRCU grace periods are not waited for (RCU's are); "
            "outcomes they forbid may show here"
        )
    return out


def summary_table(results: Sequence[LitmusResult], model: str) -> str:
    """One row per test: its observation, its ``Result:`` header, whether they agree."""
    head = ("test", "observation", f"Result: ({HEADER_MODEL.upper()})", "vs header", "time")
    rows = [
        (r.name, _cell(r), r.expected or "-", _versus(r), f"{r.elapsed_s:.2f} s") for r in results
    ]
    return f"pagerace litmus --model {model}\n" + columns(head, rows, right=(4,))


def columns(head: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> str:
    """``rows`` under ``head`` in aligned columns two spaces apart, a rule of dashes
    under the head; the columns numbered in ``right`` aligned right."""
    cells = [tuple(head), *map(tuple, rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(head))]
    table = [cells[0], tuple("-" * w for w in widths), *cells[1:]]
    return "\n".join(
        "  ".join(
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in table
    )


def _cell(r: LitmusResult) -> str:
    if r.status == "done":
        return f"{r.observation} {r.positive} {r.negative}"
    return r.status


def _versus(r: LitmusResult) -> str:
    if r.agrees is None:
        return "-"
    return "agrees" if r.agrees else "DIFFERS"


def summary_lines(results: Sequence[LitmusResult], model: str) -> list[str]:
    c = summary_counts(results)
    total = sum(r.elapsed_s for r in results)
    out = [
        f"{c['tests']} tests under --model {model}: {c['Never']} Never, "
        f"{c['Sometimes']} Sometimes, {c['Always']} Always; {c['errors']} input errors, "
        f"{c['timeouts']} timed out; {total:.2f} s in all",
    ]
    if c["differ"]:
        out.append(
            f"{c['differ']} verdicts differ from their Result: header. The headers are "
            f"{HEADER_MODEL.upper()} verdicts; this run checked --model {model}"
            + _model_caveat(model)
        )
    return out


def _model_caveat(model: str) -> str:
    if model != "sc":
        return "."
    return (
        ", which allows fewer reorderings, so outcomes the LKMM allows (Sometimes) may be "
        "Never here."
    )


def summary_counts(results: Sequence[LitmusResult]) -> dict[str, int]:
    obs = Counter(r.observation for r in results if r.status == "done")
    return {
        "tests": len(results),
        "Never": obs["Never"],
        "Sometimes": obs["Sometimes"],
        "Always": obs["Always"],
        "errors": sum(r.status == "error" for r in results),
        "timeouts": sum(r.status == "timeout" for r in results),
        "differ": sum(r.agrees is False for r in results),
    }


def litmus_json(results: Sequence[LitmusResult], model: str) -> dict[str, Any]:
    return {
        "model": model,
        "tests": [result_json(r) for r in results],
        "summary": summary_counts(results),
    }


def result_json(r: LitmusResult) -> dict[str, Any]:
    """``positive``/``negative`` are the Observation line's counts (executions where
    the condition's proposition holds / fails); ``witnesses`` is herd7's Witnesses line,
    which swaps them for ``~exists``."""
    pos, neg = r.witnesses
    return {
        "name": r.name,
        "file": r.file,
        "model": r.model,
        "status": r.status,
        "observation": r.observation or None,
        "positive": r.positive,
        "negative": r.negative,
        "witnesses": {"positive": pos, "negative": neg},
        "ok": r.ok if r.status == "done" else None,
        "kind": r.kind,
        "condition": r.condition,
        "states": list(r.states),
        "flags": list(r.flags),
        "executions": r.executions,
        "deadlocks": r.deadlocks,
        "expected": r.expected,
        "expected_model": HEADER_MODEL if r.expected else None,
        "agrees": r.agrees,
        "elapsed_s": round(r.elapsed_s, 6),
        "error": r.error or None,
    }
