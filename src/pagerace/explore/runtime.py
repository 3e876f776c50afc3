"""Running model threads: plain Python functions as greenlets, one op at a time.

A kernel primitive calls :func:`submit`, which switches from the model thread to the
engine with one :class:`~pagerace.core.ops.Op`; the engine executes it against memory
(SC: a single memory, one op at a time), records the event, and switches back with
the result.  Thread-local steps (fences under SC, irq save/restore) are recorded but are
not scheduling points: only shared accesses interleave.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import greenlet

if TYPE_CHECKING:
    import traceback

from pagerace.core.errors import ModelError
from pagerace.core.ops import NO_WRITE, Location, Op, OpKind
from pagerace.core.records import Record
from pagerace.explore.finding import Finding
from pagerace.explore.values import EMPTY, Val, raw


class ModelFailure(Exception):  # noqa: N818 - it is a finding, raised inside a model thread
    """Raised by BUG_ON and friends inside a model thread; becomes a :class:`Finding`."""

    def __init__(self, kind: str, message: str, check: str = "") -> None:
        super().__init__(message)
        self.kind, self.message, self.check = kind, message, check


class World:
    """Everything one run of a program owns: locations, threads, end checks, ghost state.

    A program's ``build`` function receives a fresh World on every run, creates its
    locations with :meth:`location`, adds threads with :meth:`thread` and end-of-run
    checks with :meth:`check_at_end`.
    """

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params: Mapping[str, Any] = params
        self.locations: list[Location] = []
        self.threads: list[tuple[str, Callable[[], None]]] = []
        self.end_checks: list[tuple[str, Callable[[World], str | None]]] = []
        self.mem: list[Any] = []
        self.lock_owner: dict[str, int | None] = {}
        self.bit_locks: dict[str, tuple[Location, int]] = {}
        self.objects: list[Any] = []  # model objects a location may hold (register)
        self.object_ids: dict[int, int] = {}

    def register(self, obj: Any) -> Any:
        """Declare a model object (a ``struct page``) that locations may hold as a
        value.  Engines that rebuild the program for every execution (the weak-memory
        explorer) then hand a read this build's object, not the one an earlier build
        stored: ``is`` and the object's own attributes work as in one run."""
        self.object_ids[id(obj)] = len(self.objects)
        self.objects.append(obj)
        return obj

    def location(
        self,
        name: str,
        init: Any = 0,
        floor: int | None = None,
        fmt: Callable[[Any], str] | None = None,
    ) -> Location:
        loc = Location(len(self.locations), name, init, floor, fmt)
        self.locations.append(loc)
        self.mem.append(init)
        return loc

    def thread(self, name: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
        """Decorator: ``@world.thread("CPU0")`` adds a model thread."""

        def add(fn: Callable[[], None]) -> Callable[[], None]:
            self.threads.append((name, fn))
            return fn

        return add

    def check_at_end(
        self, name: str
    ) -> Callable[[Callable[[World], str | None]], Callable[[World], str | None]]:
        """Decorator: a check run once every thread has finished; returns a message on
        failure, None when it holds."""

        def add(fn: Callable[[World], str | None]) -> Callable[[World], str | None]:
            self.end_checks.append((name, fn))
            return fn

        return add

    def init(self, loc: Location, value: Any) -> None:
        """Set a location's initial value (during ``build``, before any thread runs)."""
        loc.init = value
        self.mem[loc.lid] = value

    def peek(self, loc: Location | Val) -> Any:
        """The current value of a location, without creating an event (end checks)."""
        return self.mem[raw(loc).lid]


class Program(Record):
    """A named concurrent program: ``build(world)`` sets it up afresh for every run."""

    name: str
    build: Callable[[World], None]
    params: Mapping[str, Any] = MappingProxyType({})
    # Optional: ``build`` with thread ``tid`` alone (as the World's only thread), for
    # engines that run one thread at a time (the candidate engine).
    build_thread: Callable[[World, int], None] | None = None


class ModelThread(greenlet.greenlet):  # type: ignore[misc]
    """A greenlet running one model thread; carries its control dependencies."""

    def __init__(self, fn: Callable[[], None], capture: bool) -> None:
        super().__init__(run=thread_body(fn))
        self.ctrl_deps: frozenset[int] = EMPTY
        self.capture = capture
        self.src: tuple[str, int, str] | None = None
        # Thread-local ops (fences under SC, irq state) are recorded by the engine
        # without a switch: they are not scheduling points.
        self.on_local: Callable[[Op], None] | None = None
        # An engine that knows every answer in advance (the candidate engine's oracle)
        # takes each op here, without a switch; it may raise a BaseException to end the
        # thread.
        self.on_op: Callable[[Op], Any] | None = None
        # RCU grace-period state (pagerace.kernel.rcu): this thread's word, every
        # thread's word, and the read-side nesting depth.
        self.rcu: Location | None = None
        self.rcu_all: tuple[Location, ...] = ()
        self.rcu_depth = 0
        # What an IPI sees of this CPU (pagerace.kernel.irq): its irq-state word, and
        # every CPU's.
        self.irq_word: Location | None = None
        self.irq_all: tuple[Location, ...] = ()


class ThreadDone(Record):
    finding: Finding | None


_ENGINE_FILES = ("/pagerace/kernel/", "/pagerace/explore/", "/greenlet/")


def submit(op: Op) -> Any:
    """Hand one op to the engine and return its result (a :class:`Val` for reads)."""
    cur = greenlet.getcurrent()
    if type(cur) is not ModelThread:
        raise ModelError(
            f"{op.name}() was called outside a model thread; call kernel primitives only "
            "from the functions you register with world.thread(...)"
        )
    if cur.capture:
        cur.src = _model_frame()
    if cur.on_op is not None:
        return cur.on_op(op)
    if op.loc is None and cur.on_local is not None:
        cur.on_local(op)
        return None
    return cur.parent.switch(op)


def fail(kind: str, message: str, check: str = "") -> None:
    """Stop the current model thread with a finding (BUG_ON and friends)."""
    raise ModelFailure(kind, message, check)


def _model_frame() -> tuple[str, int, str] | None:
    frame = sys._getframe(2)
    while frame is not None:
        fname = frame.f_code.co_filename.replace("\\", "/")
        if not any(part in fname for part in _ENGINE_FILES):
            return (fname, frame.f_lineno, frame.f_code.co_name)
        frame = frame.f_back  # type: ignore[assignment]
    return None


def thread_body(fn: Callable[[], None]) -> Callable[[], ThreadDone]:
    """``fn`` as a model thread's body: what ends it (a ``BUG_ON``, an assertion, an
    exception in model code) becomes its :class:`ThreadDone` finding."""

    def body(*_start: Any) -> ThreadDone:
        try:
            fn()
        except ModelFailure as f:
            return ThreadDone(Finding(f.kind, f.message, check=f.check or f.message))
        except AssertionError as e:
            tb = _model_traceback(e)
            frame = _model_frames(e)[-1:]
            where = f"{frame[0].filename.rsplit('/', 1)[-1]}:{frame[0].lineno}" if frame else ""
            text = (frame[0].line or "").strip() if frame else ""
            msg = str(e) or f"assertion failed: {text} ({where})"
            return ThreadDone(Finding("assertion", msg, check=f"assert:{where}", traceback=tb))
        except Exception as e:
            tb = _model_traceback(e)
            msg = f"model code raised {type(e).__name__}: {e}"
            return ThreadDone(Finding("exception", msg, check=type(e).__name__, traceback=tb))
        return ThreadDone(None)

    return body


def _model_frames(e: BaseException) -> list[traceback.FrameSummary]:
    import traceback  # (on the first failure of a model, not on every start-up)

    return [
        f
        for f in traceback.extract_tb(e.__traceback__)
        if not any(part in f.filename.replace("\\", "/") for part in _ENGINE_FILES)
    ]


def _model_traceback(e: BaseException) -> str:
    import traceback

    frames = _model_frames(e)
    return "".join(traceback.format_list(frames)) + f"{type(e).__name__}: {e}\n"


def peek_effect(op: Op, value: Any) -> tuple[bool, bool]:
    """(reads, writes) of ``op`` if it ran now on a location holding ``value``."""
    if op.kind is OpKind.LOAD:
        return True, False
    if op.kind is OpKind.STORE:
        return False, True
    if op.kind is OpKind.RMW:
        if op.cond is not None and not op.cond(value):
            return True, True  # a waiting await will write once it can run
        assert op.fn is not None
        return True, op.fn(value)[0] is not NO_WRITE
    return False, False
