"""``pagerace lockdep``, run in-process: splats, exit codes, --json, bad input.

Exit codes (cli/lockdep_cmd.py): 0 no report with every execution explored, 1 a
report, 2 bad input or usage, 3 no report from a bounded exploration.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pagerace.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(["lockdep", *argv])
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


def test_v3_13_is_clean_and_says_bit_spinlocks_are_invisible(capsys):
    code, out, _ = run(capsys, "split-vs-tail-put")
    assert code == 0
    assert "bit spinlocks are invisible to lockdep" in out
    assert "exhaustive: every execution explored" in out
    assert "LOCKDEP: no report" in out


def test_v3_13_with_tracked_bit_locks_is_clean_and_learns_one_order(capsys):
    code, out, _ = run(capsys, "split-vs-tail-put", "--track-bit-locks")
    assert code == 0
    assert "lock order learned: zone.lru_lock -> compound_lock of a page" in out


def test_per_tail_lock_with_tracked_bit_locks_is_recursive_locking(capsys):
    code, out, _ = run(
        capsys, "split-vs-tail-put", "--variant", "per-tail-lock", "--track-bit-locks"
    )
    assert code == 1
    assert "WARNING: possible recursive locking detected" in out
    assert "huge_memory.py:" in out or "mm_h.py:" in out  # sources were attached
    assert "MAX_LOCK_DEPTH" not in out  # lock, transfer, unlock: at most three held


def test_per_tail_lock_bit_locks_untracked_is_clean(capsys):
    code, _, _ = run(capsys, "split-vs-tail-put", "--variant", "per-tail-lock")
    assert code == 0


def test_the_nest_lock_annotation_removes_the_recursion_report(capsys):
    code, out, _ = run(
        capsys, "split-vs-tail-put", "--variant", "per-tail-lock-nested", "--track-bit-locks"
    )
    assert code == 0, out


def test_order_9_is_one_random_execution_and_says_bounded(capsys):
    code, out, _ = run(
        capsys, "split-vs-tail-put", "--variant", "per-tail-lock", "--order", "9",
        "--track-bit-locks",
    )  # fmt: skip
    assert code == 1
    assert "BOUNDED (not every execution): --order 9" in out
    assert "detected 511 times" in out


def test_a_clean_bounded_exploration_exits_3(capsys):
    code, out, _ = run(capsys, "split-vs-tail-put", "--order", "9", "--track-bit-locks")
    assert code == 3
    assert "LOCKDEP: no report in what was explored" in out


def test_json_lists_reports_and_coverage(capsys):
    code, out, _ = run(
        capsys, "split-vs-tail-put", "--variant", "per-tail-lock", "--track-bit-locks", "--json"
    )
    data = json.loads(out)
    assert code == 1
    assert data["exploration"]["complete"] is True
    (report,) = data["reports"]
    assert report["kind"] == "recursive-locking"
    assert report["acquiring"]["class"] == "compound_lock of a page"
    assert report["acquiring"]["site"]["src"] is not None
    assert ["zone.lru_lock", "compound_lock of a page"] in data["dependencies"]


def test_json_of_a_clean_run_has_no_reports(capsys):
    code, out, _ = run(capsys, "split-vs-tail-put", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["reports"] == []
    assert data["untracked_bit_locks"] == {"compound_lock of a page": 2}


def test_a_user_program_with_abba_exits_1(capsys, tmp_path: Path):
    proto = tmp_path / "abba.py"
    proto.write_text(
        "from pagerace.kernel import spin_lock, spin_unlock\n"
        "def build(w):\n"
        "    a, b = w.location('A'), w.location('B')\n"
        "    def take(x, y):\n"
        "        def run():\n"
        "            spin_lock(x); spin_lock(y); spin_unlock(y); spin_unlock(x)\n"
        "        return run\n"
        "    w.thread('CPU0')(take(a, b))\n"
        "    w.thread('CPU1')(take(b, a))\n"
    )
    code, out, _ = run(capsys, str(proto))
    assert code == 1
    assert "WARNING: possible circular locking dependency detected" in out
    assert "abba.py:6" in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["no-such-scenario"], "scenario"),
        (["split-vs-tail-put", "--variant", "v9"], "--variant"),
        (["split-vs-tail-put", "--order", "10"], "an integer from 1 to 9"),
        (["split-vs-tail-put", "--cpus", "99"], "--cpus"),
        (["split-vs-tail-put", "--max-executions", "0"], "--max-executions"),
        (["split-vs-tail-put", "--strategy", "dfs"], "invalid choice"),
    ],
)
def test_bad_input_exits_2(capsys, argv, needle):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert needle in err
