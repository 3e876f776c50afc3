"""The ``pagerace`` command line: argument parsing and exit codes, nothing else."""

from typing import Any


def print_json(doc: Any) -> None:
    """``doc`` on stdout as indented JSON (``json`` is imported only by the commands
    that print it: every command starts faster)."""
    import json

    print(json.dumps(doc, indent=2))
