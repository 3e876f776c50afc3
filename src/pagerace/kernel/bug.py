"""``BUG_ON`` and ``VM_BUG_ON`` (CONFIG_DEBUG_VM=y): a true condition stops the CPU
with a ``bug-on`` finding naming the condition's source text."""

from __future__ import annotations

import sys
from typing import Any

from pagerace.explore.runtime import fail


def _where() -> tuple[str, str]:
    import linecache  # (when a BUG_ON fires, not on every start-up)

    frame = sys._getframe(2)
    text = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f"{frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.f_lineno}", text


def BUG_ON(cond: Any, message: str = "") -> None:  # noqa: N802 - the kernel's name
    if cond:
        where, text = _where()
        fail(
            "bug-on",
            f"{message or text} ({where}, in {sys._getframe(1).f_code.co_name})",
            check=f"BUG_ON:{where}",
        )


def VM_BUG_ON(cond: Any, message: str = "") -> None:  # noqa: N802
    if cond:
        where, text = _where()
        fail(
            "bug-on",
            f"{message or text} ({where}, in {sys._getframe(1).f_code.co_name})",
            check=f"VM_BUG_ON:{where}",
        )
