"""The golden verdict matrix: for every scenario x variant x model the catalogue lists,
exploration (default parameters) gives the catalogue's verdict, and every finding is of
a kind the catalogue names for it.  The expectations come from the reference and the
kernel history (each has its reason in the catalogue), never from pagerace's output."""

from __future__ import annotations

import pytest

from pagerace.explore import Options, explore
from pagerace.models.base import model_by_name
from pagerace.scenarios.catalogue import catalogue

# Exhaustive under the LKMM these take minutes: the slow suite runs them.
SLOW = {("gup-vs-split", "lkmm")}

CASES = [
    pytest.param(
        name,
        variant,
        model,
        exp,
        id=f"{name}-{variant}-{model}",
        marks=[pytest.mark.slow] if (name, model) in SLOW else [],
    )
    for name, sc in catalogue().items()
    for (variant, model), exp in sc.expected.items()
]


@pytest.mark.parametrize(("name", "variant", "model", "expected"), CASES)
def test_exploration_gives_the_catalogue_verdict_with_the_kinds_it_lists(
    name, variant, model, expected
):
    program = catalogue()[name].program(variant, {})
    mm = None if model == "sc" else model_by_name(model)
    res = explore(program, Options(all_findings=True, shrink=False, model=mm))
    assert res.verdict == expected.verdict
    found = {cx.finding.kind for cx in res.counterexamples}
    assert found <= set(expected.kinds)
    if expected.verdict == "finding":
        assert found


def test_every_variant_has_an_expectation_under_every_model():
    for sc in catalogue().values():
        for variant in sc.variants:
            for model in ("sc", "tso", "lkmm"):
                assert (variant, model) in sc.expected, (sc.name, variant, model)
