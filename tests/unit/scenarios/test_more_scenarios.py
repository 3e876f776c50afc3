"""stale-head-free (§9.2 b1), head-realloc-smaller (§9.2 b4) and pagetail-race (§9.2 b3):
the seeded bugs are found with short traces, the fixes hold beyond the default
parameters, bad parameters are usage errors, and printed counterexamples replay.
(Every variant x model verdict at default parameters is in test_verdict_matrix.)"""

from __future__ import annotations

import json

import pytest

from pagerace.cli.main import main
from pagerace.core.errors import UsageError
from pagerace.explore import Options, Result, explore
from pagerace.explore.shrink import context_switches
from pagerace.models.base import model_by_name
from pagerace.scenarios.catalogue import scenario

STALE = scenario("stale-head-free")
REALLOC = scenario("head-realloc-smaller")
PAGETAIL = scenario("pagetail-race")


def check(name: str, variant: str, model: str = "sc", **params: int) -> Result:
    mm = None if model == "sc" else model_by_name(model)
    program = scenario(name).program(variant, params)
    return explore(program, Options(all_findings=True, model=mm))


def kinds(res: Result) -> set[str]:
    return {cx.finding.kind for cx in res.counterexamples}


# -- stale-head-free ---------------------------------------------------------------------


def test_an_unpinned_compound_lock_loses_its_bit_or_is_freed_held_under_sc():
    # §9.2 b1: the free path's plain store lands inside the critical section (the owner
    # finds its bit clear), or its load sees the bit set (bad page) -- both reachable.
    res = check("stale-head-free", "unpinned-lock")
    assert {"lock-lost", "bad-page"} <= kinds(res)
    for cx in res.counterexamples:
        assert context_switches(cx.trace.schedule) <= 3, cx.replay


def test_the_bad_page_of_an_unpinned_lock_names_the_compound_lock_bit():
    res = check("stale-head-free", "unpinned-lock")
    bad = [cx.finding.message for cx in res.counterexamples if cx.finding.kind == "bad-page"]
    assert bad and all("PG_compound_lock" in m for m in bad)


def test_pinning_the_head_first_keeps_the_free_path_out_with_two_putters_under_sc():
    assert check("stale-head-free", "v3.13", cpus=3, order=2).verdict == "verified"


# -- head-realloc-smaller ----------------------------------------------------------------


def test_v3_12_frees_a_smaller_compound_head_as_a_single_page_and_leaks_its_tails():
    res = check("head-realloc-smaller", "v3.12")
    assert kinds(res) == {"invariant"}
    messages = [cx.finding.message for cx in res.counterexamples]
    assert any("H+1 still has flags PG_tail: never freed" in m for m in messages)


def test_the_v3_12_leak_needs_the_new_owner_to_put_before_the_stale_putter():
    # Shrunk: the stale putter pins H, the new owner puts, the stale put is the last.
    res = explore(REALLOC.program("v3.12", {}), Options())
    assert res.verdict == "finding"
    assert context_switches(res.counterexamples[0].trace.schedule) <= 2


@pytest.mark.parametrize("order", [1, 2])
def test_v3_13_dispatches_on_page_head_with_two_stale_putters_under_sc(order):
    assert check("head-realloc-smaller", "v3.13", cpus=3, order=order).verdict == "verified"


# -- pagetail-race -----------------------------------------------------------------------


def test_v3_13_page_count_dereferences_a_null_first_page_under_sc():
    res = explore(PAGETAIL.program("v3.13", {}), Options())
    cx = res.counterexamples[0]
    assert cx.finding.kind == "null-deref"
    assert "page_count(H+1)" in cx.finding.message
    assert context_switches(cx.trace.schedule) == 1  # preempted right after __SetPageTail


@pytest.mark.parametrize("model", ["sc", "tso"])
def test_close_pagetail_race_never_sees_pg_tail_without_first_page(model):
    assert check("pagetail-race", "close-pagetail-race", model).verdict == "verified"


def test_close_pagetail_race_with_two_readers_of_an_order_2_page_is_verified_under_sc():
    assert check("pagetail-race", "close-pagetail-race", cpus=3, order=2).verdict == "verified"


def test_under_the_lkmm_the_rechecking_compound_head_can_still_return_null():
    # The first PageTail load and the first_page load are ordered only by a control
    # dependency: the LKMM lets first_page come from before the writer's store while
    # both PageTail loads see PG_tail.
    res = check("pagetail-race", "close-pagetail-race", "lkmm")
    assert "null-deref" in kinds(res)


# -- parameters --------------------------------------------------------------------------


@pytest.mark.parametrize("sc", [STALE, PAGETAIL], ids=lambda s: s.name)
def test_more_cpus_than_tails_is_a_usage_error(sc):
    with pytest.raises(UsageError, match="at most 2 with --order 1"):
        sc.program("v3.13", {"cpus": 3, "order": 1})


@pytest.mark.parametrize("sc", [STALE, REALLOC, PAGETAIL], ids=lambda s: s.name)
@pytest.mark.parametrize(
    ("param", "value"), [("cpus", 1), ("cpus", 9), ("order", 0), ("order", 10)]
)
def test_an_out_of_range_parameter_is_a_usage_error(sc, param, value):
    with pytest.raises(UsageError, match="an integer from"):
        sc.program("v3.13", {param: value})


@pytest.mark.parametrize("sc", [STALE, REALLOC, PAGETAIL], ids=lambda s: s.name)
def test_a_variant_of_another_scenario_is_a_usage_error(sc):
    with pytest.raises(UsageError, match="--variant"):
        sc.program("prep-fix", {})


# -- the command line --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "variant", "model"),
    [
        ("stale-head-free", "unpinned-lock", "sc"),
        ("head-realloc-smaller", "v3.12", "tso"),
        ("pagetail-race", "v3.13", "lkmm"),
    ],
)
def test_a_checked_counterexample_replays_to_the_same_finding(name, variant, model, capsys):
    assert main(["check", name, "--variant", variant, "--model", model, "--json"]) == 1
    found = json.loads(capsys.readouterr().out)["findings"][0]
    assert main(["replay", found["replay"], "--json"]) == 1
    replayed = json.loads(capsys.readouterr().out)
    assert found["kind"] in {f["kind"] for f in replayed}
