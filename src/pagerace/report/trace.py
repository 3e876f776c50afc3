"""Counterexamples drawn the way kernel developers draw races: one column per CPU.

Each row is one event: the model function and source line, the primitive, the
location, and the value read (``= v``), written (``:= v``) or both (``v -> w``).  The
event where a check failed is marked ``<<``; the failed check and the final values of
the words the run wrote are printed below.
"""

from __future__ import annotations

from pagerace.explore.result import Counterexample, Trace
from pagerace.graph.events import Event, EventKind

MAX_CELL = 72


def event_cell(e: Event, read: str, written: str) -> tuple[str, str]:
    """Two lines: where in the model (function:line), and what the event did."""
    where = f"{e.src.function}:{e.src.line}" if e.src is not None else ""
    if e.kind is EventKind.END:
        return where, "(returns)"
    if e.kind is EventKind.LOCAL:
        return where, f"{e.name}" + (f" ({e.detail})" if e.detail else "")
    if e.kind is EventKind.FENCE:
        return where, f"{e.name}()"
    what = e.name if not e.detail or e.detail in e.name else f"{e.name}[{e.detail}]"
    if e.kind is EventKind.RMW_FAIL:
        value = f"= {read}, fails"
    elif e.reads and e.writes:
        value = f"{read} -> {written}"
    elif e.reads:
        value = f"= {read}"
    else:
        value = f":= {written}"
    return where, f"{e.loc} {value}  {what}"


def _clip(text: str) -> str:
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def render_trace(trace: Trace, failing_eid: int | None = None) -> str:
    """The run as a table: a row (two lines) per event, a column per CPU."""
    cols = list(trace.threads)
    rows: list[tuple[str, int, tuple[str, str], bool]] = []
    shown = trace.shown or tuple(("", "") for _ in trace.events)
    for e, (r, w) in zip(trace.events, shown, strict=False):
        if e.kind is EventKind.END and e.eid != failing_eid:
            continue
        where, what = event_cell(e, r, w)
        rows.append(
            (str(len(rows) + 1), e.tid, (_clip(where), _clip("  " + what)), e.eid == failing_eid)
        )
    width = [
        max([len(c)] + [len(x) for _, tid, cell, _ in rows if tid == i for x in cell])
        for i, c in enumerate(cols)
    ]
    num_w = max(2, len(str(len(rows))))
    lines = [
        " " * num_w + " | " + " | ".join(c.ljust(width[i]) for i, c in enumerate(cols)),
        "-" * num_w + "-+-" + "-+-".join("-" * w for w in width),
    ]
    for num, tid, cell, failing in rows:
        for k, text in enumerate(cell):
            cells = [text.ljust(width[i]) if i == tid else " " * width[i] for i in range(len(cols))]
            label = num.rjust(num_w) if k == 0 else " " * num_w
            mark = "   <<" if failing and k == 1 else ""
            lines.append((label + " | " + " | ".join(cells)).rstrip() + mark)
    return "\n".join(lines)


def render_counterexample(cx: Counterexample) -> str:
    f = cx.finding
    parts = [render_trace(cx.trace, f.eid)]
    who = f" on {cx.trace.threads[f.tid]}" if f.tid is not None else ""
    parts.append(f"\nFINDING [{f.kind}]{who}: {f.message}")
    if f.traceback:
        parts.append("model traceback:\n" + f.traceback.rstrip())
    if cx.trace.final:
        final = ", ".join(f"{name} = {value}" for name, value in cx.trace.final)
        parts.append(f"final: {final}")
    parts.append(f"replay: pagerace replay '{cx.replay}'")
    return "\n".join(parts)
