"""Loading the C core and giving it the grammar (no pytest import here)."""

from __future__ import annotations

import os
import sys

# Not `from typing import ...`: `discover` imports this module, and an editor
# pays for every import (typing costs about 3 ms). mypy reads the block.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_BINDING = "tree_sitter_python._binding"
_binding: Any = None


def grammar_binding() -> Any:
    """tree-sitter-python's compiled module, without running its package's
    ``__init__``, which imports importlib.resources (about 5 ms) for query
    files we never read. Falls back to the plain import when the package
    does not have the expected layout; raises ImportError when it is not
    installed.
    """
    global _binding
    if _binding is not None:
        return _binding
    module = sys.modules.get(_BINDING)
    if module is not None:
        return module
    from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader, ModuleSpec, PathFinder

    package = PathFinder.find_spec("tree_sitter_python")
    for directory in (package and package.submodule_search_locations) or ():
        for suffix in EXTENSION_SUFFIXES:
            path = os.path.join(directory, "_binding" + suffix)
            if not os.path.isfile(path):
                continue
            loader = ExtensionFileLoader(_BINDING, path)
            spec = ModuleSpec(_BINDING, loader, origin=path)
            spec.has_location = True
            module = loader.create_module(spec)
            loader.exec_module(module)
            module.__file__ = path
            # Kept here, not in sys.modules (a single-phase extension module
            # puts itself there): a later `import tree_sitter_python` must
            # load it as usual and set the package's `_binding` attribute.
            if sys.modules.get(_BINDING) is module:
                del sys.modules[_BINDING]
            _binding = module
            return module
    import tree_sitter_python._binding as binding  # type: ignore[import-not-found]

    return binding


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
        binding = grammar_binding()
    except ImportError as exc:
        raise RuntimeError(
            "pytest-fastest needs the tree-sitter-python grammar: "
            "pip install 'tree-sitter-python>=0.23,<0.24'"
        ) from exc
    _core.set_grammar(binding.language())
    _core._grammar_ready = True  # type: ignore[attr-defined]
    return _core
