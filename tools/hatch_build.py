"""Hatch build hook: regenerate the sync twin before any wheel, sdist or editable build."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

if TYPE_CHECKING:
    from hatchling.builders.config import BuilderConfig

    _Hook = BuildHookInterface[BuilderConfig]
else:
    # Generic in recent hatchling releases only: subscripted for the type checker alone.
    _Hook = BuildHookInterface


class CustomBuildHook(_Hook):
    """Runs tools/unasync.py so a build never ships a stale darkai_sdk/_sync."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        tool = Path(self.root) / "tools" / "unasync.py"
        subprocess.run([sys.executable, str(tool)], check=True, cwd=self.root)
