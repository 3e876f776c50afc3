"""A finding: one violated check (data, never an exception), made by the engine, a
memory model, kernel primitives or model code; :mod:`.result` gathers them."""

from __future__ import annotations

from pagerace.core.records import Record


class Finding(Record):
    """One violated check, with the run that shows it.

    ``kind``, by who reports it:

    - the engine (``explore.execution``, ``explore.trust``): ``deadlock`` (every live
      thread waits), ``lock-lost`` (a lock owner found its lock bit clear at unlock: the
      lost-acquire shape), ``lock-leaked`` (a lock bit left set with no owner at the end:
      the lost-release shape), ``lock-held`` (a thread ended holding a lock),
      ``refcount-underflow`` (a write took a counter below its floor), ``invariant`` (an
      end-of-execution check failed);
    - model code run as a thread (``explore.runtime``): ``assertion`` (a Python
      ``assert``), ``exception`` (model code raised; ``traceback`` holds the model
      frames);
    - a memory model (``explore.weak``, under the LKMM): ``data-race`` (two conflicting
      accesses, one of them plain, that linux-kernel.cat does not order);
    - kernel primitives and the mm model, through ``explore.runtime.fail``: ``bug-on``
      (a BUG_ON/VM_BUG_ON fired), ``bad-page`` (``free_pages_check``,
      ``check_new_page`` or ``destroy_compound_page`` found a page with unexpected
      flags, count, mapcount or compound layout: the kernel's ``bad_page``),
      ``use-after-free`` (a page of a free block was found changed as the block left
      the buddy lists: a CPU wrote to it while it was free), ``list-corrupt`` (a
      free-list link points at something that is neither a page nor a list head of its
      zone: poisoned or foreign), ``null-deref`` (a NULL pointer dereferenced, as
      ``compound_head`` following a ``first_page`` not yet written).

    Users' model code may pass any other kind to ``fail``.
    """

    kind: str
    message: str
    tid: int | None = None
    eid: int | None = None
    check: str = ""  # the name of the check, stable across runs (for deduplication)
    traceback: str = ""

    @property
    def signature(self) -> tuple[str, str]:
        return (self.kind, self.check or self.message)
