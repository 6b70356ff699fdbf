"""pytest-fastest: run existing pytest suites faster with exactly pytest's results.

Enable it with ``pytest -p fastest`` (or ``addopts = -p fastest``). Importing
this package is cheap on purpose: the C core is loaded only once the plugin is
active, so having it installed costs other pytest runs nothing.
"""

from __future__ import annotations

__version__ = "0.1.0"
