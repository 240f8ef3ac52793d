"""Find where a value sits in a JSON text, lazily, without building a position index.

``Locator(text).position(path)`` walks the text to the value at ``path`` (a sequence of object
keys and array indices, as in a JSON pointer) and returns its 1-based ``(line, column)``;
``key=True`` gives the position of the member name instead of the value. Only the parts of the
text before the target are scanned, strings are skipped as whole tokens (so brackets, commas and
quotes inside them never count), and the starts of array elements passed on the way are kept,
so several findings in the same 10,000-row array scan it once. Columns count characters
(Unicode code points) from 1. A path that does not exist in the text gives None.

Duplicate keys: the first member with the name is taken (``json.loads`` keeps the last one;
MLflow never writes duplicates).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},:]')
_WS = re.compile(r"[ \t\n\r]*")
Step = str | int


def parse_pointer(pointer: str) -> list[str]:
    """Tokens of a JSON pointer ("/a/0/b~1c" -> ["a", "0", "b/c"])."""
    if not pointer:
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


class Locator:
    def __init__(self, text: str) -> None:
        self.text = text
        self._elements: dict[int, list[int]] = {}  # array offset -> element starts seen
        self._complete: set[int] = set()

    def position(self, path: Sequence[Step], key: bool = False) -> tuple[int, int] | None:
        off = self.offset(path, key)
        return None if off is None else self.line_col(off)

    def line_col(self, off: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, off) + 1
        return line, off - (self.text.rfind("\n", 0, off) + 1) + 1

    def offset(self, path: Sequence[Step], key: bool = False) -> int | None:
        i = self._skip_ws(0)
        last = len(path) - 1
        for n, step in enumerate(path):
            if i >= len(self.text):
                return None
            c = self.text[i]
            if c == "[":
                idx = step if isinstance(step, int) else (int(step) if str(step).isdigit()
                                                          else None)
                if idx is None:
                    return None
                found = self._element(i, idx)
            elif c == "{":
                found = self._member(i, str(step), key and n == last)
            else:
                return None
            if found is None:
                return None
            i = found
        return i

    def _skip_ws(self, i: int) -> int:
        m = _WS.match(self.text, i)
        return m.end() if m else i

    def _element(self, start: int, idx: int) -> int | None:
        starts = self._elements.setdefault(start, [])
        if idx < len(starts):
            return starts[idx]
        if start in self._complete:
            return None
        if not starts:
            first = self._skip_ws(start + 1)
            if self.text.startswith("]", first):
                self._complete.add(start)
                return None
            starts.append(first)
            if idx == 0:
                return first
        depth = 0
        for m in _TOKEN.finditer(self.text, starts[-1]):
            t = m.group()
            if t in "[{":
                depth += 1
            elif t in "]}":
                if depth == 0:
                    self._complete.add(start)
                    return None
                depth -= 1
            elif t == "," and depth == 0:
                starts.append(self._skip_ws(m.end()))
                if len(starts) > idx:
                    return starts[idx]
        return None

    def _member(self, start: int, name: str, want_key: bool) -> int | None:
        depth, expect_key, key_at, matched = 0, True, -1, False
        for m in _TOKEN.finditer(self.text, start + 1):
            t = m.group()
            if depth == 0 and expect_key and t.startswith('"'):
                try:
                    matched = json.loads(t) == name
                except ValueError:
                    matched = False
                key_at, expect_key = m.start(), False
            elif depth == 0 and t == ":":
                if matched:
                    return key_at if want_key else self._skip_ws(m.end())
            elif depth == 0 and t == ",":
                expect_key = True
            elif t in "[{":
                depth += 1
            elif t in "]}":
                if depth == 0:
                    return None
                depth -= 1
        return None
