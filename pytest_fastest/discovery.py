"""Static discovery, Python side: pytest's settings in, the inventory out.

The C core walks the test paths with pytest's rules and parses every file
on a thread pool with the GIL released (``_core.discover``). This module
gathers the settings it needs (from pytest's config in the plugin, from the
ini file in ``python -m pytest_fastest discover``), and turns the result
into the two things the rest of the package uses: the inventory of files
(node ids, lines, markers, verdicts) and the set of directories whose
collection must be left whole to pytest because a conftest changes how
pytest collects there.
"""

from __future__ import annotations

import os

# Not a runtime `typing` import: `discover` pays for every import (see core.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Walk entry kinds (csrc/fst_walk.h).
TEST_MODULE, EXPLICIT, CONFTEST, OTHER_FILE, WALK_ERROR = range(5)
KIND_NAMES = ("test-module", "explicit", "conftest", "other-file", "error")

# Conftest facts (csrc/fst_extract.h) under which pytest's own collection of
# the conftest's directory can differ from what the walker finds.
HOOK_COLLECT_FILE = 1 << 0
HOOK_COLLECT_DIRECTORY = 1 << 1
HOOK_IGNORE_COLLECT = 1 << 2
HOOK_PYCOLLECT_MAKEITEM = 1 << 3
HOOK_PYCOLLECT_MAKEMODULE = 1 << 4
HOOK_GENERATE_TESTS = 1 << 5
HOOK_COLLECTION_MODIFYITEMS = 1 << 6
HOOK_COLLECTION = 1 << 7
HOOK_MAKE_COLLECT_REPORT = 1 << 8
HOOK_COLLECT_OTHER = 1 << 9
HOOK_MAKE_PARAMETRIZE_ID = 1 << 10
FACT_PYTEST_PLUGINS = 1 << 16
FACT_PARAM_FIXTURE = 1 << 17
FACT_COLLECT_IGNORE_DYNAMIC = 1 << 18

# What makes a subtree's *file set* uncertain: the subtree goes whole to pytest.
SUBTREE_HOOKS = (
    HOOK_COLLECT_FILE
    | HOOK_COLLECT_DIRECTORY
    | HOOK_IGNORE_COLLECT
    | HOOK_PYCOLLECT_MAKEMODULE
    | HOOK_COLLECTION
    | HOOK_MAKE_COLLECT_REPORT
    | HOOK_COLLECT_OTHER
    | FACT_PYTEST_PLUGINS
    | FACT_COLLECT_IGNORE_DYNAMIC
)
# What makes the *node ids* of a subtree's files uncertain (files stay
# units of their own, but none of them is static-exact).
ITEM_HOOKS = (
    HOOK_PYCOLLECT_MAKEITEM | HOOK_GENERATE_TESTS | HOOK_MAKE_PARAMETRIZE_ID | FACT_PARAM_FIXTURE
)

STATIC_EXACT, NEEDS_IMPORT = 0, 1


class Settings:
    """Everything discovery depends on besides the files themselves.

    (Plain classes rather than dataclasses here and in plan.py: this module
    is imported by every `-p fastest` run, small ones included, and creating
    a dataclass costs a fraction of a millisecond each.)
    """

    def __init__(
        self,
        rootdir: str,
        roots: list[str],
        python_files: list[str],
        python_classes: list[str],
        python_functions: list[str],
        norecursedirs: list[str],
        ignore: list[str] | None = None,
        ignore_glob: list[str] | None = None,
        extra_file_patterns: list[str] | None = None,
        confcutdir: str | None = None,
        collect_in_virtualenv: bool = False,
        noconftest: bool = False,
    ) -> None:
        self.rootdir = rootdir
        self.roots = roots
        self.python_files = python_files
        self.python_classes = python_classes
        self.python_functions = python_functions
        self.norecursedirs = norecursedirs
        self.ignore = ignore or []
        self.ignore_glob = ignore_glob or []
        self.extra_file_patterns = extra_file_patterns or []
        self.confcutdir = confcutdir
        self.collect_in_virtualenv = collect_in_virtualenv
        self.noconftest = noconftest

    def fingerprint(self, grammar_version: str) -> str:
        """Key of the cache: what a file's cached extraction depends on."""
        from . import __version__

        # A plain string, compared for equality: no hashlib to import.
        return repr((__version__, grammar_version, self.python_classes, self.python_functions))


