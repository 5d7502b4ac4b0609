"""A background consumer thread: the third stage of the preprocessing pipeline."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Sink"]


class Sink:
    """Calls ``fn(item)`` on a background thread, in order: the third stage of the pipeline.

    numpy releases the GIL in its large loops (take, sort, copies, file writes), so the sink's
    gathers and writes overlap the main thread's conversions. An error in ``fn`` is re-raised by
    the next :meth:`put` or by leaving the ``with`` block.
    """

    def __init__(self, fn: Callable[[Any], None], depth: int = 2) -> None:
        self._fn = fn
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="preprocess-sink", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error is None:
                try:
                    self._fn(item)
                except BaseException as exc:  # handed to the main thread
                    self._error = exc

    def put(self, item: Any) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(item)

    def __enter__(self) -> Sink:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None and exc is None:
            raise self._error
