"""The wheel holds every module of the package.

meson-python installs only the files pytest_fastest/meson.build lists; a new
module missing there works from a source checkout and fails once installed.
"""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pytest_fastest"


def test_every_module_is_installed() -> None:
    listed = set(re.findall(r"'([^']+\.(?:pyi?|typed))'", (PACKAGE / "meson.build").read_text()))
    on_disk = {path.name for path in PACKAGE.iterdir() if path.suffix in {".py", ".pyi", ".typed"}}
    assert on_disk - listed == set()
    assert listed - on_disk == set()
