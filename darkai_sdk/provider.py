"""A drop-in for gpt4free's ``g4f.Provider.DarkAI``: change the import, keep the code.

``from darkai_sdk.provider import DarkAI`` gives the seed's class interface
(``create_async_generator``, ``create_completion``, ``get_model`` and the class
attributes) on top of the SDK's clients, so errors are the SDK's typed errors.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import TYPE_CHECKING, Any, ClassVar, Literal, overload

from ._logging import logger
from ._models import DEFAULT_MODEL, MODEL_ALIASES, MODELS, resolve_model
from ._prompt import Messages
from ._request import DEFAULT_BASE_URL

if TYPE_CHECKING:
    from ._async._client import AsyncDarkAI
    from ._async._stream import AsyncStream
    from ._sync._client import DarkAI as SyncDarkAI
    from ._sync._stream import Stream

__all__ = ["DarkAI"]

# Keyword arguments handed to the client as they are; `api_endpoint` and `base_url`
# are the endpoint and `proxy` is a parameter of its own.
_CLIENT_KWARGS = ("timeout", "headers", "max_retries")


class DarkAI:
    """gpt4free's DarkAI provider, built on :class:`darkai_sdk.AsyncDarkAI` and ``DarkAI``.

    Keyword arguments: ``timeout`` (seconds or a :class:`~darkai_sdk.Timeout`),
    ``api_endpoint`` or ``base_url`` (the endpoint; else ``DARKAI_BASE_URL`` or the
    public one), ``headers`` and ``max_retries``. Others are ignored, as the seed
    ignores them, and their names logged at DEBUG on the ``darkai_sdk`` logger.
    """

    url: ClassVar[str] = "https://darkai.foundation"
    api_endpoint: ClassVar[str] = DEFAULT_BASE_URL
    working: ClassVar[bool] = True
    supports_stream: ClassVar[bool] = True
    default_model: ClassVar[str] = DEFAULT_MODEL
    models: ClassVar[list[str]] = list(MODELS)
    model_aliases: ClassVar[dict[str, str]] = dict(MODEL_ALIASES)

    @classmethod
    def get_model(cls, model: str | None) -> str:
        """Return the model id: the default for "", an alias's model; else UnknownModelError."""
        return resolve_model(model)

    @classmethod
    def create_async_generator(
        cls,
        model: str,
        messages: Messages,
        proxy: str | None = None,
        **kwargs: Any,
    ) -> AsyncGenerator[str, None]:
        """Stream the reply to ``messages``: an async generator of text chunks.

        Arguments are checked at the call; the request is sent when iteration
        starts. Each call has its own client, closed when the generator ends,
        breaks (once it is closed or collected) or is cancelled.
        """
        from ._async._client import AsyncDarkAI

        resolved = cls.get_model(model)
        client = AsyncDarkAI(**_client_options(proxy, kwargs))
        return _async_chunks(client, client.stream(messages, resolved))

    @overload
    @classmethod
    def create_completion(
        cls,
        model: str,
        messages: Messages,
        stream: Literal[True] = ...,
        proxy: str | None = ...,
        **kwargs: Any,
    ) -> Generator[str, None, None]: ...

    @overload
    @classmethod
    def create_completion(
        cls,
        model: str,
        messages: Messages,
        stream: Literal[False],
        proxy: str | None = ...,
        **kwargs: Any,
    ) -> str: ...

    @overload
    @classmethod
    def create_completion(
        cls,
        model: str,
        messages: Messages,
        stream: bool = ...,
        proxy: str | None = ...,
        **kwargs: Any,
    ) -> Generator[str, None, None] | str: ...

    @classmethod
    def create_completion(
        cls,
        model: str,
        messages: Messages,
        stream: bool = True,
        proxy: str | None = None,
        **kwargs: Any,
    ) -> Generator[str, None, None] | str:
        """Return the reply's chunks as a generator, or with ``stream=False`` its whole text.

        It uses the blocking client and needs no event loop, so it also works
        inside a running one (a notebook). Each call has its own client.
        """
        from ._sync._client import DarkAI as SyncDarkAI

        resolved = cls.get_model(model)
        client = SyncDarkAI(**_client_options(proxy, kwargs))
        if not stream:
            with client:
                return client.complete(messages, resolved)
        return _sync_chunks(client, client.stream(messages, resolved))


def _client_options(proxy: str | None, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Map the provider's keyword arguments to the client's; log the ignored ones' names."""
    endpoint = kwargs.pop("api_endpoint", None)
    base_url = kwargs.pop("base_url", None)
    if endpoint is not None and base_url is not None and endpoint != base_url:
        raise TypeError("give api_endpoint or base_url, not both")
    options: dict[str, Any] = {
        "base_url": endpoint if endpoint is not None else base_url,
        "proxy": proxy,
    }
    for name in _CLIENT_KWARGS:
        if name in kwargs:
            options[name] = kwargs.pop(name)
    if kwargs:
        # Names only: values such as api keys or cookies stay out of the log.
        logger.debug("DarkAI provider ignores keyword arguments: %s", ", ".join(sorted(kwargs)))
    return options


async def _async_chunks(client: AsyncDarkAI, stream: AsyncStream) -> AsyncGenerator[str, None]:
    async with client, stream:
        async for chunk in stream:
            yield chunk


def _sync_chunks(client: SyncDarkAI, stream: Stream) -> Generator[str, None, None]:
    with client, stream:
        yield from stream
