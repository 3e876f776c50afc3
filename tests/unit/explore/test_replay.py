"""Schedules as text, replay of a printed counterexample, and shrinking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pagerace import kernel as k
from pagerace.core.errors import UsageError
from pagerace.explore import Options, Program, Trace, World, explore
from pagerace.explore.replay import decode_schedule, encode_schedule, replay
from pagerace.explore.shrink import context_switches, shrink
from pagerace.graph import Event
from pagerace.scenarios.catalogue import scenario

THREAD_LETTERS = 52  # A-Z then a-z


def prep_race(variant: str = "v3.13", cpus: int = 2) -> Program:
    return scenario("prep-race").program(variant, {"cpus": cpus})


def schedule_of(token: str) -> tuple[int, ...]:
    return decode_schedule(token.partition("@")[2])


def comparable(trace: Trace) -> tuple[tuple[Event, tuple[str, str]], ...]:
    """The events with values as text: a pointer value is an object of its own run
    (every run builds the program afresh), so runs compare by its repr (a page's name)."""
    return tuple(
        (e._replace(read_value=repr(e.read_value), written_value=repr(e.written_value)), shown)
        for e, shown in zip(trace.events, trace.shown, strict=True)
    )


# -- the text form -------------------------------------------------------------------------


@given(st.lists(st.integers(0, THREAD_LETTERS - 1), max_size=60))
def test_decoding_an_encoded_schedule_gives_it_back(schedule):
    assert decode_schedule(encode_schedule(schedule)) == tuple(schedule)


@given(st.lists(st.integers(0, 3), max_size=60))
def test_an_encoded_schedule_has_one_run_per_block_of_one_thread(schedule):
    # Run-length encoding: one letter per maximal block, so letters = switches + 1.
    letters = sum(ch.isalpha() for ch in encode_schedule(schedule))
    assert letters == (context_switches(schedule) + 1 if schedule else 0)


def test_a_schedule_is_encoded_as_letters_with_run_lengths():
    # DESIGN of replay.py: A = thread 0, B = thread 1; a count only when above 1.
    assert encode_schedule([0, 0, 0, 1, 1, 0]) == "A3B2A"


def test_decoding_text_that_is_not_a_schedule_is_a_usage_error():
    with pytest.raises(UsageError):
        decode_schedule("A3-B")


# -- replay of a counterexample --------------------------------------------------------------


def test_replaying_the_prep_race_token_reproduces_the_same_finding():
    program = prep_race()
    cx = explore(program, Options()).counterexamples[0]
    ex = replay(program, schedule_of(cx.replay), capture=True)
    assert cx.finding.signature in {f.signature for f in ex.findings}


def test_replaying_the_prep_race_token_reproduces_the_same_events():
    program = prep_race()
    cx = explore(program, Options()).counterexamples[0]
    ex = replay(program, schedule_of(cx.replay), capture=True)
    assert comparable(ex.trace()) == comparable(cx.trace)


def test_the_replay_token_spells_the_counterexample_schedule():
    cx = explore(prep_race(), Options()).counterexamples[0]
    assert schedule_of(cx.replay) == cx.trace.schedule


def test_replaying_a_schedule_of_a_thread_that_cannot_run_is_a_usage_error():
    # prep-race at --cpus 2 has threads A and B only.
    with pytest.raises(UsageError):
        replay(prep_race(), decode_schedule("C"))


# -- shrinking -------------------------------------------------------------------------------


def noisy_increments(w: World) -> None:
    """Three private writes per thread, then a racy ``x = READ_ONCE(x) + 1``."""
    x = w.location("x")
    for name in ("P0", "P1"):
        private = w.location(f"{name}.private")

        @w.thread(name)
        def run(private=private) -> None:
            for i in range(3):
                k.WRITE_ONCE(private, i)
            v = k.READ_ONCE(x)
            k.WRITE_ONCE(x, v + 1)

    @w.check_at_end("no lost update")
    def no_lost_update(w: World) -> str | None:
        return None if w.peek(x) == 2 else f"x is {w.peek(x)}"


def test_shrinking_a_preempting_lost_update_reaches_two_context_switches():
    # Alternating every step loses the update (both read x before either writes it).
    # Losing it needs P0's read before P1's write and P1's read before P0's write, so
    # some thread is preempted between its read and its write: at least 2 switches
    # (e.g. A4 B5 A1); that is what the shrinker must reach.
    program = Program("noisy", noisy_increments)
    alternating = (0, 1) * 5
    signature = replay(program, alternating).findings[0].signature
    shrunk = shrink(program, alternating, signature)
    assert context_switches(shrunk) == 2
    assert signature in {f.signature for f in replay(program, shrunk).findings}


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_shrunk_counterexample_has_no_more_context_switches_than_the_one_found(seed):
    program = Program("noisy", noisy_increments)
    found = explore(program, Options(strategy="random", seed=seed, shrink=False))
    shrunk = explore(program, Options(strategy="random", seed=seed, shrink=True))
    raw_cx, small_cx = found.counterexamples[0], shrunk.counterexamples[0]
    assert small_cx.finding.signature == raw_cx.finding.signature
    assert context_switches(small_cx.trace.schedule) <= context_switches(raw_cx.trace.schedule)


@pytest.mark.parametrize("cpus", [2, 3])
def test_the_shrunk_prep_race_counterexample_shows_the_same_finding_with_no_more_switches(
    cpus,
):
    program = prep_race(cpus=cpus)
    raw_cx = explore(program, Options(shrink=False)).counterexamples[0]
    small_cx = explore(program, Options(shrink=True)).counterexamples[0]
    assert small_cx.finding.signature == raw_cx.finding.signature
    assert context_switches(small_cx.trace.schedule) <= context_switches(raw_cx.trace.schedule)
