"""The ``pagerace`` command line, run in-process: output, exit codes, error messages.

Exit codes (cli/main.py, DESIGN.md): 0 verified, 1 a finding, 2 bad input or usage,
3 a bound stopped the search with no finding.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from pagerace.cli.main import main

TOKEN_PREFIX = "prep-race:v3.13:sc:cpus=2,order=1"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``pagerace ARGV`` (argparse errors exit)."""
    try:
        code = main(list(argv))
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


def check_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code, out, _ = run(capsys, "check", "prep-race", "--json", *argv)
    return code, json.loads(out)


# -- scenarios ---------------------------------------------------------------------------


def test_scenarios_lists_prep_race_and_exits_0(capsys):
    code, out, _ = run(capsys, "scenarios")
    assert code == 0
    assert "prep-race" in out


def test_scenarios_as_json_lists_every_variant_of_prep_race(capsys):
    code, out, _ = run(capsys, "scenarios", "--json")
    (prep,) = [s for s in json.loads(out) if s["name"] == "prep-race"]
    assert code == 0
    assert set(prep["variants"]) == {"v3.13", "prep-fix", "prep-fix-nowmb", "prep-fix-release"}


# -- check -------------------------------------------------------------------------------


def test_check_of_v3_13_exits_1(capsys):
    code, _, _ = run(capsys, "check", "prep-race", "--variant", "v3.13")
    assert code == 1


def test_check_of_v3_13_prints_a_cpu_column_trace_of_the_lock(capsys):
    _, out, _ = run(capsys, "check", "prep-race", "--variant", "v3.13")
    header = next(line for line in out.splitlines() if "CPU0" in line)
    assert re.search(r"CPU0\s*\|\s*CPU1", header)  # one column per CPU, side by side
    assert "lock" in out
    assert "FINDING" in out


def test_check_of_prep_fix_exits_0_and_prints_verified_with_the_execution_count(capsys):
    # prep-fix, 2 CPUs: CPU1's get_page_unless_zero reads H._count as 0 (it fails and
    # touches only its own tail afterwards) or as 1 (every flag of H is already final):
    # each choice fixes every other read, so there are 2 graphs, 2 executions.
    code, out, _ = run(capsys, "check", "prep-race", "--variant", "prep-fix")
    assert code == 0
    assert re.search(r"VERIFIED\b.*\b2 executions", out)


def test_check_json_has_the_verdict_counts_and_findings(capsys):
    code, doc = check_json(capsys, "--variant", "v3.13")
    assert code == 1
    assert doc["verdict"] == "finding"
    assert isinstance(doc["executions"], int) and doc["executions"] >= 1
    assert isinstance(doc["elapsed_s"], float | int)
    assert doc["findings"]
    for f in doc["findings"]:
        assert {"kind", "message", "trace", "replay"} <= f.keys()
        assert f["trace"] and f["replay"].startswith(TOKEN_PREFIX + "@")


def test_check_json_of_a_verified_variant_has_no_findings(capsys):
    code, doc = check_json(capsys, "--variant", "prep-fix")
    assert (code, doc["verdict"], doc["findings"]) == (0, "verified", [])


def test_a_weak_check_counts_its_reruns_and_the_graphs_the_model_rejected(capsys):
    """Under a weak model the summary and the JSON say how much the graph explorer ran:
    prep-fix-release under x86-TSO has two executions, each a re-run of the threads,
    and the graphs the model rejected cost none.  Under SC (interleavings) there are
    no such counts."""
    code, doc = check_json(capsys, "--variant", "prep-fix-release", "--model", "tso")
    assert (code, doc["verdict"], doc["executions"]) == (0, "verified", 2)
    assert doc["reruns"] == 2 and doc["rejected_graphs"] > 0
    code, out, _ = run(
        capsys, "check", "prep-race", "--variant", "prep-fix-release", "--model", "tso"
    )
    assert re.search(
        r"2 executions \(0 blocked, 0 deadlocked; re-runs: 2, graphs the model "
        r"rejected: \d+\)",
        out,
    )
    code, doc = check_json(capsys, "--variant", "prep-fix-release")
    assert doc["reruns"] is None and doc["rejected_graphs"] is None


def test_check_with_all_findings_shows_both_lock_bit_races(capsys):
    code, out, _ = run(capsys, "check", "prep-race", "--variant", "v3.13", "--all-findings")
    assert code == 1
    assert "lock-lost" in out
    assert "lock-leaked" in out


def test_check_stopped_by_max_executions_exits_3_and_says_bounded(capsys):
    # prep-fix has more than one execution (2 at --cpus 2, and more at 3).
    argv = ("check", "prep-race", "--max-executions", "1", "--variant", "prep-fix", "--cpus", "3")
    code, out, _ = run(capsys, *argv)
    assert code == 3
    assert "BOUNDED" in out
    assert "VERIFIED" not in out


