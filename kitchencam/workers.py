"""A thread pool whose workers never keep the process alive after Ctrl-C.

``concurrent.futures.ThreadPoolExecutor`` waits for its running calls twice: when its ``with``
block ends (``shutdown(wait=True)``, even when the block ends by KeyboardInterrupt) and at
interpreter exit (its workers are joined). A worker sitting in a camera's socket read (a camera
that accepts and never answers: up to the read timeout, 30 s) then holds the process that long
after the technician pressed Ctrl-C (benchmarks/handover_interrupt.py measured 30 s).

:class:`DaemonPool` has the part of the executor's interface kitchencam uses (``submit``, ``map``,
``shutdown``, ``with``). Its workers are daemon threads; a ``with`` block left by an exception
cancels the calls not begun and does not wait for the running ones, so the exception reaches the
command at once and the process can exit. Only read-only or journalled work runs in it: a camera
read cut short is read again by the next run, a store transaction cut short is rolled back by
SQLite.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")

_Work = tuple[Future[Any], Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class DaemonPool:
    """At most ``max_workers`` daemon threads, started as work is submitted."""

    def __init__(self, max_workers: int, thread_name_prefix: str = "kitchencam-worker") -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be >= 1")
        self._max = max_workers
        self._prefix = thread_name_prefix
        self._queue: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False
        self._pending = 0  # submitted, not yet taken by a worker

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot submit to a pool that was shut down")
            self._queue.put((future, fn, args, kwargs))
            self._pending += 1
            if len(self._threads) < self._max and self._pending > 0:
                thread = threading.Thread(target=self._work, name=f"{self._prefix}-{len(self._threads)}",
                                          daemon=True)
                self._threads.append(thread)
                thread.start()
        return future

    def map(self, fn: Callable[..., T], *iterables: Iterable[Any]) -> list[T]:
        """``fn`` over the items, in their order; the first exception (in that order) is raised."""
        futures = [self.submit(fn, *args) for args in zip(*iterables, strict=False)]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            future, fn, args, kwargs = item
            with self._lock:
                self._pending -= 1
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
                future.set_exception(exc)
            else:
                future.set_result(result)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        if cancel_futures:
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[0].cancel()
        for _thread in threads:
            self._queue.put(None)
        if wait:
            for thread in threads:
                thread.join()

    def __enter__(self) -> DaemonPool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # Left by an exception (Ctrl-C above all): do not wait for calls still in a socket read.
        self.shutdown(wait=exc_type is None, cancel_futures=exc_type is not None)
