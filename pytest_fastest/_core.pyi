"""Type stub for the C extension module pytest_fastest._core."""

from typing import Any

MIN_ABI: int
MAX_ABI: int

def set_grammar(capsule: Any, /) -> int: ...
