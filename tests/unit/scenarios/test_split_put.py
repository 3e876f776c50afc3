"""split-vs-tail-put: the split's serialisation against tail puts (§9.2 b2)."""

from __future__ import annotations

import pytest

from pagerace.core.errors import UsageError
from pagerace.explore import Options, explore
from pagerace.explore.shrink import context_switches
from pagerace.scenarios.catalogue import scenario

SPLIT = scenario("split-vs-tail-put")


def test_v3_13_drops_every_gup_pin_exactly_once_under_sc():
    res = explore(SPLIT.program("v3.13", {"cpus": 2, "order": 1}), Options())
    assert res.verdict == "verified"
    assert res.stats.executions > 1 and res.stats.blocked == 0


@pytest.mark.slow
def test_v3_13_with_two_putters_on_an_order_2_thp_is_verified():
    res = explore(SPLIT.program("v3.13", {"cpus": 3, "order": 2}), Options())
    assert res.verdict == "verified"


def test_without_the_smp_mb_ordering_a_putter_underflows_the_tail_count():
    # The putter sees PG_tail clear before the split moved its pin into _count: it
    # decrements a _count of 0.  One context switch suffices: split up to the clear.
    res = explore(SPLIT.program("split-mb-reordered", {"cpus": 2, "order": 1}), Options())
    assert res.verdict == "finding"
    cx = res.counterexamples[0]
    assert cx.finding.kind == "refcount-underflow"
    assert "._count went to -1" in cx.finding.message
    assert context_switches(cx.trace.schedule) <= 2


def test_more_putters_than_tails_is_a_usage_error():
    with pytest.raises(UsageError, match="at most 2 with --order 1"):
        SPLIT.program("v3.13", {"cpus": 3, "order": 1})
