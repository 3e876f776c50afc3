"""core.records.Record: named tuples declared as NamedTuple classes are, equal only
within their class."""

from __future__ import annotations

from unittest import mock

import pytest

from pagerace.core.records import Record


class Point(Record):
    """A point."""

    x: int
    y: int = 0

    def norm1(self) -> int:
        return abs(self.x) + abs(self.y)


class Pair(Record):
    x: int
    y: int = 0


def test_a_record_is_a_named_tuple_with_its_methods_defaults_and_docstring():
    p = Point(3)
    assert (p.x, p.y, p.norm1(), p._replace(y=-4).norm1()) == (3, 0, 3, 7)
    assert Point.__doc__ == "A point."
    assert Point._fields == ("x", "y")
    assert Point.__annotations__ == {"x": "int", "y": "int"}  # as written, not evaluated


def test_records_of_different_classes_are_never_equal_even_with_equal_fields():
    assert Point(1, 2) != Pair(1, 2)
    assert not Point(1, 2) == (1, 2)  # noqa: SIM201
    assert Point(1, 2) == Point(1, 2) and hash(Point(1, 2)) == hash(Point(1, 2))
    assert len({Point(1, 2), Pair(1, 2)}) == 2


def test_a_value_that_is_not_a_tuple_decides_equality_itself():
    assert Point(1) == mock.ANY
    assert [Point(1), Pair(2)] == [mock.ANY, Pair(2)]


def test_a_field_without_a_default_after_one_with_a_default_is_refused():
    with pytest.raises(TypeError, match="follows one with a default"):

        class Bad(Record):
            a: int = 1
            b: int
