"""Users' own protocols: a Python file with a ``build(world)`` function.

``pagerace check path/to/proto.py`` loads the file as a module and explores
``Program(<file stem>, module.build)``.  The file is ordinary Python: it imports kernel
primitives from :mod:`pagerace.kernel` and registers threads and end checks on the
world it is given (see the README).  Loading errors are input errors at
``file:line:col``; errors raised later, while a run executes the model, are findings.
"""

from __future__ import annotations

import importlib.util
import traceback
from pathlib import Path

from pagerace.core.errors import InputError
from pagerace.explore.runtime import Program

ENTRY = "build"


def load_user_program(path: str) -> Program:
    file = Path(path)
    if not file.is_file():
        raise InputError(
            path,
            1,
            1,
            "no such file",
            "give a Python file that defines build(world), or a scenario name",
        )
    spec = importlib.util.spec_from_file_location(f"pagerace_user_{file.stem}", file)
    if spec is None or spec.loader is None:
        raise InputError(path, 1, 1, "cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as e:
        raise InputError(path, e.lineno or 1, e.offset or 1, f"syntax error: {e.msg}") from e
    except Exception as e:
        line = _line_in(path, e)
        raise InputError(
            path,
            line,
            1,
            f"loading the file raised {type(e).__name__}: {e}",
            "the module must only define things; threads run under check",
        ) from e
    build = getattr(module, ENTRY, None)
    if not callable(build):
        raise InputError(
            path,
            1,
            1,
            f"defines no {ENTRY}(world) function",
            "define build(world) that creates locations and threads",
        )
    return Program(file.stem, build, {"file": str(file)})


def _line_in(path: str, e: BaseException) -> int:
    frames = [
        f
        for f in traceback.extract_tb(e.__traceback__)
        if Path(f.filename).resolve() == Path(path).resolve()
    ]
    return frames[-1].lineno or 1 if frames else 1
