"""The lifecycle the simulated centre's listeners share: bind, serve on a thread, stop.

:class:`Listener` owns the socket, the serving thread and the stop flag; a subclass says how to
bind (``_bind``), what the thread runs (``_serve``, which returns once ``_stop`` is set) and may
close what it still holds after the thread is gone (``_after_stop``). The GB/T 28181 registrar
(UDP) and the dial-in stand-in (TCP) are both listeners.
"""

from __future__ import annotations

import socket
import threading
from abc import ABC, abstractmethod
from typing import Self


class Listener(ABC):
    """A server on ``scheme://ip:port``: ``start()`` / ``stop()`` or a ``with`` block."""

    #: The URL scheme (``udp``, ``tcp``) and the thread's name prefix.
    scheme: str = "tcp"
    thread_name: str = "listener"

    def __init__(self, ip: str, port: int, *, keepalive_interval: float, keepalive_misses: int) -> None:
        self.ip = ip
        self._requested_port = port
        self.keepalive_interval = keepalive_interval
        self.keepalive_misses = keepalive_misses
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1]) if self._sock is not None else self._requested_port

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.ip}:{self.port}"

    @property
    def keepalive_timeout(self) -> float:
        """Seconds of silence after which an online device counts as offline."""
        return self.keepalive_interval * self.keepalive_misses

    @abstractmethod
    def _bind(self) -> socket.socket:
        """A new socket bound to (ip, requested port), ready to serve, with a short timeout."""

    @abstractmethod
    def _serve(self) -> None:
        """The serving loop; returns soon after ``_stop`` is set."""

    def _after_stop(self) -> None:
        """What the subclass still holds once the serving thread is gone (e.g. client sockets)."""
        return  # the registrar holds nothing more: its one socket is closed by stop()

    def start(self) -> None:
        if self._sock is not None:
            raise RuntimeError(f"{self.thread_name} already started")
        self._sock = self._bind()
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name=f"{self.thread_name}-{self.ip}:{self.port}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()
        self._after_stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
