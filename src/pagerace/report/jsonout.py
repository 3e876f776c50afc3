"""Results as JSON (``--json``): one object per command, stable keys."""

from __future__ import annotations

from typing import Any

from pagerace.explore.result import Counterexample, Result
from pagerace.explore.shrink import context_switches
from pagerace.graph.events import EventKind


def counterexample_json(cx: Counterexample) -> dict[str, Any]:
    t = cx.trace
    events = []
    for e, (r, w) in zip(t.events, t.shown, strict=False):
        events.append(
            {
                "eid": e.eid,
                "cpu": t.threads[e.tid],
                "kind": e.kind.value,
                "primitive": e.name,
                "annot": e.annot,
                "location": e.loc,
                "read": r if e.reads else None,
                "written": w if e.writes else None,
                "rf": e.rf if e.reads else None,
                "function": e.src.function if e.src else None,
                "file": e.src.file if e.src else None,
                "line": e.src.line if e.src else None,
                "detail": e.detail or None,
            }
        )
    f = cx.finding
    return {
        "kind": f.kind,
        "message": f.message,
        "cpu": t.threads[f.tid] if f.tid is not None else None,
        "event": f.eid,
        "replay": cx.replay,
        "traceback": f.traceback or None,
        "context_switches": context_switches(t.schedule),
        "trace": [ev for ev in events if ev["kind"] != EventKind.END.value],
        "final": dict(t.final),
    }


def result_json(res: Result, **context: Any) -> dict[str, Any]:
    st = res.stats
    return {
        **context,
        "verdict": res.verdict,
        "executions": st.executions,
        "blocked": st.blocked,
        "bounded_runs": st.bounded,
        "deadlocks": st.deadlocks,
        "steps": st.steps,
        "reruns": st.reruns,  # (the graph explorer's, weak models; else null)
        "rejected_graphs": st.rejected,
        "elapsed_s": round(st.elapsed_s, 4),
        "bound_reason": res.bound_reason or None,
        "params": res.params,
        "findings": [counterexample_json(cx) for cx in res.counterexamples],
    }
