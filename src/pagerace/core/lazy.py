"""Package attributes made on first use (PEP 562 ``__getattr__``)."""

from __future__ import annotations

from typing import Any


def submodule(package: str, name: str) -> Any:
    """``package.name`` imported, as an attribute of the package (``pagerace.litmus``)."""
    from importlib import import_module

    if name.startswith("__"):  # (a dunder a tool probes for, never a submodule)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    try:
        return import_module(f"{package}.{name}")
    except ModuleNotFoundError as e:
        if e.name != f"{package}.{name}":
            raise
        raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
