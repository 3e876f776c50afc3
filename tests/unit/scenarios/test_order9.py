"""THP-sized scenarios: ``--order`` up to 9 (an x86 THP) where the scenario's layout
allows it, beyond the catalogue's exhaustive range 1..4, and random or PCT runs there
that say how many runs they made, with which strategy and seed, and that a sample
proves nothing."""

from __future__ import annotations

import json
import re

import pytest

from pagerace.cli.main import main
from pagerace.core.errors import UsageError
from pagerace.explore import Options, explore
from pagerace.scenarios.catalogue import catalogue, scenario

# The largest order each scenario accepts: 9 unless its layout forbids it.  prep-race
# reallocates a block of order+1 at H that must not contain the stale tails, pages of
# the old THP at H; head-realloc-smaller's block must be smaller than that THP.
CEILINGS = {
    "prep-race": 7,
    "split-vs-tail-put": 9,
    "gup-vs-split": 9,
    "stale-head-free": 9,
    "head-realloc-smaller": 8,
    "pagetail-race": 9,
    "odirect": 9,
}


def test_every_scenario_has_a_stated_order_ceiling():
    assert set(CEILINGS) == set(catalogue())


@pytest.mark.parametrize(("name", "ceiling"), CEILINGS.items())
def test_the_largest_order_is_accepted_and_one_more_is_a_usage_error(name, ceiling):
    sc = scenario(name)
    assert sc.resolve({"order": ceiling})["order"] == ceiling
    with pytest.raises(UsageError, match=f"an integer from 1 to {ceiling} "):
        sc.resolve({"order": ceiling + 1})


def test_order_10_is_refused_with_the_range_and_the_reason():
    with pytest.raises(UsageError) as err:
        scenario("split-vs-tail-put").resolve({"order": 10})
    message = str(err.value)
    assert "--order: got 10; expected an integer from 1 to 9" in message
    assert "x86 THP" in message and "--strategy random or pct" in message


def test_order_9_is_refused_where_the_stale_tails_would_be_inside_the_block():
    with pytest.raises(UsageError, match="stale tails"):
        scenario("head-realloc-smaller").resolve({"order": 9})


def test_orders_beyond_4_are_named_as_beyond_the_catalogue_range():
    sc = scenario("gup-vs-split")
    assert sc.beyond_range(sc.resolve({"order": 4})) == []
    assert sc.beyond_range(sc.resolve({"order": 9})) == ["--order 9 (catalogue: 1..4)"]


@pytest.mark.parametrize("name", ["split-vs-tail-put", "gup-vs-split"])
def test_an_order_9_thp_builds_its_512_pages(name):
    # One random run: the split walks all 511 tails, far beyond the default 5,000 steps.
    program = scenario(name).program("v3.13", {"order": 9})
    res = explore(program, Options(strategy="random", max_executions=1, max_steps=100_000))
    assert res.stats.executions == 1 and res.stats.bounded == 0
    assert res.verdict == "bounded" and not res.counterexamples


@pytest.mark.parametrize("strategy", ["random", "pct"])
def test_a_sampled_order_9_check_states_its_runs_strategy_and_seed(strategy, capsys):
    argv = ["check", "split-vs-tail-put", "--order", "9", "--strategy", strategy]
    code = main([*argv, "--seed", "7", "--max-executions", "2"])
    out = capsys.readouterr().out
    assert code == 3  # bounded: no finding, and no proof either
    assert f"--order 9 --strategy {strategy} --seed 7" in out.splitlines()[0]
    assert "BOUNDED (not verified)" in out
    assert f"sampled: 2 runs (--strategy {strategy} --seed 7 --max-executions 2)" in out
    assert "no proof" in out


def test_a_sampled_order_9_check_gives_its_runs_and_seed_in_json(capsys):
    argv = ["check", "gup-vs-split", "--order", "9", "--strategy", "pct", "--seed", "3"]
    assert main([*argv, "--max-executions", "2", "--json"]) == 3
    doc = json.loads(capsys.readouterr().out)
    assert (doc["strategy"], doc["seed"], doc["max_executions"]) == ("pct", 3, 2)
    assert doc["runs"] == doc["executions"] == 2
    assert doc["bounded_runs"] == 0  # beyond the range, runs are not cut at 5,000 steps
    assert doc["verdict"] == "bounded" and doc["params"]["order"] == 9


def test_a_sampled_check_that_finds_the_bug_says_which_run_found_it(capsys):
    # prep-race's v3.13 race by PCT (a uniform random walk runs the stale putter to its
    # end long before CPU0 publishes the count); at order 1, where it is found quickly.
    argv = ["check", "prep-race", "--strategy", "pct", "--seed", "1", "--no-shrink"]
    assert main(argv) == 1
    sampled = [line for line in capsys.readouterr().out.splitlines() if "sampled:" in line]
    assert len(sampled) == 1
    assert re.fullmatch(r"sampled: \d+ runs \(--strategy pct --seed 1\), the last one found it",
                        sampled[0])  # fmt: skip


def test_an_exhaustive_check_beyond_the_range_runs_and_warns_it_may_not_end(capsys):
    code = main(["check", "stale-head-free", "--order", "9", "--max-executions", "1"])
    captured = capsys.readouterr()
    assert code in (0, 3)
    assert "--order 9 (catalogue: 1..4) is beyond the catalogue's exhaustive range" in (
        captured.err
    )
