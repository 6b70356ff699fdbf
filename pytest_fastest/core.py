"""Loading the C core and giving it the grammar (no pytest import here)."""

from __future__ import annotations

from typing import Any


def load() -> Any:
    """Import pytest_fastest._core with the tree-sitter-python grammar set.

    Raises RuntimeError with what to install when the grammar is missing or
    has an ABI that this build's libtree-sitter cannot load.
    """
    try:
        from . import _core
    except ImportError as exc:
        raise RuntimeError(
            f"the C extension pytest_fastest._core is missing next to {__file__}: "
            "a source checkout shadows the installed package (run from another "
            "directory), or the package is not built (pip install .)"
        ) from exc

    if getattr(_core, "_grammar_ready", False):
        return _core
    try:
        import tree_sitter_python
    except ImportError as exc:
        raise RuntimeError(
            "pytest-fastest needs the tree-sitter-python grammar: "
            "pip install 'tree-sitter-python>=0.23,<0.24'"
        ) from exc
    _core.set_grammar(tree_sitter_python.language())
    _core._grammar_ready = True  # type: ignore[attr-defined]
    return _core
