"""``pagerace cost``, run in-process: the issue-5 bar, --json, the plot, exit codes.

Exit codes (cli/cost_cmd.py): 0 the comparison is printed, 1 printed but a probe met a
model finding, 2 bad input or usage.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from pagerace.cli.main import main

BAR = ("compare", "v3.13", "per-tail-lock", "--workload", "odirect")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(["cost", *argv])
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def bar_json(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any], Path]:
    """The bar's command at order 9 with --json, once for the module."""
    stem = tmp_path_factory.mktemp("plot") / "cost-odirect"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["cost", *BAR, "--contended-order", "1", "--json", "--plot", str(stem)])
    return code, json.loads(out.getvalue()), stem


def test_the_bar_counts_the_split_extra_locked_ops_and_explains_andreas_511(bar_json):
    code, doc, _ = bar_json
    assert code == 0
    (split,) = [c for c in doc["claims"] if "split" in c["claim"]]
    assert (split["claimed"], split["measured"], split["agrees"]) == (511, 1022, False)
    assert split["breakdown"] == {"bit_spin_lock": 511, "bit_spin_unlock": 511}
    assert "bit_spin_unlock is clear_bit_unlock" in split["explanation"]


def test_the_bar_counts_two_locked_ops_saved_per_tail_put_where_andrea_counted_one(bar_json):
    _, doc, _ = bar_json
    (put,) = [c for c in doc["claims"] if "saved" in c["claim"]]
    assert (put["claimed"], put["measured"]) == (1, 2)
    assert put["breakdown"] == {"atomic_dec_and_test": 1, "atomic_inc_not_zero": 1}


def test_the_reference_counts_for_v3_13_agree(bar_json):
    _, doc, _ = bar_json
    ref = {c["claim"]: c for c in doc["claims"] if c["source"].startswith("ref")}
    assert len(ref) == 3 and all(c["agrees"] for c in ref.values())
    ops = doc["operations"]["v3.13"]
    assert ops["put_page(tail)"]["uncontended"]["locked"]["median"] == 6
    assert ops["split_huge_page"]["uncontended"]["locked"]["median"] == 1028


def test_the_locked_op_crossover_is_one_split_per_511_ios(bar_json):
    _, doc, _ = bar_json
    (x,) = [x for x in doc["crossovers"] if x["metric"] == "locked"]
    assert x["cheaper_below"] == "per-tail-lock"
    # odirect also allocates: (2 * 250,000) / 1022 splits/s, one per 511 I/Os.
    assert x["ios_per_split"] == pytest.approx(511)


def test_the_bar_writes_the_plot_as_png_and_svg(bar_json):
    _, doc, stem = bar_json
    png, svg = stem.with_suffix(".png"), stem.with_suffix(".svg")
    assert doc["plot"] == [str(png), str(svg)]
    assert png.read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in svg.read_bytes()[:2000]


def test_the_text_report_shows_counts_claims_rates_and_crossover(capsys, tmp_path):
    code, out, _ = run(capsys, *BAR, "--order", "4", "--contended-order", "1", "--no-plot")
    assert code == 0
    assert "split_huge_page" in out and "per-tail-lock" in out
    assert "[differs] extra locked operations per split at order 4" in out
    assert "claimed 15" in out and "measured 30" in out
    assert "Per second, workload odirect" in out
    assert "crossover in locked operations: per-tail-lock is cheaper than v3.13" in out
    assert "one split per 15 4 KiB I/Os" in out


def test_a_variant_whose_probes_meet_a_finding_exits_1_and_says_so(capsys):
    argv = ("compare", "per-tail-lock-naive", "--workload", "odirect", "--order", "1")
    code, out, _ = run(capsys, *argv, "--contended-order", "1", "--no-plot")
    assert code == 1
    assert "model findings in cost:split-io:per-tail-lock-naive" in out


def test_a_user_workload_file_is_priced(capsys, tmp_path):
    f = tmp_path / "mine.toml"
    f.write_text("odirect_ios = 100\nsplits = 1\n")
    argv = ("compare", "v3.13", "--workload", str(f), "--order", "2", "--contended-order", "0")
    code, out, _ = run(capsys, *argv, "--no-plot", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["workload"]["name"] == "mine"
    assert doc["per_second"]["v3.13"]["locked"] > 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("compare", "v9.9", "--workload", "odirect"), "VARIANT: got 'v9.9'"),
        (("compare", "v3.13", "v3.13", "--workload", "odirect"), "each variant once"),
        (("compare", "v3.13", "--workload", "oltp"), "--workload: got 'oltp'"),
        (("compare", "v3.13", "--workload", "odirect", "--order", "10"), "from 1 to 9"),
        (("compare", "v3.13", "--workload", "odirect", "--cost", "lock=3"), "KEY=CYCLES"),
        (("compare", "v3.13"), "--workload"),
    ],
)
def test_bad_usage_exits_2_with_the_bad_value(capsys, argv, message):
    code, out, err = run(capsys, *argv, "--no-plot")
    assert code == 2
    assert message in err and out == ""


def test_a_bad_workload_file_exits_2_at_file_line_col(capsys, tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("odirect_ios = 5\nsplits = [1, 2]\n")
    code, _, err = run(capsys, "compare", "v3.13", "--workload", str(f), "--no-plot")
    assert code == 2
    assert f"{f}:2:10: splits must be a rate per second" in err


def test_units_and_workloads_list_their_sources_and_keys(capsys):
    code, out, _ = run(capsys, "units")
    assert code == 0 and "locked_rmw" in out and "Agner Fog" in out
    code, out, _ = run(capsys, "workloads", "--json")
    assert code == 0 and "odirect" in json.loads(out)["workloads"]
