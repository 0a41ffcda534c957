"""kitchencam.workers.DaemonPool: the executor's results and errors, and no wait when left by an exception."""

from __future__ import annotations

import threading

import pytest

from kitchencam.workers import DaemonPool


def test_map_keeps_order_and_raises_the_first_error() -> None:
    with DaemonPool(max_workers=3) as pool:
        assert pool.map(lambda n: n * n, range(10)) == [n * n for n in range(10)]

    def boom(n: int) -> int:
        if n in (3, 7):
            raise ValueError(n)
        return n

    with pytest.raises(ValueError, match="3"), DaemonPool(max_workers=4) as pool:
        pool.map(boom, range(10))


def test_left_by_an_exception_it_does_not_wait_for_a_stuck_call() -> None:
    release = threading.Event()
    started = threading.Event()

    def stuck(_n: int) -> None:
        started.set()
        release.wait(30)

    later = []

    def interrupted() -> None:
        with DaemonPool(max_workers=1) as pool:
            later.extend([pool.submit(stuck, 0), pool.submit(stuck, 1)])
            started.wait(5)
            raise KeyboardInterrupt  # what Ctrl-C raises in the waiting main thread

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    # Back here while the first call is still stuck: the second was cancelled, never begun.
    assert later[0].running()
    assert later[1].cancelled()
    workers = [t for t in threading.enumerate() if t.name.startswith("kitchencam-worker")]
    assert workers
    assert all(t.daemon for t in workers)  # they never hold the process at exit
    release.set()


def test_shut_down_pool_refuses_work() -> None:
    pool = DaemonPool(max_workers=2)
    assert pool.submit(lambda: 5).result(5) == 5
    pool.shutdown()
    with pytest.raises(RuntimeError):
        pool.submit(lambda: 6)
