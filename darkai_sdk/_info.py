"""What a client shows of its HTTP exchanges: headers, and the records its hooks get; no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

__all__ = ["Headers", "RequestInfo", "ResponseInfo", "REQUEST_ID_HEADER"]

#: The response header that names a request for the service's support.
REQUEST_ID_HEADER = "x-request-id"


class Headers(Mapping[str, str]):
    """Read-only HTTP headers whose names match in any case: ``headers["X-Request-ID"]``.

    Names are kept in lower case; of a name sent twice, the last value is kept.
    It equals any mapping with the same headers, whatever the case of their names.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        self._items = {name.lower(): value for name, value in pairs}

    def __getitem__(self, name: str) -> str:
        if not isinstance(name, str):
            raise KeyError(name)
        return self._items[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __eq__(self, other: object) -> bool:
        # Equal to any mapping with the same headers, names in any case.
        if not isinstance(other, Mapping):
            return NotImplemented
        try:
            lowered = {name.lower(): value for name, value in other.items()}
        except AttributeError:  # a name that is not a str
            return False
        return self._items == lowered

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """One HTTP request about to be sent, as ``on_request`` sees it (secrets masked).

    ``attempt`` is 0 for the first try and counts retries; a followed redirect
    is a new request with the same ``attempt``.
    """

    method: str
    url: str
    headers: Headers
    model: str
    attempt: int


@dataclass(frozen=True, slots=True)
class ResponseInfo:
    """The status and headers of one HTTP answer, as ``on_response`` sees it (secrets masked).

    Seen for every answer, error statuses and redirects included, before the
    SDK acts on it. ``elapsed`` is the seconds from sending the request to its
    headers; ``request_id`` is the ``x-request-id`` header, or None.
    """

    status_code: int
    headers: Headers
    url: str
    request_id: str | None
    attempt: int
    elapsed: float
