"""A drop-in for gpt4free's ``g4f.Provider.DarkAI``: change the import, keep the code.

``from darkai_sdk.provider import DarkAI`` gives the seed's class interface
(``create_async_generator``, ``create_completion``, ``get_model`` and the class
attributes) on top of the SDK's clients, so errors are the SDK's typed errors.
It also has what gpt4free's own client calls on a provider class, so
``g4f.client.Client(provider=DarkAI)`` and ``g4f.ChatCompletion`` can drive it.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, Callable, Generator, Iterator
from inspect import Parameter
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, TypeVar, overload

from ._exceptions import UnknownModelError
from ._logging import logger
from ._prompt import Messages
from ._request import DEFAULT_BASE_URL

if TYPE_CHECKING:
    from ._async._client import AsyncDarkAI
    from ._async._stream import AsyncStream
    from ._sync._client import DarkAI as SyncDarkAI
    from ._sync._stream import Stream

__all__ = ["DarkAI"]

_T = TypeVar("_T")

# Keyword arguments handed to the client as they are; `api_endpoint` and `base_url`
# are the endpoint and `proxy` is a parameter of its own.
_CLIENT_KWARGS = ("timeout", "headers", "max_retries")

# What the provider honours, for get_parameters() and params; "model" gets the
# class's default_model when asked.
_PARAMETERS = tuple(
    Parameter(name, kind, default=default, annotation=annotation)
    for name, kind, default, annotation in [
        ("model", Parameter.POSITIONAL_OR_KEYWORD, Parameter.empty, "str"),
        ("messages", Parameter.POSITIONAL_OR_KEYWORD, Parameter.empty, "Messages"),
        ("stream", Parameter.KEYWORD_ONLY, True, "bool"),
        ("proxy", Parameter.KEYWORD_ONLY, None, "str | None"),
        ("timeout", Parameter.KEYWORD_ONLY, None, "Timeout | float | None"),
        ("max_retries", Parameter.KEYWORD_ONLY, None, "int | None"),
        ("api_endpoint", Parameter.KEYWORD_ONLY, None, "str | None"),
        ("base_url", Parameter.KEYWORD_ONLY, None, "str | None"),
        ("headers", Parameter.KEYWORD_ONLY, None, "dict[str, str] | None"),
    ]
)


class _ClassProperty(Generic[_T]):
    """A read-only attribute computed from the class it is read on, as gpt4free's ``params``."""

    def __init__(self, getter: Callable[[type[Any]], _T]) -> None:
        self._getter = getter

    def __get__(self, instance: object, owner: type[Any]) -> _T:
        return self._getter(owner)


def _describe_parameters(cls: type[DarkAI]) -> str:
    """The ``params`` text: the class's name and each parameter with its type and default."""
    lines = []
    for name, parameter in cls.get_parameters().items():
        line = f"    {name}: {parameter.annotation}"
        if parameter.default is not Parameter.empty:
            line += f" = {parameter.default!r}"
        lines.append(line + ",")
    return f"{cls.__module__}.{cls.__qualname__} supports: (\n" + "\n".join(lines) + "\n)"


