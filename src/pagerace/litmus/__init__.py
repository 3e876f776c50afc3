"""C-litmus front end (issue 3): parse herd7's C litmus format, run it as a pagerace
program, and give herd7-style verdicts."""

from pagerace.litmus.parser import parse_file, parse_text
from pagerace.litmus.program import LitmusProgram
from pagerace.litmus.resolve import Layout, resolve
from pagerace.litmus.syntax import LitmusTest
from pagerace.litmus.verdict import MODELS, LitmusResult, run_file, run_paths, run_test

__all__ = [
    "MODELS",
    "Layout",
    "LitmusProgram",
    "LitmusResult",
    "LitmusTest",
    "parse_file",
    "parse_text",
    "resolve",
    "run_file",
    "run_paths",
    "run_test",
]