class FileInfo:
    """One walked file and what extraction found in it (see fst_discover.h).

    `items` are (name, line, markers) tuples as the C core returns them:
    20,000 objects built for nothing would cost an editor's `discover` 20 ms.
    """

    __slots__ = (
        "path", "kind", "error", "size", "mtime_ns", "cached", "verdict", "reason",
        "items", "n_items", "imports", "hooks", "collect_ignore", "collect_ignore_glob",
    )  # fmt: skip

    def __init__(
        self,
        path: str,
        kind: int,
        error: int,
        size: int,
        mtime_ns: int,
        cached: bool,
        verdict: int,
        reason: str | None,
        items: list[tuple[str, int, list[str]]] | int,
        imports: list[str],
        hooks: int,
        collect_ignore: list[str],
        collect_ignore_glob: list[str],
    ) -> None:
        self.path = path
        self.kind = kind
        self.error = error
        self.size = size
        self.mtime_ns = mtime_ns
        self.cached = cached
        self.verdict = verdict
        self.reason = reason
        # (name, line, markers) per item; only their number when discovery
        # ran for a plan (run(..., with_items=False)).
        self.items = items if isinstance(items, list) else []
        self.n_items = len(items) if isinstance(items, list) else items
        self.imports = imports
        self.hooks = hooks
        self.collect_ignore = collect_ignore
        self.collect_ignore_glob = collect_ignore_glob

    @property
    def static_exact(self) -> bool:
        return self.verdict == STATIC_EXACT and self.kind in (TEST_MODULE, EXPLICIT)


class Inventory:
    def __init__(
        self,
        settings: Settings,
        files: list[FileInfo],
        whole_subtrees: dict[str, str],
        cache_warning: str | None = None,
    ) -> None:
        self.settings = settings
        self.files = files
        # Directories (absolute) whose collection is left whole to pytest, and why.
        self.whole_subtrees = whole_subtrees
        self.cache_warning = cache_warning

    def relpath(self, path: str) -> str:
        """`path` relative to the rootdir, as node ids spell it."""
        prefix = self.settings.rootdir.rstrip(os.sep) + os.sep
        if path.startswith(prefix):  # the common case, without os.path's work
            relative = path[len(prefix) :]
        else:
            relative = os.path.relpath(path, self.settings.rootdir)
        return relative.replace(os.sep, "/")

    def test_files(self) -> list[FileInfo]:
        return [f for f in self.files if f.kind in (TEST_MODULE, EXPLICIT)]


def grammar_version() -> str:
    """Identifies the installed grammar build for the cache fingerprint.

    The binary's size and mtime, not importlib.metadata: that scans every
    distribution on sys.path (tens of milliseconds), which a small suite's
    run cannot afford.
    """
    from .core import grammar_binding

    try:
        st = os.stat(grammar_binding().__file__)
        return f"{st.st_size}:{st.st_mtime_ns}"
    except (ImportError, OSError, TypeError):
        return "unknown"


