"""Notebooks: the quickstart run in a real Jupyter kernel, and live_display() in and out of one."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import IPython
import IPython.display
import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

from darkai_sdk import DEFAULT_MODEL, DarkAI
from darkai_sdk.notebook import MarkdownView, live_display
from darkai_sdk.testing import DarkAIServer, Reply, default_reply_text

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "tests" / "notebooks" / "quickstart.ipynb"
KERNEL_NAME = "darkai-sdk-test"


class FakeHandle:
    """Records what a DisplayHandle is asked to show."""

    def __init__(self, shown: list[Any]) -> None:
        self.shown = shown

    def update(self, obj: Any) -> None:
        self.shown.append(obj)


class FakeDisplay:
    """Stands in for IPython.display.display; ``shown`` is the first object then every update."""

    def __init__(self) -> None:
        self.shown: list[Any] = []
        self.calls = 0

    def __call__(self, obj: Any, *, display_id: bool = False) -> FakeHandle:
        assert display_id is True, "the view must ask for a handle to update in place"
        self.calls += 1
        self.shown.append(obj)
        return FakeHandle(self.shown)


@pytest.fixture
def fake_kernel(monkeypatch: pytest.MonkeyPatch) -> FakeDisplay:
    """Make the code think it runs in a Jupyter kernel whose display is recorded."""
    fake = FakeDisplay()
    monkeypatch.setattr(IPython, "get_ipython", lambda: SimpleNamespace(kernel=object()))
    monkeypatch.setattr(IPython.display, "display", fake)
    return fake


def markdown_texts(shown: list[Any]) -> list[str]:
    assert all(isinstance(obj, IPython.display.Markdown) for obj in shown)
    return [obj.data for obj in shown]


# -- live_display() outside a notebook ------------------------------------------------


def test_outside_ipython_live_display_prints_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    view = live_display()
    assert not isinstance(view, MarkdownView)
    view.append("Hello, ")
    view.append("**world**")
    view.close()
    assert capsys.readouterr().out == "Hello, **world**\n"


def test_terminal_ipython_without_a_kernel_gets_plain_text(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(IPython, "get_ipython", lambda: SimpleNamespace())  # no .kernel
    view = live_display()
    assert not isinstance(view, MarkdownView)
    view.append("plain")
    view.close()
    assert capsys.readouterr().out == "plain\n"


def test_importing_the_sdk_and_displaying_outside_ipython_never_imports_ipython() -> None:
    code = (
        "import sys, darkai_sdk, darkai_sdk.notebook, darkai_sdk.provider\n"
        "view = darkai_sdk.notebook.live_display(); view.append('x'); view.close()\n"
        "assert 'IPython' not in sys.modules, 'IPython was imported'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "x\n"


def test_stream_display_outside_ipython_prints_and_returns_the_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with DarkAIServer(reply=Reply("Hi *there*", chunk_size=3)) as server:
        with DarkAI(server.url, max_retries=0) as client:
            text = client.stream("hi").display()
    assert text == "Hi *there*"
    assert capsys.readouterr().out == "Hi *there*\n"


# -- live_display() in a (fake) kernel -------------------------------------------------


def test_in_a_kernel_live_display_shows_markdown_updated_in_place(
    fake_kernel: FakeDisplay,
) -> None:
    view = live_display()
    assert isinstance(view, MarkdownView)
    for chunk in ("# Title", "\n\n", "some *text*"):
        view.append(chunk)
    view.close()
    assert fake_kernel.calls == 1, "one display, then updates of it"
    texts = markdown_texts(fake_kernel.shown)
    assert texts[0] == ""
    assert texts[-1] == "# Title\n\nsome *text*"


def test_updates_are_throttled_and_the_final_text_is_shown(fake_kernel: FakeDisplay) -> None:
    view = live_display()
    chunks = [f"word{i} " for i in range(20_000)]
    started = time.monotonic()
    for chunk in chunks:
        view.append(chunk)
    view.close()
    elapsed = time.monotonic() - started
    updates = len(fake_kernel.shown) - 1
    # At most one redraw per 0.05 s, plus the final one.
    assert 1 <= updates <= elapsed / 0.05 + 2
    assert markdown_texts(fake_kernel.shown)[-1] == "".join(chunks)


def test_markdown_view_redraws_once_the_interval_has_passed() -> None:
    now = [0.0]
    display = FakeDisplay()
    view = MarkdownView(display, IPython.display.Markdown, interval=0.05, clock=lambda: now[0])
    view.append("a")  # t=0: too soon after the initial display
    now[0] = 0.03
    view.append("b")  # still too soon
    now[0] = 0.06
    view.append("c")  # redraw: "abc"
    now[0] = 0.07
    view.append("d")  # too soon after that redraw
    assert markdown_texts(display.shown) == ["", "abc"]
    view.close()  # the final text, which the last redraw missed
    assert markdown_texts(display.shown) == ["", "abc", "abcd"]
    view.close()  # nothing new: no redundant update
    assert len(display.shown) == 3
    assert view.text == "abcd"


def test_stream_display_in_a_kernel_updates_markdown_and_returns_the_text(
    fake_kernel: FakeDisplay,
) -> None:
    reply = "**Bold** and a list:\n\n- one\n- two\n" * 20
    with DarkAIServer(reply=Reply(reply, chunk_size=7)) as server:
        with DarkAI(server.url, max_retries=0) as client:
            text = client.stream("hi").display()
    assert text == reply
    assert markdown_texts(fake_kernel.shown)[-1] == reply


async def test_async_stream_display_in_a_kernel_shows_the_final_text(
    fake_kernel: FakeDisplay,
) -> None:
    from darkai_sdk import AsyncDarkAI

    async with DarkAIServer(reply=Reply("async *reply*", chunk_size=2)) as server:
        async with AsyncDarkAI(server.url, max_retries=0) as client:
            text = await client.stream("hi").display()
    assert text == "async *reply*"
    assert markdown_texts(fake_kernel.shown)[-1] == "async *reply*"


# -- the quickstart notebook in a real kernel ------------------------------------------


def test_quickstart_has_no_outputs_and_no_hard_coded_endpoint() -> None:
    notebook = nbformat.read(QUICKSTART, as_version=4)  # type: ignore[no-untyped-call]
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, "the quickstart has code cells"
    for cell in code:
        assert cell.outputs == [], f"cell {cell.id} has committed outputs"
        assert "http://" not in cell.source and "https://" not in cell.source


@pytest.fixture
def kernel_manager(tmp_path: Path) -> Iterator[AsyncKernelManager]:
    """A kernel of this very interpreter, whatever kernelspecs are (or are not) installed."""
    spec_dir = tmp_path / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "darkai-sdk test kernel",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    specs = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])
    manager = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)
    yield manager
    if manager.has_kernel:  # execute() shuts it down; this is for when it could not

        async def shutdown() -> None:
            await manager.shutdown_kernel(now=True)

        asyncio.run(shutdown())


@pytest.fixture
def notebook_server() -> Iterator[DarkAIServer]:
    # Several chunks with pauses, so display() really updates in place while streaming.
    with DarkAIServer(reply=Reply(chunk_size=3, delay=0.004)) as server:
        yield server


def kernel_env(server: DarkAIServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env["DARKAI_BASE_URL"] = server.url
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("DARKAI_LOG", None)
    return env


def stream_text(cell: Any) -> str:
    return "".join(
        out["text"] for out in cell.outputs if out.output_type == "stream" and out.name == "stdout"
    )


def test_quickstart_runs_end_to_end_in_a_jupyter_kernel(
    kernel_manager: AsyncKernelManager, notebook_server: DarkAIServer
) -> None:
    notebook = nbformat.read(QUICKSTART, as_version=4)  # type: ignore[no-untyped-call]
    client = NotebookClient(
        notebook,
        km=kernel_manager,
        timeout=30,
        startup_timeout=30,
        shutdown_kernel="immediate",
        resources={"metadata": {"path": str(ROOT)}},
    )
    started = time.monotonic()
    # Raises CellExecutionError on any error; shuts the kernel down either way.
    client.execute(env=kernel_env(notebook_server), cleanup_kc=True)
    assert time.monotonic() - started < 60
    cells = {cell.id: cell for cell in notebook.cells}
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.id

    def reply(prompt: str, model: str = DEFAULT_MODEL) -> str:
        return default_reply_text(prompt, model)

    assert stream_text(cells["sync-stream"]) == reply("Tell me a short joke.") + "\n"
    assert stream_text(cells["complete"]) == reply("Name a prime number.") + "\n"

    final = reply("Say hello in **Markdown**.")
    displays = [o for o in cells["display"].outputs if o.output_type == "display_data"]
    assert len(displays) == 1, "one display, updated in place"
    assert displays[0].data["text/markdown"] == final
    assert stream_text(cells["display"]) == f"{len(final)} characters\n"

    # Top-level `async with` / `async for` / `await` ran in the kernel's loop.
    assert stream_text(cells["async"]) == reply("Hello!") + "\n" + reply("Hello again!") + "\n"
    provider_reply = reply("Hello, DarkAI!", "gpt-3.5-turbo")
    assert stream_text(cells["provider"]) == provider_reply + "\n"

    prompts = [request.prompt for request in notebook_server.requests]
    assert prompts == [
        "Tell me a short joke.",
        "Name a prime number.",
        "Say hello in **Markdown**.",
        "Hello!",
        "Hello again!",
        "Hello, DarkAI!",
    ]
