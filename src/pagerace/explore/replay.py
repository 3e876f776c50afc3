"""Schedules as short strings, and replaying them.

A schedule is the sequence of threads that took each shared step; it replays a run
exactly (every other choice is determined by memory).  The text form is run-length
encoded, one letter per thread (A = thread 0, ..., Z, then a..z): ``A3B2A5`` runs thread
0 for three steps, thread 1 for two, thread 0 for five.  A replay token is
``<program-spec>@<schedule>``; the part before ``@`` is owned by whoever built the
program (the scenario catalogue writes ``prep-race:v3.13:sc:cpus=2,order=1``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pagerace.core.errors import UsageError
from pagerace.explore.execution import Execution
from pagerace.explore.runtime import Program

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_RUN = re.compile(r"([A-Za-z])(\d*)")
MAX_SCHEDULE = 1_000_000  # steps in a replayed schedule


def encode_schedule(schedule: Sequence[int]) -> str:
    out: list[str] = []
    i = 0
    while i < len(schedule):
        j = i
        while j < len(schedule) and schedule[j] == schedule[i]:
            j += 1
        n = j - i
        out.append(_LETTERS[schedule[i]] + (str(n) if n > 1 else ""))
        i = j
    return "".join(out)


def decode_schedule(text: str) -> tuple[int, ...]:
    if text and not re.fullmatch(r"(?:[A-Za-z]\d*)+", text):
        raise UsageError("replay schedule", text, "letters A-Z/a-z each followed by a count")
    out: list[int] = []
    for letter, count in _RUN.findall(text):
        n = int(count) if count else 1
        if not 1 <= n <= MAX_SCHEDULE - len(out):
            raise UsageError(
                "replay schedule",
                f"{letter}{count}",
                f"run lengths from 1 up to {MAX_SCHEDULE:,} steps in all",
            )
        out += [_LETTERS.index(letter)] * n
    return tuple(out)


def replay(
    program: Program,
    schedule: Sequence[int],
    *,
    capture: bool = False,
    stop_on_finding: bool = True,
    strict: bool = True,
) -> Execution:
    """Run ``schedule``; then let the run finish non-preemptively (the current thread
    goes on while it can, else the lowest-numbered enabled one).

    ``strict``: a scheduled thread that cannot run is an error (a token that does not
    belong to this program); otherwise the entry is skipped (used when shrinking).
    """
    ex = Execution(program, capture=capture, stop_on_finding=stop_on_finding)
    cur: int | None = None
    for n, tid in enumerate(schedule):
        if ex.stopped:
            break
        enabled = ex.enabled()
        if tid not in enabled:
            if strict:
                raise UsageError(
                    "replay token",
                    encode_schedule(schedule),
                    f"a schedule of this program (step {n + 1}: thread "
                    f"{_LETTERS[tid] if tid < len(_LETTERS) else tid} cannot run there); "
                    "was it printed for another scenario, variant or --cpus?",
                )
            continue
        ex.step(tid)
        cur = tid
    while not ex.stopped:
        enabled = ex.enabled()
        if not enabled:
            break
        cur = cur if cur in enabled else enabled[0]
        ex.step(cur)
    ex.finish()
    return ex
