"""The pytest11 entry point ``fastest``: options, activation, hook wiring.

pytest imports this module in every run once the package is installed, so
it stays tiny: it registers the "fastest" options and, only when the user
asked for the plugin (``-p fastest`` on the command line, in ``addopts`` of
any ini file, or in PYTEST_ADDOPTS), hands over to :mod:`.activation`.
Installed but not requested, it changes nothing and loads no C code.
"""

from __future__ import annotations

import pytest

from . import options

# The names under which `-p` can request this plugin.
_REQUEST_NAMES = frozenset({"fastest", "pytest_fastest.plugin"})


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def is_requested(config: pytest.Config) -> bool:
    """True when `-p fastest` is among the -p values pytest parsed.

    The entry point loads this module whether or not it was requested, so
    loading alone says nothing. pytest merges ini ``addopts`` and
    PYTEST_ADDOPTS into the arguments before parsing them, so this sees all
    three sources. ``-p no:fastest`` blocks the module before it is loaded.
    """
    requested = getattr(config.option, "plugins", None) or []
    return any(name in _REQUEST_NAMES for name in requested)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if not is_requested(config):
        return
    # Validate options early: a bad value is a usage error (exit code 4).
    options.workers(config)
    options.start_method(config)
    from . import activation

    activation.activate(config)
