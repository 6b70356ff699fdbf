"""``config.workeroutput`` across the process boundary.

Plugins written for pytest-xdist put what a worker learned into
``config.workeroutput`` and read it in the controller's
``pytest_testnodedown`` (pytest-cov sends coverage data, syrupy its snapshot
report as compressed bytes). xdist's transport, execnet, carries bytes,
tuples, sets and numbers as they are; JSON would turn a tuple into a list
and cannot carry bytes at all. Worker and controller are the same program,
so each value travels pickled (base64 text inside the worker's JSON frame)
and comes back as it was. A value that cannot be pickled is left out and
named, instead of losing the worker's whole final message.
"""

from __future__ import annotations

import base64
import pickle
from typing import Any


def pack(workeroutput: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """The values as text, and a line for each key that could not be sent."""
    packed: dict[str, str] = {}
    unsent: list[str] = []
    for key, value in workeroutput.items():
        try:
            data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            unsent.append(f"workeroutput[{key!r}] not sent: {type(exc).__name__}: {exc}")
            continue
        packed[str(key)] = base64.b64encode(data).decode("ascii")
    return packed, unsent


def unpack(packed: dict[str, str]) -> dict[str, Any]:
    return {key: pickle.loads(base64.b64decode(text)) for key, text in packed.items()}
