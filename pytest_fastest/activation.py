"""Turning the plugin on: load the C core, check the grammar, register the controller.

Only imported when the user requested the plugin, so the C extension and the
grammar cost nothing to runs that did not ask for them.
"""

from __future__ import annotations

import pytest

ACTIVE_KEY = pytest.StashKey[bool]()


def load_core() -> object:
    """Import the C core and hand it the tree-sitter-python grammar.

    Raises pytest.UsageError with what to install when the grammar is missing
    or has an ABI that this build's libtree-sitter cannot load.
    """
    try:
        import tree_sitter_python
    except ImportError as exc:
        raise pytest.UsageError(
            "pytest-fastest needs the tree-sitter-python grammar: "
            "pip install 'tree-sitter-python>=0.23,<0.24'"
        ) from exc
    from . import _core

    try:
        _core.set_grammar(tree_sitter_python.language())
    except RuntimeError as exc:
        raise pytest.UsageError(f"pytest-fastest: {exc}") from None
    return _core


def activate(config: pytest.Config) -> None:
    load_core()
    config.stash[ACTIVE_KEY] = True


def is_active(config: pytest.Config) -> bool:
    return config.stash.get(ACTIVE_KEY, False)
