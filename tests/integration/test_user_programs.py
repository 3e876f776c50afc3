"""`pagerace check FILE.py`: a user's own protocol, written as plain Python."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.test_cli import run

RACY = """\
from pagerace.kernel import READ_ONCE, WRITE_ONCE, spin_lock, spin_unlock

LOCKED = {locked}

def build(w):
    x, lock = w.location("x"), w.location("lock")

    def inc():
        if LOCKED:
            spin_lock(lock)
        WRITE_ONCE(x, READ_ONCE(x) + 1)
        if LOCKED:
            spin_unlock(lock)

    w.thread("CPU0")(inc)
    w.thread("CPU1")(inc)

    @w.check_at_end("no lost update")
    def check(w):
        return None if w.peek(x) == 2 else f"x is {{w.peek(x)}}"
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_a_racy_user_protocol_gives_a_finding_and_a_token_that_replays_it(tmp_path, capsys):
    path = write(tmp_path, "racy.py", RACY.format(locked=False))
    code, out, _ = run(capsys, "check", path, "--json")
    assert code == 1
    finding = json.loads(out)["findings"][0]
    assert finding["kind"] == "invariant" and "x is 1" in finding["message"]
    code, out, _ = run(capsys, "replay", finding["replay"])
    assert code == 1 and "x is 1" in out


def test_the_locked_user_protocol_is_verified_with_its_two_executions(tmp_path, capsys):
    # Two lock-protected increments: the lock order is the only choice (2 graphs).
    path = write(tmp_path, "locked.py", RACY.format(locked=True))
    code, out, _ = run(capsys, "check", path)
    assert code == 0
    assert "VERIFIED" in out and "2 executions" in out


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("def build(w)\n    pass\n", ":1:13:", "syntax error"),
        ("x = 1\nraise RuntimeError('boom')\n", ":2:1:", "RuntimeError: boom"),
        ("x = 1\n", ":1:1:", "defines no build(world) function"),
    ],
)
def test_a_bad_user_file_is_an_input_error_at_its_position(tmp_path, capsys, text, where, what):
    path = write(tmp_path, "bad.py", text)
    code, out, err = run(capsys, "check", path)
    assert code == 2
    assert f"{path}{where}" in err and what in err
    assert "Traceback" not in out + err


def test_a_missing_user_file_is_an_input_error(tmp_path, capsys):
    code, _, err = run(capsys, "check", str(tmp_path / "nope.py"))
    assert code == 2 and "no such file" in err


def test_scenario_parameters_are_refused_for_a_user_file(tmp_path, capsys):
    path = write(tmp_path, "racy.py", RACY.format(locked=False))
    code, _, err = run(capsys, "check", path, "--cpus", "3")
    assert code == 2 and "--cpus" in err
