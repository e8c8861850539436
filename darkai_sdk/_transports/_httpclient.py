"""Hooks under requests and urllib3: a deadline on every socket read, interim replies skipped.

requests has only a per-read timeout, and urllib3 reads a body in many small
calls. So every connection the sync transport makes answers with
:class:`HookedResponse`: each socket read is given ``min(read timeout, time
left of the total)``, interim 1xx answers are skipped as ``100 Continue`` is,
and the transport gets the http.client response to read the body itself.
"""

from __future__ import annotations

import http.client
import io
import socket
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import requests.adapters
from urllib3 import HTTPConnectionPool, PoolManager

__all__ = ["Exchange", "HookedAdapter", "HookedResponse", "TotalTimeout"]

# Buffer of a response's reader: the status line, headers and the start of the
# body arrive in one read.
_BUFFER_SIZE = 64 * 1024


class TotalTimeout(TimeoutError):
    """The request's total time ran out (raised before a socket read)."""


@dataclass
class Exchange:
    """One request in flight: its deadline, and its response once the headers are read."""

    #: Seconds a single socket read may wait (None: no limit).
    read: float | None
    #: Seconds the whole request may take (None: no limit), from now.
    total: float | None
    #: time.monotonic() value by which everything must be done (None: no limit).
    deadline: float | None = None
    response: HookedResponse | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.total is not None:
            self.deadline = time.monotonic() + self.total

    def expired(self) -> bool:
        """Whether the deadline has passed (a read that timed out waited for all of it)."""
        return self.deadline is not None and time.monotonic() >= self.deadline - 0.001

    def arm(self, sock: socket.socket) -> None:
        """Give the next read on ``sock`` what is left: ``min(read, deadline - now)``."""
        wait = self.read
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TotalTimeout("total timeout expired")
            if wait is None or left < wait:
                wait = left
        sock.settimeout(wait)

    def shorten(self, seconds: float) -> None:
        """Let the rest of the exchange take at most ``seconds`` more."""
        deadline = time.monotonic() + seconds
        if self.deadline is None or deadline < self.deadline:
            self.deadline = deadline


#: The exchange being sent on this thread (set by the transport around the send).
CURRENT: ContextVar[Exchange | None] = ContextVar("darkai_exchange", default=None)


class _ArmedReader(io.RawIOBase):
    """A socket reader that arms the exchange's deadline before every read."""

    def __init__(self, raw: io.RawIOBase, sock: socket.socket, exchange: Exchange) -> None:
        super().__init__()
        self._raw = raw
        self._sock = sock
        self._exchange = exchange

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        self._exchange.arm(self._sock)
        return self._raw.readinto(buffer)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()  # the socket itself belongs to the connection
        super().close()


class HookedResponse(http.client.HTTPResponse):
    """http.client's response, read under the exchange's deadline, skipping interim 1xx."""

    def __init__(
        self, sock: socket.socket, debuglevel: int = 0, method: str | None = None, url: Any = None
    ) -> None:
        super().__init__(sock, debuglevel, method, url)
        exchange = CURRENT.get()
        if exchange is not None:
            exchange.response = self
            raw = self.fp.detach()
            self.fp = io.BufferedReader(_ArmedReader(raw, sock, exchange), _BUFFER_SIZE)

    def _read_status(self) -> tuple[str, int, str]:
        version, status, reason = super()._read_status()  # type: ignore[misc]
        if 100 < status < 200 and status != 101:
            # 102 Processing, 103 Early Hints...: interim, as 100 Continue, which
            # http.client already skips, headers and all.
            status = http.client.CONTINUE
        return version, status, reason


def _hooked(pool: type[HTTPConnectionPool]) -> type[HTTPConnectionPool]:
    """``pool`` with connections that answer with HookedResponse (a subclass, made once)."""
    connection = pool.ConnectionCls
    if issubclass(getattr(connection, "response_class", object), HookedResponse):
        return pool
    hooked = _HOOKED.get(pool)
    if hooked is None:
        name = connection.__name__
        hooked_connection = type(name, (connection,), {"response_class": HookedResponse})
        hooked = type(pool.__name__, (pool,), {"ConnectionCls": hooked_connection})
        _HOOKED[pool] = hooked
    return hooked


_HOOKED: dict[type[HTTPConnectionPool], type[HTTPConnectionPool]] = {}


def _hook(manager: PoolManager) -> PoolManager:
    manager.pool_classes_by_scheme = {
        scheme: _hooked(pool) for scheme, pool in manager.pool_classes_by_scheme.items()
    }
    return manager


class HookedAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter whose pools (direct, proxied, SOCKS) use HookedResponse."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _hook(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> PoolManager:
        return _hook(super().proxy_manager_for(proxy, **kwargs))

    def close(self) -> None:
        # urllib3 2 closes a pool's idle connections only when the pool is
        # collected, which a response kept in a traceback can hold off.
        for manager in (self.poolmanager, *self.proxy_manager.values()):
            for key in manager.pools.keys():  # noqa: SIM118 - it cannot be iterated
                pool = manager.pools.get(key)
                if pool is not None:
                    pool.close()
        super().close()
