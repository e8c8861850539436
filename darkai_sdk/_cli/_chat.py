"""``darkai chat``: a conversation kept across turns, steered by slash commands."""

from __future__ import annotations

import argparse
import contextlib
import importlib
from typing import TYPE_CHECKING

from .._exceptions import DarkAIError, UnknownModelError
from .._models import resolve_model
from ._commands import open_client, report_error, stream_reply, system_messages
from ._console import Console
from ._exit import OK, USAGE
from ._render import Renderer, TextRenderer

if TYPE_CHECKING:
    from .._sync._client import DarkAI

__all__ = ["CHAT_HELP", "run_chat"]

CHAT_HELP = """\
commands:
  /model [NAME]  show the model, or switch to NAME (a model or an alias)
  /reset         forget the conversation (a --system message stays)
  /help          show this list
  /exit          leave (so do /quit and Ctrl-D)
A line starting with // is sent as a message, less one slash."""

_PROMPT = "you> "


class _Session:
    """The conversation so far and the model it talks to."""

    def __init__(self, args: argparse.Namespace, console: Console, renderer: Renderer) -> None:
        self.args = args
        self.console = console
        self.renderer = renderer
        self.model = resolve_model(args.model)
        self.messages: list[dict[str, str]] = system_messages(args)
        self.interactive = console.stdin_is_terminal
        self.exit_code = OK

    def read_line(self) -> str | None:
        """The next line of input, or None at the end of it (Ctrl-D)."""
        if self.interactive:
            try:
                return input(_PROMPT)
            except EOFError:
                self.console.stdout.write("\n")
                return None
        stdin = self.console.stdin
        line = stdin.readline() if stdin is not None else ""
        return line.rstrip("\r\n") if line else None

    def command(self, line: str) -> bool:
        """Run a slash command; return False when the session should end."""
        name, _, argument = line.partition(" ")
        argument = argument.strip()
        note = self.console.note
        if name in ("/exit", "/quit"):
            return False
        if name == "/reset":
            self.messages = system_messages(self.args)
            note("darkai: conversation cleared")
        elif name == "/model":
            if argument:
                try:
                    self.model = resolve_model(argument)
                except UnknownModelError as exc:
                    self.exit_code = report_error(self.console, None, exc)
                    return True
            note(f"darkai: model {self.model}")
        elif name == "/help":
            note(CHAT_HELP)
        else:
            self.console.error(f"unknown command {name}; /help lists the commands")
            self.exit_code = USAGE
        return True

    def turn(self, text: str, client: DarkAI) -> None:
        """Send ``text`` with the conversation so far; keep the reply if it came whole."""
        self.messages.append({"role": "user", "content": text})
        try:
            reply = stream_reply(client, self.messages, self.model, self.console, self.renderer)
        except DarkAIError as exc:
            self.messages.pop()  # a failed turn is left out, so it can be asked again
            self.exit_code = report_error(self.console, self.renderer, exc)
            return
        except KeyboardInterrupt:
            self.messages.pop()
            if not self.interactive:
                raise
            # At a terminal Ctrl-C stops the reply, not the session.
            self.renderer.failed("KeyboardInterrupt", "interrupted")
            self.console.note("darkai: reply interrupted (left out of the conversation)")
            return
        self.messages.append({"role": "assistant", "content": reply})


def run_chat(args: argparse.Namespace, console: Console, renderer: Renderer) -> int:
    """``darkai chat``: read messages line by line, stream each reply.

    Exits 0, or with the code of the session's last error.
    """
    session = _Session(args, console, renderer)
    if session.interactive:
        with contextlib.suppress(ImportError):
            importlib.import_module("readline")  # line editing and history for input()
    with open_client(args, console) as client:
        if session.interactive:
            console.note(f"darkai chat: model {session.model}; /help for commands, Ctrl-D to leave")
        while True:
            line = session.read_line()
            if line is None:
                break
            text = line.strip()
            if not text:
                continue
            if text.startswith("/") and not text.startswith("//"):
                if not session.command(text):
                    break
                continue
            session.turn(text[1:] if text.startswith("//") else text, client)
            if session.interactive and isinstance(renderer, TextRenderer):
                console.stdout.write("\n")
    return session.exit_code
