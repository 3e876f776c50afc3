"""Every kernel litmus test gives herd7's result under the LKMM, native and interpreted
from linux-kernel.cat alike: the observation, the positive and negative witness counts
and the flags recorded in expected.tsv (herd7's own output)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pagerace.litmus import run_file
from pagerace.litmus.parser import parse_file
from pagerace.litmus.verdict import run_test
from tests.unit.litmus.corpus import KERNEL, corpus_files, herd_expected, needs_corpus

MODEL_DIR = KERNEL.parent / "lkmm-model"
FILES = [pytest.param(f, id=f.stem) for f in corpus_files()]


def herd(f: Path) -> tuple[str, int, int, tuple[str, ...]]:
    row = herd_expected()[str(f.relative_to(KERNEL))]
    flags = tuple(sorted(x for x in row["herd7_flags"].split(",") if x))
    return row["herd7_observation"].split()[0], int(row["positive"]), int(row["negative"]), flags


@needs_corpus
@pytest.mark.parametrize("f", FILES)
def test_the_native_lkmm_gives_herd7s_observation_witnesses_and_flags(f: Path) -> None:
    r = run_file(f, "lkmm")
    assert (r.observation, r.positive, r.negative, r.flags) == herd(f)


@needs_corpus
@pytest.mark.skipif(not MODEL_DIR.is_dir(), reason=f"no LKMM model files at {MODEL_DIR}")
@pytest.mark.parametrize("f", FILES)
def test_linux_kernel_cat_interpreted_gives_herd7s_observation_witnesses_and_flags(
    f: Path,
) -> None:
    r = run_file(f, f"cat:{MODEL_DIR}")
    assert (r.observation, r.positive, r.negative, r.flags) == herd(f)


@needs_corpus
@pytest.mark.parametrize("f", [p for p in FILES if "rcu" not in str(p.values[0]).lower()])
def test_sc_by_interleavings_and_sc_by_candidate_executions_agree(f: Path) -> None:
    # Two engines, one model: optimal DPOR over interleavings and herd-style candidate
    # executions checked against sc.cat.  (RCU is not part of sc.cat: the interleaving
    # engine waits for grace periods, the candidate one does not.)
    test = parse_file(f)
    a = run_test(test, "sc", engine="dpor")
    b = run_test(test, "sc", engine="candidates")
    assert (a.positive, a.negative, a.states) == (b.positive, b.negative, b.states)
