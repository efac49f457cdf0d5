"""The one conversion between stored offsets and Qt text positions.

Stored offsets are Python code-point indexes into the stored text. Qt's
QTextCursor counts UTF-16 code units, so every astral character (ord > 0xFFFF:
emoji, some CJK, ...) takes two Qt positions. Every other character — including
U+2028, U+2029, NBSP, tabs and bidi controls — takes exactly one.

Nothing else in the UI converts offsets; views never read text back from Qt.
"""

from __future__ import annotations

import re
from bisect import bisect_left

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class OffsetMap:
    """Converts code-point indexes of ``text`` to Qt (UTF-16) positions and back."""

    __slots__ = ("length", "qt_length", "_astral_cp", "_astral_qt")

    def __init__(self, text: str):
        # Sorted code-point indexes of the astral characters, and where each starts in Qt.
        self._astral_cp = [] if text.isascii() else [m.start() for m in _ASTRAL.finditer(text)]
        self._astral_qt = [cp + n for n, cp in enumerate(self._astral_cp)]
        self.length = len(text)
        self.qt_length = self.length + len(self._astral_cp)

    @property
    def astral_starts(self) -> list[int]:
        """Sorted code-point indexes of the astral characters (``to_qt(cp)`` is ``cp`` plus how many lie before it)."""
        return self._astral_cp

    @property
    def is_identity(self) -> bool:
        """True when code points and Qt positions coincide (no astral characters)."""
        return not self._astral_cp

    def to_qt(self, cp: int) -> int:
        """The Qt position of code-point index ``cp`` (0 ≤ cp ≤ len(text))."""
        if not self._astral_cp:
            return cp
        return cp + bisect_left(self._astral_cp, cp)

    def from_qt(self, pos: int, round_up: bool = False) -> int:
        """The code-point index of Qt position ``pos``.

        A position inside a surrogate pair (between its two halves) rounds to the
        start of that character, or to its end with ``round_up``.
        """
        if not self._astral_qt:
            return pos
        before = bisect_left(self._astral_qt, pos)  # astral characters starting before pos
        if before and self._astral_qt[before - 1] + 1 == pos:  # inside the pair
            cp = self._astral_cp[before - 1]
            return cp + 1 if round_up else cp
        return pos - before

    def span_from_qt(self, start: int, end: int) -> tuple[int, int]:
        """A Qt selection as code points, widened to whole characters."""
        return self.from_qt(start), self.from_qt(end, round_up=True)