class DarkAI:
    """gpt4free's DarkAI provider, built on :class:`darkai_sdk.AsyncDarkAI` and ``DarkAI``.

    Keyword arguments: ``timeout`` (seconds or a :class:`~darkai_sdk.Timeout`),
    ``api_endpoint`` or ``base_url`` (the endpoint), ``headers`` and
    ``max_retries``. Others are ignored, as the seed ignores them, and their
    names logged at DEBUG on the ``darkai_sdk`` logger.

    The class attributes are read at each call, on the class the method is called
    on, so setting one on ``DarkAI`` or a subclass changes what the next call does.
    The endpoint is the ``api_endpoint``/``base_url`` keyword, else ``api_endpoint``
    when it is not the shipped one, else ``DARKAI_BASE_URL``, else the shipped one.
    """

    # The seed's attributes, with gpt4free 0.5.3.1's values but for `working`:
    # gpt4free set it False when the public service went away, and its
    # ChatCompletion refuses a provider that is not working.
    url: ClassVar[str] = "https://darkai.foundation/chat"
    api_endpoint: ClassVar[str] = DEFAULT_BASE_URL
    working: ClassVar[bool] = True
    supports_stream: ClassVar[bool] = True
    default_model: ClassVar[str | None] = "llama-3-70b"
    models: ClassVar[list[str]] = ["gpt-4o", "gpt-3.5-turbo", "llama-3-70b"]
    model_aliases: ClassVar[dict[str, str]] = {"llama-3.1-70b": "llama-3-70b"}

    # What gpt4free's base classes give every provider, with their values there.
    needs_auth: ClassVar[bool] = False
    supports_system_message: ClassVar[bool] = False
    supports_message_history: ClassVar[bool] = False
    last_model: ClassVar[str | None] = None
    # Read only by gpt4free releases after 0.5.3.1, with their values for a
    # streaming provider: a count of stored credentials (this one needs none), and
    # that gpt4free bounds the wait for each chunk by `stream_timeout`, not `timeout`.
    live: ClassVar[int] = 0
    use_stream_timeout: ClassVar[bool] = True

    params: ClassVar[_ClassProperty[str]] = _ClassProperty(_describe_parameters)
    """The parameters the provider honours, as text (gpt4free's ``params``)."""

    # -- models ---------------------------------------------------------------------

    @classmethod
    def get_models(cls, **kwargs: Any) -> list[str]:
        """Return the class's ``models``, or its ``default_model`` alone when it has none."""
        if cls.models:
            return list(cls.models)
        return [] if cls.default_model is None else [cls.default_model]

    @classmethod
    def get_model(cls, model: str | None, **kwargs: Any) -> str:
        """Return the model id: the default for "", an alias's model; else UnknownModelError.

        It reads the class's ``default_model``, ``model_aliases`` and ``models``
        at the call; when ``models`` is empty any name is sent as it is. The
        result is also kept in ``last_model``, which gpt4free's client reports.
        """
        if model is not None and not isinstance(model, str):
            raise TypeError(f"model must be a string, got {type(model).__name__}")
        if not model and cls.default_model is not None:
            resolved = cls.default_model
        elif model and model in cls.model_aliases:
            resolved = cls.model_aliases[model]
        elif cls.models and model not in cls.get_models():
            valid = ", ".join([*cls.models, *cls.model_aliases])
            raise UnknownModelError(
                f"unknown model {model!r} for {cls.__name__}; valid models and aliases: {valid}"
            )
        else:
            resolved = model or ""
        cls.last_model = resolved
        return resolved

    # -- the seed's methods ---------------------------------------------------------

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
        breaks (once it is closed or collected) or is cancelled. ``stream`` is
        accepted and changes nothing: this always streams, as the seed does.
        """
        kwargs.pop("stream", None)
        resolved = cls.get_model(model)
        client = cls._async_client(proxy, kwargs)
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
        client = SyncDarkAI(**_client_options(cls, proxy, kwargs))
        if not stream:
            with client:
                return client.complete(messages, resolved)
        return _sync_chunks(client, client.stream(messages, resolved))

    # -- what gpt4free's client calls -----------------------------------------------

    @classmethod
    async def create_async(
        cls,
        model: str,
        messages: Messages,
        proxy: str | None = None,
        **kwargs: Any,
    ) -> str:
        """Return the whole reply to ``messages`` (gpt4free's ``create_async``)."""
        resolved = cls.get_model(model)
        async with cls._async_client(proxy, kwargs) as client:
            return await client.complete(messages, resolved)

    @classmethod
    def get_create_function(cls) -> Callable[..., Iterator[str]]:
        """Return the function gpt4free's blocking paths call: ``create_completion``'s chunks.

        With ``stream=False`` the chunks are all read before it returns, as
        gpt4free's own providers do, so gpt4free (its ``max_tokens`` counts
        chunks) sees the server's chunks, never single characters.
        """
        return functools.partial(_create_chunks, cls)

    @classmethod
    def get_async_create_function(cls) -> Callable[..., AsyncGenerator[str, None]]:
        """Return ``create_async_generator``, the method gpt4free's async paths call."""
        return cls.create_async_generator

    @classmethod
    def get_dict(cls) -> dict[str, str | None]:
        """Return the ``name``, ``url`` and ``label`` (None unless a subclass sets one)."""
        return {"name": cls.__name__, "url": cls.url, "label": getattr(cls, "label", None)}

    @classmethod
    def get_parent(cls) -> str:
        """Return the ``parent`` a subclass names, else the class's own name."""
        parent = getattr(cls, "parent", None)
        return cls.__name__ if parent is None else str(parent)

    @classmethod
    def get_parameters(cls, as_json: bool = False) -> dict[str, Any]:
        """Return the parameters the provider honours, by name.

        Each is an :class:`inspect.Parameter`; with ``as_json`` it is a value fit
        for a JSON request body instead (the default, or an example), and
        ``provider`` names the class.
        """
        parameters = {p.name: p for p in _PARAMETERS}
        parameters["model"] = parameters["model"].replace(default=cls.default_model)
        if not cls.supports_stream:
            del parameters["stream"]
        if not as_json:
            return parameters
        values: dict[str, Any] = {"provider": cls.__name__}
        values.update((name, parameter.default) for name, parameter in parameters.items())
        values["messages"] = [{"role": "user", "content": ""}]
        return values

    @classmethod
    def _async_client(cls, proxy: str | None, kwargs: dict[str, Any]) -> AsyncDarkAI:
        from ._async._client import AsyncDarkAI

        return AsyncDarkAI(**_client_options(cls, proxy, kwargs))


def _client_options(cls: type[DarkAI], proxy: str | None, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Map the provider's keyword arguments to the client's; log the ignored ones' names."""
    endpoint = kwargs.pop("api_endpoint", None)
    base_url = kwargs.pop("base_url", None)
    if endpoint is not None and base_url is not None and endpoint != base_url:
        raise TypeError("give api_endpoint or base_url, not both")
    if endpoint is None:
        endpoint = base_url
    if endpoint is None and cls.api_endpoint != DEFAULT_BASE_URL:
        # Changed on the class or a subclass; the shipped value leaves the choice
        # to DARKAI_BASE_URL, which the client reads.
        endpoint = cls.api_endpoint
    # get_model() has checked the name against the class's own models, which a
    # subclass may extend beyond the SDK's catalog.
    options: dict[str, Any] = {"base_url": endpoint, "proxy": proxy, "strict_models": False}
    for name in _CLIENT_KWARGS:
        if name in kwargs:
            options[name] = kwargs.pop(name)
    if kwargs:
        # Names only: values such as api keys or cookies stay out of the log.
        logger.debug("DarkAI provider ignores keyword arguments: %s", ", ".join(sorted(kwargs)))
    return options


def _create_chunks(
    cls: type[DarkAI],
    model: str,
    messages: Messages,
    stream: bool = True,
    proxy: str | None = None,
    **kwargs: Any,
) -> Iterator[str]:
    chunks = cls.create_completion(model, messages, True, proxy, **kwargs)
    return chunks if stream else iter(list(chunks))


async def _async_chunks(client: AsyncDarkAI, stream: AsyncStream) -> AsyncGenerator[str, None]:
    async with client, stream:
        async for chunk in stream:
            yield chunk


def _sync_chunks(client: SyncDarkAI, stream: Stream) -> Generator[str, None, None]:
    with client, stream:
        yield from stream
