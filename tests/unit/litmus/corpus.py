"""The kernel's own litmus tests, read at run time from ../shared/litmus/kernel.

They are GPL-2.0 test data: never copied into this repository.  Tests that need them
skip when the directory is absent.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest


def _find_corpus() -> Path:
    """$PAGERACE_LITMUS_CORPUS, else ../shared/litmus/kernel beside the checkout, else
    the workplace's shared folder (CI clones the repository elsewhere)."""
    candidates = [
        Path(os.environ.get("PAGERACE_LITMUS_CORPUS", "")),
        Path(__file__).resolve().parents[4] / "shared" / "litmus" / "kernel",
        Path("/work/shared/litmus/kernel"),
    ]
    return next((c for c in candidates if str(c) != "." and c.is_dir()), candidates[1])


KERNEL = _find_corpus()

needs_corpus = pytest.mark.skipif(
    not KERNEL.is_dir(), reason=f"the kernel litmus corpus is not at {KERNEL}"
)


def corpus_files() -> list[Path]:
    return sorted(KERNEL.rglob("*.litmus")) if KERNEL.is_dir() else []


def herd_expected() -> dict[str, dict[str, str]]:
    """expected.tsv (herd7 under the LKMM), keyed by file path relative to KERNEL."""
    with (KERNEL / "expected.tsv").open(encoding="utf-8") as f:
        return {row["file"]: row for row in csv.DictReader(f, delimiter="\t")}
