"""Workloads: how often, per second, the events that touch THP reference counts happen,
and which kernel operations each event runs.

A workload is given by name (:data:`WORKLOADS`) or as a small TOML file of the same
keys (:func:`load_workload`)::

    description = "a database doing O_DIRECT into THP-backed buffers"
    odirect_ios = 250000      # 4 KiB O_DIRECT I/Os after gup_fast, per second
    splits = 10               # split_huge_page per second (munmap, mprotect, ...)
    kvm_faults_foll_get = 0   # KVM faults that take a page reference (FOLL_GET)
    kvm_faults = 0            # KVM faults with no reference (gup_fast without FOLL_GET)
    allocations = 10          # THP allocations per second
    frees = 0                 # THP frees per second
    gets_per_page = 0         # get_page/put_page pairs per page in the dio path

What each event runs (ref §6.2, §6.4, §9.3): a 4 KiB O_DIRECT I/O is one ``gup_fast``
of one page, ``gets_per_page`` ``get_page`` of the tail, and one ``put_page`` of the
tail per reference (Andrea's accounting, LKML 2013-12-17, counts the one after
``gup_fast``: ``gets_per_page = 0``; v3.13's fs/direct-io.c also takes
``page_cache_get`` references: 2).  A KVM fault with FOLL_GET is a ``gup_fast`` of one
page and its ``put_page`` (``kvm_release_pfn_clean``; ``transparent_hugepage_adjust``'s
move of the reference to the head, one locked operation each way on the head in every
variant, is left out); without FOLL_GET -- Andrea's plan in the same message, not in
v3.13 -- it is the irq-off walk of ``gup_fast`` with no reference taken.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pagerace.core.errors import InputError, UsageError

# The operations a cost probe marks (pagerace.kernel.operation) and a workload runs.
GUP_FAST = "gup_fast"
GUP_FAST_NO_PIN = "gup_fast (no FOLL_GET)"
GET_PAGE_TAIL = "get_page(tail)"
PUT_PAGE_TAIL = "put_page(tail)"
SPLIT = "split_huge_page"
ALLOC = "alloc_pages(THP)"
FREE = "free(THP)"
OPERATIONS = (GUP_FAST, GUP_FAST_NO_PIN, GET_PAGE_TAIL, PUT_PAGE_TAIL, SPLIT, ALLOC, FREE)

RATES = ("odirect_ios", "splits", "kvm_faults_foll_get", "kvm_faults", "allocations", "frees")
MAX_GETS = 8
KEYS = {
    "name": "a name for the reports (default: the file's name)",
    "description": "a line of text",
    "odirect_ios": "4 KiB O_DIRECT I/Os after gup_fast, per second",
    "splits": "split_huge_page per second (munmap, mprotect, ... of part of a THP)",
    "kvm_faults_foll_get": "KVM faults that take a page reference (FOLL_GET), per second",
    "kvm_faults": "KVM faults with no reference (gup_fast without FOLL_GET), per second",
    "allocations": "THP allocations per second",
    "frees": "THP frees per second",
    "gets_per_page": f"get_page/put_page pairs per page in the dio path, 0..{MAX_GETS}",
}


@dataclass(frozen=True, slots=True)
class Workload:
    """Rates per second of each event, and the dio path's extra references per page."""

    name: str
    description: str = ""
    odirect_ios: float = 0.0
    splits: float = 0.0
    kvm_faults_foll_get: float = 0.0
    kvm_faults: float = 0.0
    allocations: float = 0.0
    frees: float = 0.0
    gets_per_page: int = 0

    def rate(self, event: str) -> float:
        value: float = getattr(self, event)
        return value

    def operations(self, event: str) -> dict[str, int]:
        """The operations one ``event`` runs, with how many times."""
        io = {GUP_FAST: 1, PUT_PAGE_TAIL: self.gets_per_page + 1}
        if self.gets_per_page:
            io[GET_PAGE_TAIL] = self.gets_per_page
        per_event = {
            "odirect_ios": io,
            "splits": {SPLIT: 1},
            "kvm_faults_foll_get": {GUP_FAST: 1, PUT_PAGE_TAIL: 1},
            "kvm_faults": {GUP_FAST_NO_PIN: 1},
            "allocations": {ALLOC: 1},
            "frees": {FREE: 1},
        }
        return per_event[event]

    def with_splits(self, splits: float) -> Workload:
        return dataclasses.replace(self, splits=splits)


