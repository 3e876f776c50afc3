"""``pagerace litmus``: herd7-style output, the summary, --json, exit codes, timeouts.

Exit codes: 0 every verdict matches its ``Result:`` header (or has none), 1 one differs,
2 an input error (the other files still run), 3 a test timed out.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pagerace.cli.main import main
from tests.unit.litmus.corpus import KERNEL, needs_corpus

SB = """C SB{suffix}
(*
 * Result: {result}
 *)
{{}}
P0(int *x, int *y) {{ int r0; WRITE_ONCE(*x, 1); r0 = READ_ONCE(*y); }}
P1(int *x, int *y) {{ int r0; WRITE_ONCE(*y, 1); r0 = READ_ONCE(*x); }}
exists (0:r0=0 /\\ 1:r0=0)
"""


def sb(result: str = "Sometimes", suffix: str = "") -> str:
    return SB.format(result=result, suffix=suffix)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(["litmus", *argv])
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_test_matching_its_header_prints_herd_lines_and_exits_0(capsys, tmp_path):
    f = write(tmp_path / "SB.litmus", sb("Never"))
    code, out, _ = run(capsys, str(f), "--model", "sc")
    assert code == 0
    for line in (
        "Test SB Allowed",
        "States 3",
        "0:r0=0; 1:r0=1;",
        "No",
        "Witnesses",
        "Positive: 0 Negative: 3",
        "Condition exists (0:r0=0 /\\ 1:r0=0)",
        "Observation SB Never 0 3",
    ):
        assert line in out.splitlines()
    assert "Time SB " in out
    assert "agrees" in out


def test_a_verdict_that_differs_from_the_header_exits_1_and_says_the_header_is_lkmm(
    capsys, tmp_path
):
    f = write(tmp_path / "SB.litmus", sb("Sometimes"))
    code, out, _ = run(capsys, str(f), "--model", "sc")
    assert code == 1
    assert "Header SB Result: Sometimes (LKMM) vs sc Never: DIFFERS" in out
    assert "The headers are LKMM verdicts; this run checked --model sc" in out


def test_a_malformed_file_exits_2_with_file_line_col_and_the_others_still_run(capsys, tmp_path):
    write(tmp_path / "a" / "SB.litmus", sb())
    bad = write(tmp_path / "b" / "bad.litmus", "C bad\n{}\nP0(int *x)\n{\n\tint r0\n}\n")
    code, out, err = run(capsys, str(tmp_path))
    assert code == 2
    assert err.startswith(f"{bad}:5:8: missing `;` after `r0`")
    assert "Observation SB Sometimes 1 3" in out  # (the default model: lkmm)


def test_an_unknown_macro_exits_2_naming_it(capsys, tmp_path):
    f = write(tmp_path / "t.litmus", "C t\n{}\nP0(int *x) { smp_frob(); }\nexists (x=0)\n")
    code, _, err = run(capsys, str(f))
    assert code == 2
    assert f"{f}:3:14: unsupported primitive `smp_frob`" in err


def test_directories_are_searched_recursively_for_litmus_files(capsys, tmp_path):
    write(tmp_path / "one" / "two" / "deep.litmus", sb(suffix="-deep"))
    write(tmp_path / "top.litmus", sb(suffix="-top"))
    write(tmp_path / "notes.txt", "not a test")
    code, out, _ = run(capsys, str(tmp_path), "--json")
    names = [t["name"] for t in json.loads(out)["tests"]]
    assert (code, sorted(names)) == (0, ["SB-deep", "SB-top"])


def test_json_has_the_verdict_counts_flags_and_time_of_every_test(capsys, tmp_path):
    f = write(tmp_path / "SB.litmus", sb("Sometimes"))
    code, out, _ = run(capsys, str(f), "--json", "--model", "sc")
    doc = json.loads(out)
    (t,) = doc["tests"]
    assert code == 1
    assert doc["model"] == "sc"
    assert {
        k: t[k] for k in ("name", "file", "observation", "positive", "negative", "flags", "model")
    } == {
        "name": "SB",
        "file": str(f),
        "observation": "Never",
        "positive": 0,
        "negative": 3,
        "flags": [],
        "model": "sc",
    }
    assert isinstance(t["elapsed_s"], float)
    assert (t["expected"], t["expected_model"], t["agrees"]) == ("Sometimes", "lkmm", False)
    assert doc["summary"]["differ"] == 1


@pytest.mark.parametrize(("model", "small_observation"), [("sc", "Never"), ("lkmm", "Sometimes")])
def test_a_test_over_its_timeout_is_reported_and_the_rest_still_run(
    capsys, tmp_path, model, small_observation
):
    # 4 threads of 6 accesses to one location: tens of thousands of executions under SC;
    # under the LKMM 369,600 coherence orders of the 12 writes, each with its sources.
    body = " ".join(f"WRITE_ONCE(*x, {i}); r{i} = READ_ONCE(*x);" for i in range(3))
    procs = "\n".join(f"P{p}(int *x) {{ int r0; int r1; int r2; {body} }}" for p in range(4))
    write(tmp_path / "a-big.litmus", f"C big\n{{}}\n{procs}\nexists (x=0)\n")
    write(tmp_path / "b-SB.litmus", sb(small_observation))  # its header agrees: exit 3
    code, out, _ = run(capsys, str(tmp_path), "--timeout", "0.2", "--json", "--model", model)
    big, small = json.loads(out)["tests"]
    assert code == 3
    assert (big["status"], big["observation"]) == ("timeout", None)
    if model == "sc":
        assert big["executions"] > 0  # what was explored is counted
    assert (small["status"], small["observation"]) == ("done", small_observation)


@pytest.mark.parametrize(("model", "observation"), [("sc", "Never"), ("tso", "Sometimes")])
def test_store_buffering_is_observed_under_tso_and_not_under_sc(
    capsys, tmp_path, model, observation
):
    f = write(tmp_path / "SB.litmus", sb())
    _, out, _ = run(capsys, str(f), "--model", model)
    assert f"Observation SB {observation}" in out


def test_a_cat_directory_without_the_model_is_a_usage_error(capsys, tmp_path):
    code, out, err = run(capsys, str(write(tmp_path / "SB.litmus", sb())), "--model", "cat:/no/dir")
    assert (code, out) == (2, "")
    assert "linux-kernel.cat" in err


def test_an_unknown_model_is_a_usage_error(capsys, tmp_path):
    code, _, err = run(capsys, str(write(tmp_path / "SB.litmus", sb())), "--model", "arm")
    assert code == 2
    assert "--model: got 'arm'" in err


def test_a_missing_path_is_an_input_error(capsys, tmp_path):
    code, _, err = run(capsys, str(tmp_path / "nope.litmus"))
    assert code == 2
    assert "nope.litmus:1:1: no such file or directory" in err


@needs_corpus
def test_the_kernel_corpus_under_sc_differs_from_its_lkmm_headers_and_exits_1(capsys):
    code, out, _ = run(capsys, str(KERNEL), "--model", "sc")
    assert code == 1
    assert out.count("\nObservation ") + out.startswith("Observation ") == 47
    assert "47 tests under --model sc: 47 Never, 0 Sometimes, 0 Always" in out
    assert "Observation RM-broken Never 0 0" in out  # judged DEADLOCK, as its header says
    assert "Observation RCU+sync+read Never" in out  # the grace period waits for P0


@needs_corpus
def test_the_kernel_corpus_by_default_gets_its_lkmm_headers_and_exits_0(capsys):
    """``pagerace litmus DIR`` checks the LKMM, the model the kernel's tests are written
    for: herd7's verdict on every test."""
    code, out, _ = run(capsys, str(KERNEL))
    assert code == 0
    assert "47 tests under --model lkmm: 32 Never, 15 Sometimes, 0 Always" in out
    assert "DIFFERS" not in out


