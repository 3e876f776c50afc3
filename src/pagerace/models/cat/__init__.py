"""An interpreter for herd7's cat language, enough for the Linux-kernel memory model.

``CatModel.load(directory)`` parses ``linux-kernel.cat``, its bell file and includes;
``model.check(env)`` runs it on one concrete execution and returns a :class:`CatResult`
(failed checks, raised flags, every binding).  :mod:`.interp` documents the environment
and how ``with ... from`` meets a concrete execution; :mod:`.stdlib` what herd builds in.
"""

from pagerace.models.cat.interp import (
    WITNESSES,
    CatModel,
    CatResult,
    ExecutionView,
    tag_set_name,
)
from pagerace.models.cat.parser import Program, parse_file, parse_text

__all__ = [
    "WITNESSES",
    "CatModel",
    "CatResult",
    "ExecutionView",
    "Program",
    "parse_file",
    "parse_text",
    "tag_set_name",
]