def run(
    settings: Settings,
    cache_path: str | None,
    threads: int = 0,
    loaded_conftests: dict[str, Any] | None = None,
    with_items: bool = True,
) -> Inventory:
    """Walk and extract (C core, GIL released), then apply conftest rules.

    `loaded_conftests` maps the paths of conftests pytest has already
    imported (the root ones, in the plugin) to their modules: for those the
    live module is the truth, not their text.
    """
    from . import core

    raw, warning = core.load().discover(
        settings.roots,
        {
            "python_files": settings.python_files,
            "norecursedirs": settings.norecursedirs,
            "ignore": settings.ignore,
            "ignore_glob": settings.ignore_glob,
            "extra_file_patterns": settings.extra_file_patterns,
            "confcutdir": settings.confcutdir,
            "collect_in_virtualenv": settings.collect_in_virtualenv,
            "noconftest": settings.noconftest,
            "python_classes": settings.python_classes,
            "python_functions": settings.python_functions,
        },
        threads or min(4, os.cpu_count() or 1),
        cache_path,
        settings.fingerprint(grammar_version()),
        with_items,
    )
    files = [
        FileInfo(
            path,
            kind,
            error,
            size,
            mtime_ns,
            bool(cached),
            verdict,
            reason,
            items,
            list(imports),
            hooks,
            list(collect_ignore),
            list(collect_ignore_glob),
        )
        for (
            path,
            kind,
            error,
            size,
            mtime_ns,
            cached,
            verdict,
            reason,
            items,
            imports,
            hooks,
            collect_ignore,
            collect_ignore_glob,
        ) in raw
    ]
    for info in files:
        module = (loaded_conftests or {}).get(info.path)
        if info.kind == CONFTEST and module is not None:
            _read_live_conftest(info, module)
    inventory = Inventory(settings, files, {}, warning)
    _apply_collect_ignore(inventory)
    return _apply_conftests(inventory)


_HOOK_BITS = {
    "pytest_collect_file": HOOK_COLLECT_FILE,
    "pytest_collect_directory": HOOK_COLLECT_DIRECTORY,
    "pytest_ignore_collect": HOOK_IGNORE_COLLECT,
    "pytest_pycollect_makeitem": HOOK_PYCOLLECT_MAKEITEM,
    "pytest_pycollect_makemodule": HOOK_PYCOLLECT_MAKEMODULE,
    "pytest_generate_tests": HOOK_GENERATE_TESTS,
    "pytest_collection_modifyitems": HOOK_COLLECTION_MODIFYITEMS,
    "pytest_collection": HOOK_COLLECTION,
    "pytest_make_collect_report": HOOK_MAKE_COLLECT_REPORT,
    "pytest_make_parametrize_id": HOOK_MAKE_PARAMETRIZE_ID,
}


def _read_live_conftest(info: FileInfo, module: Any) -> None:
    """Replace what the text of an imported conftest suggested with what its
    module holds: its hook functions and its actual collect_ignore lists (a
    computed list is exact once the module ran). Plugins it loaded through
    pytest_plugins are checked in the plugin manager (activation.py)."""
    hooks = info.hooks & FACT_PARAM_FIXTURE
    for name, bit in _HOOK_BITS.items():
        if callable(getattr(module, name, None)):
            hooks |= bit
    ignores: list[list[str]] = []
    for name in ("collect_ignore", "collect_ignore_glob"):
        value = getattr(module, name, None) or []
        if not isinstance(value, (list, tuple)):
            hooks |= FACT_COLLECT_IGNORE_DYNAMIC
            value = []
        ignores.append([os.fspath(v) for v in value])
    info.hooks = hooks
    info.collect_ignore, info.collect_ignore_glob = ignores
    info.verdict, info.reason = STATIC_EXACT, None


def _apply_collect_ignore(inventory: Inventory) -> None:
    """Drop what conftests' literal collect_ignore / collect_ignore_glob hide.

    As pytest's pytest_ignore_collect: a path (never a root) is ignored when
    the nearest conftest at or above its parent that defines the name lists
    it (paths relative to that conftest) or a glob of it matches; everything
    below an ignored directory goes too. An empty literal list counts as not
    defined (it hides nothing in practice). Computed values never get here:
    they put the conftest's whole subtree in pytest's hands.
    """
    import fnmatch

    lists: dict[str, FileInfo] = {
        os.path.dirname(f.path): f
        for f in inventory.files
        if f.kind == CONFTEST and (f.collect_ignore or f.collect_ignore_glob)
    }
    if not lists:
        return
    roots = set(inventory.settings.roots)
    verdicts: dict[str, bool] = {}

    def nearest(directory: str, attr: str) -> tuple[str, list[str]] | None:
        while True:
            info = lists.get(directory)
            if info is not None and getattr(info, attr):
                return directory, getattr(info, attr)
            parent = os.path.dirname(directory)
            if parent == directory:
                return None
            directory = parent

    def ignored(path: str) -> bool:
        if path in roots:
            return False
        if path in verdicts:
            return verdicts[path]
        parent = os.path.dirname(path)
        answer = parent not in roots and ignored(parent) if parent != path else False
        if not answer:
            found = nearest(parent, "collect_ignore")
            if found is not None:
                base, paths = found
                answer = path in {os.path.normpath(os.path.join(base, p)) for p in paths}
        if not answer:
            found = nearest(parent, "collect_ignore_glob")
            if found is not None:
                base, globs = found
                answer = any(fnmatch.fnmatch(path, os.path.join(base, g)) for g in globs)
        verdicts[path] = answer
        return answer

    def under_root(path: str) -> bool:
        return any(path == r or _is_below(path, r) for r in roots)

    inventory.files = [f for f in inventory.files if not (under_root(f.path) and ignored(f.path))]


