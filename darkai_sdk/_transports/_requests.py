"""The sync transport: one requests session, raw bytes in, typed errors out."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Generator, Mapping
from urllib.parse import urlsplit

import requests
import urllib3.exceptions

from .._exceptions import (
    APIConnectionError,
    APITimeoutError,
    DarkAIError,
    IncompleteStreamError,
    ProtocolError,
)
from .._redact import merge_secrets, scrub_bytes, secrets_of, wrap_error
from .._request import Request
from .._status import MAX_ERROR_BODY
from .._timeout import Timeout

__all__ = ["SyncTransport", "SyncResponse", "StrGenerator", "sleep"]

StrGenerator = Generator[str, None, None]
"""What a stream's iterator is, in this world."""

_READ_SIZE = 256 * 1024
# After stream-end the reply is whole: wait this long at most for the body's end
# (so the connection can be pooled) before handing control back.
DRAIN_WAIT = 0.1
DRAIN_LIMIT = 64 * 1024
_TIMEOUTS = (
    requests.exceptions.Timeout,
    urllib3.exceptions.TimeoutError,
    socket.timeout,
    TimeoutError,
)


def sleep(seconds: float) -> None:
    """Wait ``seconds``."""
    time.sleep(seconds)


class SyncResponse:
    """A response whose body is read as it arrives."""

    def __init__(
        self,
        response: requests.Response,
        secrets: tuple[str, ...],
        timeout: Timeout,
        started: float,
    ) -> None:
        self._response = response
        self._secrets = secrets
        self._timeout = timeout
        self._deadline = None if timeout.total is None else started + timeout.total
        self.status_code = response.status_code
        self.headers: Mapping[str, str] = {k.lower(): v for k, v in response.headers.items()}
        self.url = response.url
        self._chunks = self._read_chunks()

    def _bound_read_by_deadline(self) -> None:
        # requests knows no total timeout: before each read, shrink the socket's
        # timeout to what is left of the total, once that is below the read timeout.
        if self._deadline is None:
            return
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise APITimeoutError(f"total timeout of {self._timeout.total:g} s expired mid-reply")
        read = self._timeout.read
        if read is None or left < read:
            connection = getattr(self._response.raw, "connection", None)
            sock = getattr(connection, "sock", None)
            if sock is not None:
                sock.settimeout(left)

    def iter_bytes(self) -> Generator[bytes, None, None]:
        """Yield body bytes as they arrive; a broken body raises IncompleteStreamError."""
        return self._chunks

    def drain(self) -> int:
        """Read what is left of the body if it ends promptly, so the connection is reused.

        Returns the number of bytes read; a body that does not end within
        ``DRAIN_WAIT`` seconds or ``DRAIN_LIMIT`` bytes is left for close().
        """
        size = 0
        self._deadline = time.monotonic() + DRAIN_WAIT
        self._timeout = Timeout(connect=None, read=DRAIN_WAIT, total=DRAIN_WAIT)
        try:
            for data in self._chunks:
                size += len(data)
                if size > DRAIN_LIMIT:
                    break
        except DarkAIError:
            return size  # close() then closes the connection instead of pooling it
        return size

    def _read_chunks(self) -> Generator[bytes, None, None]:
        raw = self._response.raw
        try:
            # read1, not read_chunked: read_chunked reads a whole chunk in one call,
            # which a server sending a byte at a time stretches past the total timeout.
            while True:
                self._bound_read_by_deadline()
                data = raw.read1(_READ_SIZE, decode_content=True)
                if not data:
                    break
                yield data
        except _TIMEOUTS as exc:
            raise wrap_error(APITimeoutError, "timed out reading the reply", exc, self._secrets)
        except urllib3.exceptions.DecodeError as exc:
            raise wrap_error(ProtocolError, "undecodable body", exc, self._secrets)
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
            raise wrap_error(
                IncompleteStreamError, "connection broken mid-reply", exc, self._secrets
            )
        yield b""  # the end of the body, so the reader can flush its decoder

    def read_error_body(self) -> bytes:
        """Read at most ``MAX_ERROR_BODY`` bytes of an error answer, secrets masked.

        A server or proxy may echo the request's credentials in its error page.
        """
        try:
            body = self._response.raw.read(MAX_ERROR_BODY, decode_content=True) or b""
            return scrub_bytes(body, self._secrets)
        except (urllib3.exceptions.HTTPError, requests.RequestException, OSError):
            # The status already says what went wrong; a body cut short adds nothing to lose.
            return b"[error body unreadable]"

    def close(self) -> None:
        """Give the connection back: to the pool if the body was read, else close it."""
        self._chunks.close()
        self._response.close()


class SyncTransport:
    """Sends requests over one requests session (connections are pooled)."""

    def __init__(
        self,
        *,
        timeout: Timeout,
        proxy: str | None,
        verify: bool,
        secrets: tuple[str, ...],
    ) -> None:
        self._timeout = timeout
        self._proxies = {"http": proxy, "https": proxy} if proxy else None
        self._verify = verify
        self._secrets = secrets
        self._session: requests.Session | None = None
        self._lock = threading.Lock()
        self._env: dict[str, tuple[dict[str, str] | None, bool | str]] = {}

    def _get_session(self) -> requests.Session:
        with self._lock:
            return self._make_session()

    def _make_session(self) -> requests.Session:
        if self._session is None:
            session = requests.Session()
            # The environment is read once per origin in _settings_for, not per request.
            session.trust_env = False
            session.verify = self._verify
            self._session = session
        return self._session

    def _settings_for(self, url: str) -> tuple[dict[str, str] | None, bool | str]:
        """The proxies and TLS verification for ``url``: explicit, else from the environment."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        found = self._env.get(origin)
        if found is None:
            proxies = self._proxies
            if proxies is None:
                proxies = requests.utils.get_environ_proxies(url) or None
                for value in (proxies or {}).values():
                    self._secrets = merge_secrets(self._secrets, secrets_of(value, {}))
            verify: bool | str = self._verify
            if verify is True:  # as requests does with trust_env
                verify = (
                    os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
                )
            found = (proxies, verify)
            self._env[origin] = found
        return found

    def send(self, request: Request) -> SyncResponse:
        """POST ``request`` and return once the status and headers are in."""
        session = self._get_session()
        proxies, verify = self._settings_for(request.url)
        timeout = self._timeout
        started = time.monotonic()
        try:
            response = session.post(
                request.url,
                data=request.body,
                headers=dict(request.headers),
                proxies=proxies,
                verify=verify,
                timeout=(timeout.effective(timeout.connect), timeout.effective(timeout.read)),
                allow_redirects=False,
                stream=True,
            )
        except _TIMEOUTS as exc:
            raise wrap_error(
                APITimeoutError, "timed out before the reply began", exc, self._secrets
            )
        except (
            requests.RequestException,
            urllib3.exceptions.HTTPError,
            OSError,
            ValueError,
        ) as exc:
            raise wrap_error(APIConnectionError, "could not connect", exc, self._secrets)
        return SyncResponse(response, self._secrets, timeout, started)

    def close(self) -> None:
        """Close the session and its pooled connections."""
        if self._session is not None:
            self._session.close()
            self._session = None