# Illustrative rates, not measurements of any machine: what matters is their ratios,
# and the crossover (splits per I/O) does not depend on them.
WORKLOADS = {
    w.name: w
    for w in (
        Workload(
            "odirect",
            "a database doing 4 KiB O_DIRECT I/O (about 1 GiB/s) into THP-backed buffers, "
            "with an occasional split (munmap/mprotect of part of a THP) and allocation",
            odirect_ios=250_000,
            splits=10,
            allocations=10,
        ),
        Workload(
            "truncate-flood",
            'the same I/O while splits "run in a flood" (Andrea, LKML 2013-12-17): '
            "a process repeatedly unmapping parts of THPs",
            odirect_ios=250_000,
            splits=5_000,
            allocations=5_000,
        ),
        Workload(
            "kvm",
            "KVM guest faults on THP-backed memory, taking a reference with FOLL_GET as "
            "v3.13 does, with a little O_DIRECT",
            odirect_ios=10_000,
            kvm_faults_foll_get=100_000,
            splits=10,
            allocations=10,
        ),
    )
}


def load_workload(spec: str) -> Workload:
    """A built-in workload by name, or a TOML file (a path ending in ``.toml``)."""
    if spec in WORKLOADS:
        return WORKLOADS[spec]
    if not spec.endswith(".toml"):
        raise UsageError(
            "--workload", spec, f"one of {', '.join(WORKLOADS)}, or a .toml file of rates"
        )
    path = Path(spec)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise UsageError("--workload", spec, f"a readable TOML file ({e.strerror})") from None
    return parse_workload(text, spec, path.stem)


def parse_workload(text: str, file: str, default_name: str) -> Workload:
    """Parse a workload file; every error is an :class:`InputError` at file:line:col."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        line, col, msg = _toml_position(str(e))
        raise InputError(file, line, col, msg) from None
    values: dict[str, object] = {"name": default_name}
    for key, value in data.items():
        where = _key_position(text, key)
        if key not in KEYS:
            raise InputError(
                file, *where, f"unknown key {key!r}", f"expected one of {', '.join(KEYS)}"
            )
        values[key] = _checked(key, value, file, _value_position(text, key, where))
    return Workload(**values)  # type: ignore[arg-type]


def _checked(key: str, value: object, file: str, where: tuple[int, int]) -> object:
    if key in ("name", "description"):
        if not isinstance(value, str):
            raise InputError(file, *where, f"{key} must be a string, got {value!r}")
        return value
    if key == "gets_per_page":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_GETS:
            raise InputError(
                file,
                *where,
                f"gets_per_page must be an integer from 0 to {MAX_GETS}, got {value!r}",
            )
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise InputError(
            file, *where, f"{key} must be a rate per second, a number >= 0, got {value!r}"
        )
    if value == float("inf"):
        raise InputError(file, *where, f"{key} must be finite, got {value!r}")
    return float(value)


_TOML_AT = re.compile(r"^(.*?)\s*\(at line (\d+), column (\d+)\)\s*$", re.S)


def _toml_position(message: str) -> tuple[int, int, str]:
    m = _TOML_AT.match(message)
    if m is None:
        return 1, 1, message
    return int(m.group(2)), int(m.group(3)), m.group(1)


def _key_position(text: str, key: str) -> tuple[int, int]:
    """Where ``key`` is defined (``key = ...`` or a ``[key]`` table), 1-based."""
    k = re.escape(key)
    pattern = re.compile(rf"^\s*(?:(?:{k}|\"{k}\"|'{k}')\s*=|\[+\s*{k}\s*[\].])")
    for n, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return n, len(line) - len(line.lstrip()) + 1
    return 1, 1


def _value_position(text: str, key: str, where: tuple[int, int]) -> tuple[int, int]:
    line, _ = where
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return where
    eq = lines[line - 1].find("=")
    rest = lines[line - 1][eq + 1 :]
    return line, eq + 2 + len(rest) - len(rest.lstrip())