def test_the_summary_is_one_aligned_row_per_test_under_its_head(capsys, tmp_path):
    write(tmp_path / "a" / "SB.litmus", sb("Never"))
    write(tmp_path / "b" / "SB-longer-name.litmus", sb("Sometimes", "-longer-name"))
    code, out, _ = run(capsys, str(tmp_path), "--model", "sc")
    assert code == 1  # SB-longer-name: Never under sc, its header says Sometimes
    lines = out.splitlines()
    top = lines.index("pagerace litmus --model sc")
    head, rule, first, second = lines[top + 1 : top + 5]
    assert head.split() == ["test", "observation", "Result:", "(LKMM)", "vs", "header", "time"]
    assert set(rule) == {"-", " "}
    assert first.split()[:6] == ["SB", "Never", "0", "3", "Never", "agrees"]
    assert second.split()[:6] == ["SB-longer-name", "Never", "0", "3", "Sometimes", "DIFFERS"]
    # Columns start where the head's do; the time is aligned right.
    for row in (first, second):
        assert row.index(row.split()[1]) == head.index("observation")
        assert len(row) == len(rule)


def test_paths_are_named_as_given_without_dot_segments(capsys, tmp_path, monkeypatch):
    write(tmp_path / "d" / "SB.litmus", sb("Sometimes"))
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "./d/", "--json")
    assert code == 0
    assert json.loads(out)["tests"][0]["file"] == "d/SB.litmus"


def test_a_valid_test_runs_without_importing_lark_rich_or_dataclasses(tmp_path):
    # Start-up is most of a corpus run's time: the litmus path stays free of the heavy
    # modules (lark parses only texts the generated tables reject, to report them).
    import subprocess
    import sys

    f = write(tmp_path / "SB.litmus", sb())
    heavy = ("lark", "rich", "dataclasses", "inspect", "shutil", "pathlib", "json")
    code = (  # (what the interpreter's start-up imported, an editable install's hook too,
        # is not pagerace's doing)
        "import io, sys, contextlib\n"
        "before = set(sys.modules)\n"
        "from pagerace.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    rc = main(['litmus', {str(f)!r}])\n"
        f"print(rc, sorted(m for m in {heavy!r} if m in set(sys.modules) - before))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split(maxsplit=1) == ["0", "[]\n"]