def test_check_with_the_pct_strategy_finds_the_race(capsys):
    # The putter can pin the head only after CPU0's allocator steps and its _count store:
    # a uniform random walk almost never waits that out, PCT's priority changes do (with
    # seed 1 after 299 runs; 8 of seeds 0-19 within 1000).
    code, doc = check_json(capsys, "--variant", "v3.13", "--strategy", "pct", "--seed", "1")
    assert (code, doc["verdict"]) == (1, "finding")


def test_a_random_walk_that_misses_the_race_is_bounded_never_verified(capsys):
    code, doc = check_json(
        capsys, "--variant", "v3.13", "--strategy", "random", "--max-executions", "20"
    )
    assert doc["verdict"] in ("bounded", "finding")
    assert code in (1, 3)


# -- replay ------------------------------------------------------------------------------


def test_replay_of_a_printed_token_reproduces_the_finding(capsys):
    _, doc = check_json(capsys, "--variant", "v3.13")
    found = doc["findings"][0]
    code, out, _ = run(capsys, "replay", found["replay"])
    assert code == 1
    assert f"FINDING [{found['kind']}]" in out
    assert found["message"] in out


def test_replay_as_json_gives_the_same_trace_as_the_check(capsys):
    _, doc = check_json(capsys, "--variant", "v3.13")
    found = doc["findings"][0]
    code, out, _ = run(capsys, "replay", found["replay"], "--json")
    replayed = json.loads(out)
    assert code == 1
    assert replayed[0]["trace"] == found["trace"]


def test_check_with_a_replay_token_reproduces_the_finding(capsys):
    _, doc = check_json(capsys, "--variant", "v3.13")
    code, out, _ = run(capsys, "check", "prep-race", "--replay", doc["findings"][0]["replay"])
    assert code == 1
    assert doc["findings"][0]["kind"] in out


# -- bad input: exit 2, a short message, no traceback ----------------------------------

BAD_INPUT = {
    "unknown scenario": ("check", "no-such-scenario"),
    "unknown variant": ("check", "prep-race", "--variant", "v9.99"),
    "unknown model": ("check", "prep-race", "--model", "arm"),
    "cat model directory without linux-kernel.cat": (
        "check",
        "prep-race",
        "--model",
        "cat:/no/such/dir",
    ),
    "sampling under a weak model": ("check", "prep-race", "--model", "tso", "--strategy", "pct"),
    "no cpus": ("check", "prep-race", "--cpus", "0"),
    "too many cpus": ("check", "prep-race", "--cpus", "99"),
    "unknown order": ("check", "prep-race", "--order", "99"),
    "unknown strategy": ("check", "prep-race", "--strategy", "fuzz"),
    "negative max executions": ("check", "prep-race", "--max-executions", "-1"),
    "zero max steps": ("check", "prep-race", "--max-steps", "0"),
    "non-integer cpus": ("check", "prep-race", "--cpus", "two"),
    "unknown command": ("frobnicate",),
    "token without schedule": ("replay", "prep-race"),
    "token with bad schedule": ("replay", TOKEN_PREFIX + "@A5-B4"),
    "token with bad parameter": ("replay", "prep-race:v3.13:sc:cpus=two@A"),
    "token of unknown scenario": ("replay", "nope:v3.13:sc:cpus=2@A"),
    "token of unknown variant": ("replay", "prep-race:v9.99:sc:cpus=2,order=1@A"),
    # --cpus 2 has threads A and B only: a thread C cannot run.
    "token for more cpus": ("replay", TOKEN_PREFIX + "@A5C4"),
    # CPU0 (thread A) runs prep_new_page: far fewer than 200 shared steps.
    "token running past a thread's end": ("replay", TOKEN_PREFIX + "@A200"),
}


@pytest.mark.parametrize("argv", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_exits_2_with_a_short_message_and_no_traceback(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("pagerace: error:")
    assert len(err.strip().splitlines()) <= 2
    assert "Traceback" not in err + out


def test_a_token_with_an_absurd_run_length_exits_2(capsys):
    code, _, err = run(capsys, "replay", TOKEN_PREFIX + "@A99999999999999999999")
    assert code == 2
    assert "Traceback" not in err


# -- the entry points --------------------------------------------------------------------


def test_python_dash_m_pagerace_runs_the_command_line():
    proc = subprocess.run(
        [sys.executable, "-m", "pagerace", "scenarios"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "prep-race" in proc.stdout


def test_the_pagerace_console_script_points_at_main():
    (script,) = entry_points(group="console_scripts", name="pagerace")
    assert script.load() is main
