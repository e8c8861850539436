"""README.md cannot rot: every ```python block runs against a local server, in order."""

from __future__ import annotations

import ast
import inspect
import os
import re
import subprocess
import sys
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import pytest
from gatewayservers import GatewayThread

from darkai_sdk import AsyncDarkAI, DarkAI
from darkai_sdk.testing import DarkAIServer, RecordedRequest, Reply, default_reply_text

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK_TIMEOUT = 60
# A block that must not run is preceded by this comment, with its reason.
NOT_EXECUTED = re.compile(r"<!--\s*not-executed:\s*(?P<reason>.+?)\s*-->\s*$")
MAX_NOT_EXECUTED = 2

# Runs a block with top-level `await` the way a notebook cell runs (IPython's autoawait).
IPYTHON_RUNNER = """\
import sys
from IPython.core.interactiveshell import InteractiveShell

source = open(sys.argv[1], encoding="utf-8").read()
result = InteractiveShell.instance(colors="nocolor").run_cell(source)
sys.exit(0 if result.success else 1)
"""


@dataclass(frozen=True)
class Block:
    """One fenced code block of the README."""

    language: str
    code: str
    line: int  # line number of the opening fence
    not_executed: str | None  # the reason, when marked

    @property
    def kind(self) -> str:
        """How the block is run: "pytest", "ipython" (top-level await) or "script"."""
        name = f"README.md:{self.line}"
        try:
            compile(self.code, name, "exec")
        except SyntaxError:
            compile(self.code, name, "exec", ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            return "ipython"
        tree = ast.parse(self.code, name)
        if any(
            isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
            for node in tree.body
        ):
            return "pytest"
        return "script"


def readme_blocks() -> list[Block]:
    lines = README.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        fence = re.fullmatch(r"```(\w*)\s*", lines[index])
        if fence is None:
            index += 1
            continue
        start = index
        end = lines.index("```", start + 1)  # ValueError: an unclosed fence
        previous = next((line for line in reversed(lines[:start]) if line.strip()), "")
        marker = NOT_EXECUTED.search(previous)
        blocks.append(
            Block(
                language=fence.group(1),
                code="\n".join(lines[start + 1 : end]) + "\n",
                line=start + 1,
                not_executed=marker.group("reason") if marker else None,
            )
        )
        index = end + 1
    return blocks


def headings() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(r"^## (.+?)\s*$", text, flags=re.MULTILINE)


PYTHON_BLOCKS = [block for block in readme_blocks() if block.language == "python"]
RUNNABLE = [block for block in PYTHON_BLOCKS if block.not_executed is None]


def _replies(requests: list[RecordedRequest]) -> list[str]:
    """What the local server answered to each request: its echo reply."""
    return [default_reply_text(str(request.prompt), str(request.model)) for request in requests]


# What the README's hooks print for one request.
_HOOKED = (
    r"-> POST http://127\.0\.0\.1:\d+/chat model=llama-3-70b try 0\n<- 200 in \d+ ms, id None\n"
)

#: What each block that prints shows, from the replies the server sent it: a line of
#: the block's code that names it, and its whole stdout.
SHOWN: dict[str, Callable[[list[str]], str]] = {
    'client.stream("Tell me a short joke.")': lambda r: f"{r[0]}\n",
    'with client.stream(messages, model="gpt-4o") as stream:': lambda r: (
        f"{r[0]}\n{len(r[0])} characters; server's final message matches: True\n"
    ),
    'async for chunk in client.stream("Hello!"):': lambda r: f"{r[0]}\n{r[1]}\n",
    "text = stream.display()": lambda r: f"{r[0]}\n",
    'text = await client.stream("Hello!").display()': lambda r: f"{r[0]}\n",
    "DarkAI.create_async_generator(model=": lambda r: r[0],
    "for chunk in DarkAI.create_completion(": lambda r: f"{r[0]}\n{r[1]}\n",
    "MyDarkAI.create_completion(": lambda r: "Hi from the gateway!\n",
    'print(client.complete("Hello!"))': lambda r: f"{r[0]}\n",
    "for chunk in client.chat.completions.create(": lambda r: r[0],
    "def log_request(info: RequestInfo) -> None:": lambda r: Pattern(
        _HOOKED
        + re.escape(r[0])
        + r"\n"
        + _HOOKED
        + r"200 None text/event-stream\n"
        + rf"{len(r[1])} chars in \d+\.\d{{3}} s, first after \d+\.\d{{3}} s\n"
    ),
    "async def trace(info: ResponseInfo) -> None:": lambda r: (
        "answer 200 on try 0\n" * 3 + "3 replies\n"
    ),
    "async for result in results:": lambda r: AnyOrder(
        f"fr -> {r[0]}\nde -> {r[1]}\nquick -> {r[2]}\n"
    ),
    'out.write(json.dumps(result.to_dict()) + "\\n")': lambda r: "20 rows, 20 results\n",
}


class Pattern(str):
    """A block's stdout must match this regular expression whole (timings, ports)."""


class AnyOrder(str):
    """A block's stdout has these lines, in any order (replies that race)."""


def assert_shown(expected: str, stdout: str, report: str) -> None:
    """Check ``stdout`` against what SHOWN says the block prints."""
    if isinstance(expected, Pattern):
        assert re.fullmatch(expected, stdout), report
    elif isinstance(expected, AnyOrder):
        assert sorted(stdout.splitlines()) == sorted(expected.splitlines()), report
    else:
        assert stdout == expected, report


def shown_output(block: Block) -> Callable[[list[str]], str] | None:
    """The expected stdout of ``block``, if it is one that prints (else None)."""
    found = [expected for line, expected in SHOWN.items() if line in block.code]
    assert len(found) <= 1, f"README.md:{block.line} matches {len(found)} entries of SHOWN"
    return found[0] if found else None


def child_env(server: DarkAIServer, gateway: GatewayThread | None = None) -> dict[str, str]:
    """The environment of a block: the local server as the endpoint, no proxy, no logging.

    With ``gateway`` (for a block that uses the openai client), the openai client's
    variables point at the gateway in front of the server, as the README sets them.
    """
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.pop("DARKAI_LOG", None)
    env["DARKAI_BASE_URL"] = server.url
    if gateway is not None:
        env.update(OPENAI_BASE_URL=gateway.base_url, OPENAI_API_KEY="unused")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def command(block: Block, path: Path) -> list[str]:
    if block.kind == "pytest":
        # The plugin by module name: its pytest11 entry point exists only once installed
        # (blocking that name keeps it from being registered twice when it is).
        return [
            *(sys.executable, "-m", "pytest", "-q"),
            *("-p", "no:darkai_sdk", "-p", "darkai_sdk.testing.pytest_plugin"),
            *("-p", "no:cacheprovider", "-p", "no:asyncio"),
            str(path),
        ]
    if block.kind == "ipython":
        return [sys.executable, "-c", IPYTHON_RUNNER, str(path)]
    return [sys.executable, str(path)]


# -- every block runs ------------------------------------------------------------------


@pytest.mark.parametrize("block", RUNNABLE, ids=[f"line{b.line}" for b in RUNNABLE])
def test_readme_python_block_runs(block: Block, tmp_path: Path) -> None:
    name = "test_readme_block.py" if block.kind == "pytest" else "readme_block.py"
    path = tmp_path / name
    path.write_text(block.code, encoding="utf-8")
    uses_openai = "from openai import" in block.code
    # Replies come in several chunks with pauses, as from the real service.
    with DarkAIServer(reply=Reply(chunk_size=6, delay=0.002)) as server:
        with GatewayThread(server.url) if uses_openai else nullcontext() as gateway:
            result = subprocess.run(
                command(block, path),
                capture_output=True,
                text=True,
                timeout=BLOCK_TIMEOUT,
                cwd=tmp_path,
                env=child_env(server, gateway),
            )
        requests = server.requests
    report = f"README.md line {block.line} ({block.kind}):\n{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, report
    if block.kind == "pytest":
        tests = len(re.findall(r"^def test_", block.code, flags=re.MULTILINE))
        assert f"{tests} passed" in result.stdout, report
        return
    expected = shown_output(block)
    if expected is not None:
        assert_shown(expected(_replies(requests)), result.stdout, report)
    # A block that makes a request without its own server must have used ours.
    uses_client = re.search(r"\b(Async)?DarkAI\b", block.code) is not None
    if uses_client and "DarkAIServer" not in block.code:
        assert requests, f"the block sent nothing to DARKAI_BASE_URL\n{report}"
        assert all(request.path == "/chat" for request in requests)


def test_the_openai_example_is_five_lines_and_the_command_comes_first() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Any OpenAI client\n", 1)[1].split("\n## ", 1)[0]
    assert "```sh\ndarkai gateway --local" in section
    (example,) = [block for block in RUNNABLE if "from openai import" in block.code]
    assert example.code.startswith("from openai import OpenAI\n")
    assert len([line for line in example.code.splitlines() if line.strip()]) == 5
    assert section.index("darkai gateway --local") < section.index("from openai import")


def test_every_block_that_prints_has_its_output_checked() -> None:
    prints = re.compile(r"print\(|\.display\(")
    printing = [b for b in RUNNABLE if b.kind != "pytest" and prints.search(b.code)]
    unchecked = [f"README.md:{block.line}" for block in printing if shown_output(block) is None]
    assert not unchecked, f"add the output of these blocks to SHOWN: {unchecked}"
    for line in SHOWN:
        assert sum(line in block.code for block in RUNNABLE) == 1, line


def test_the_readme_has_python_blocks_of_every_kind() -> None:
    kinds = [block.kind for block in RUNNABLE]
    assert len(RUNNABLE) >= 8
    assert {"script", "ipython", "pytest"} <= set(kinds)


def test_few_blocks_are_marked_not_executed() -> None:
    marked = [block for block in PYTHON_BLOCKS if block.not_executed is not None]
    assert len(marked) <= MAX_NOT_EXECUTED, [f"line {b.line}" for b in marked]
    assert all(block.not_executed for block in marked)


def test_a_marker_keeps_a_block_from_running(tmp_path: Path) -> None:
    readme = "<!-- not-executed: needs a real account -->\n\n```python\nraise SystemExit(1)\n```\n"
    path = tmp_path / "README.md"
    path.write_text(readme, encoding="utf-8")
    original = globals()["README"]
    globals()["README"] = path
    try:
        (block,) = readme_blocks()
    finally:
        globals()["README"] = original
    assert block.not_executed == "needs a real account"
    assert block.code == "raise SystemExit(1)\n"


# -- structure -------------------------------------------------------------------------

ORDER = [
    "In a script",
    "In an async app",
    "In a notebook",
    "Switching from gpt4free",
    "Testing your code against a local server",
    "Errors and retries",
    "Configuration",
]


def test_sections_come_in_the_order_a_reader_needs_them() -> None:
    found = headings()
    assert all(name in found for name in ORDER), found
    positions = [found.index(name) for name in ORDER]
    assert positions == sorted(positions), found


def test_the_first_python_example_is_the_sync_script() -> None:
    text = README.read_text(encoding="utf-8")
    first = text.index("```python")
    assert text.rindex("\n## ", 0, first) == text.index("\n## In a script")
    assert "from darkai_sdk import DarkAI\n" in PYTHON_BLOCKS[0].code


def test_the_gpt4free_section_shows_the_one_line_change_and_the_seed_example() -> None:
    text = README.read_text(encoding="utf-8")
    assert "-from g4f.Provider import DarkAI\n+from darkai_sdk.provider import DarkAI\n" in text
    seed = [
        block
        for block in RUNNABLE
        if 'DarkAI.create_async_generator(model="gpt-3.5-turbo", messages=messages)' in block.code
    ]
    assert len(seed) == 1
    assert seed[0].code.startswith("from darkai_sdk.provider import DarkAI\n")
    assert "asyncio.run(main())" in seed[0].code


def configuration_table() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Configuration\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


@pytest.mark.parametrize("client", [DarkAI, AsyncDarkAI])
def test_configuration_lists_every_client_argument(client: type) -> None:
    table = configuration_table()
    parameters = [name for name in inspect.signature(client).parameters if name != "self"]
    assert parameters, "no constructor parameters found"
    missing = [name for name in parameters if f"| `{name}`" not in table]
    assert not missing, f"arguments missing from the Configuration table: {missing}"


def test_configuration_lists_every_environment_variable_the_sdk_reads() -> None:
    table = configuration_table()
    sources = (ROOT / "darkai_sdk").rglob("*.py")
    names = {
        name
        for path in sources
        for name in re.findall(r"[\"'](DARKAI_[A-Z0-9_]+)[\"']", path.read_text("utf-8"))
    }
    assert "DARKAI_BASE_URL" in names
    missing = sorted(name for name in names if f"`{name}`" not in table)
    assert not missing, f"environment variables missing from the Configuration table: {missing}"


def test_every_public_name_is_importable_documented_and_listed_by_dir() -> None:
    import darkai_sdk

    text = README.read_text(encoding="utf-8")
    assert dir(darkai_sdk) == sorted(darkai_sdk.__all__)
    for name in darkai_sdk.__all__:
        assert getattr(darkai_sdk, name) is not None
        assert f"`{name}" in text or name == "__version__", f"{name} is not in README.md"
    with pytest.raises(AttributeError, match="module 'darkai_sdk' has no attribute 'Nope'"):
        darkai_sdk.Nope  # noqa: B018