def _apply_conftests(inventory: Inventory) -> Inventory:
    """Mark what conftests make uncertain.

    A conftest with a collection hook (or pytest_plugins, or a computed
    collect_ignore) puts its whole directory in `whole_subtrees`; one that
    changes items (pytest_generate_tests, parametrized fixtures, ...) makes
    every file below it needs-import. Conftests of the roots' ancestors are
    reported by the walker too, and apply to everything below them.
    """
    subtree_reasons: dict[str, str] = {}
    item_dirs: dict[str, str] = {}
    for info in inventory.files:
        if info.kind != CONFTEST:
            continue
        directory = os.path.dirname(info.path)
        if info.verdict == NEEDS_IMPORT:
            # A conftest that cannot be read statically may do anything.
            subtree_reasons[directory] = f"{inventory.relpath(info.path)}: {info.reason}"
        elif info.hooks & SUBTREE_HOOKS:
            names = _hook_names(info.hooks & SUBTREE_HOOKS)
            relpath = inventory.relpath(info.path)
            subtree_reasons[directory] = f"{relpath} changes collection ({names})"
        if info.hooks & ITEM_HOOKS:
            names = _hook_names(info.hooks & ITEM_HOOKS)
            item_dirs[directory] = f"{inventory.relpath(info.path)} changes items ({names})"
    # Keep only the outermost subtree of nested ones.
    outermost = {
        d: why
        for d, why in subtree_reasons.items()
        if not any(_is_below(d, other) for other in subtree_reasons if other != d)
    }
    inventory.whole_subtrees = outermost
    if item_dirs:
        for info in inventory.files:
            if info.kind not in (TEST_MODULE, EXPLICIT) or info.verdict == NEEDS_IMPORT:
                continue
            for directory, why in item_dirs.items():
                if _is_below(info.path, directory):
                    info.verdict, info.reason = NEEDS_IMPORT, why
                    break
    return inventory


def _is_below(path: str, directory: str) -> bool:
    return path.startswith(directory.rstrip(os.sep) + os.sep)


_HOOK_NAMES = {
    HOOK_COLLECT_FILE: "pytest_collect_file",
    HOOK_COLLECT_DIRECTORY: "pytest_collect_directory",
    HOOK_IGNORE_COLLECT: "pytest_ignore_collect",
    HOOK_PYCOLLECT_MAKEITEM: "pytest_pycollect_makeitem",
    HOOK_PYCOLLECT_MAKEMODULE: "pytest_pycollect_makemodule",
    HOOK_GENERATE_TESTS: "pytest_generate_tests",
    HOOK_COLLECTION_MODIFYITEMS: "pytest_collection_modifyitems",
    HOOK_COLLECTION: "pytest_collection",
    HOOK_MAKE_COLLECT_REPORT: "pytest_make_collect_report",
    HOOK_COLLECT_OTHER: "a collection hook",
    HOOK_MAKE_PARAMETRIZE_ID: "pytest_make_parametrize_id",
    FACT_PYTEST_PLUGINS: "pytest_plugins",
    FACT_PARAM_FIXTURE: "a parametrized fixture",
    FACT_COLLECT_IGNORE_DYNAMIC: "computed collect_ignore",
}


def _hook_names(bits: int) -> str:
    return ", ".join(name for bit, name in _HOOK_NAMES.items() if bits & bit)
