"""A real Node.js DarkAI server (tests/peers/darkai_server.mjs), as a test peer.

Started with the machine's ``node`` on 127.0.0.1 and a free port; stopped by
closing its stdin (killed if it does not exit). Its bytes are Node's own:
``JSON.stringify``, one HTTP chunk per ``res.write()``, strings sliced by
UTF-16 code units.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

SCRIPT = Path(__file__).parent / "peers" / "darkai_server.mjs"


@contextmanager
def node_server() -> Iterator[str]:
    """Run the Node.js server; yield its base URL, ``http://127.0.0.1:<port>/chat``."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("these tests need Node.js (`node` on PATH) as a peer server")
    process = subprocess.Popen(
        [node, str(SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the Node.js server did not start: {line!r}")
        yield f"http://127.0.0.1:{int(line.split()[1])}/chat"
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def at(url: str, **params: object) -> str:
    """``url`` with the server's query parameters (see the script's header)."""
    return f"{url}?{urlencode(params)}" if params else url
