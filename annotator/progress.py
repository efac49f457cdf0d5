"""How long work reports progress and is cancelled, the same for every job (import, export, merge, share)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# progress(done, total, what) is called now and then; returning False asks the work to stop.
Progress = Callable[[int, int, str], bool]


class _Cancelled:
    """What cancelled work returns: one falsy marker, compared with ``is``."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "CANCELLED"


CANCELLED: Any = _Cancelled()
