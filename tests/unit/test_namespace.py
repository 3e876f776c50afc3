"""The curated namespace: names imported on first use, submodules as attributes."""

from __future__ import annotations

import pytest

import pagerace
import pagerace.explore


def test_the_exported_names_and_submodules_are_attributes():
    for name in pagerace.__all__:
        assert getattr(pagerace, name) is not None
        assert name in dir(pagerace)
    assert pagerace.explore.__name__ == "pagerace.explore"
    assert pagerace.explore.Stats is pagerace.Stats
    assert pagerace.explore.result.__name__ == "pagerace.explore.result"


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = pagerace.nope
    with pytest.raises(AttributeError):
        _ = pagerace.explore.__wrapped__
