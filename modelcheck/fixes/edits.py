"""Byte-level edits of a file's content, and the lines they are placed by.

A fix never re-writes a file from a parsed document: it replaces exact byte ranges of the
file as it is, so every byte it does not mean to change (comments, key order, quoting, line
endings, a final newline or its absence) stays as it was. ``Edit(start, end, new)`` replaces
``data[start:end]`` with ``new``; an insertion has ``start == end``. Everything here is a pure
function of bytes (``tests/test_fix_edits.py`` checks with hypothesis that an edit changes
nothing outside its range).
"""

from __future__ import annotations

from collections.abc import Iterable

from modelcheck.records import FrozenRecord

BOM = b"\xef\xbb\xbf"


class Edit(FrozenRecord):
    """Replace ``data[start:end]`` with ``new`` (an insertion when ``start == end``)."""

    _fields = ("start", "end", "new")

    def __init__(self, start: int, end: int, new: bytes = b"") -> None:
        if not 0 <= start <= end:
            raise ValueError(f"bad edit range {start}..{end}")
        init = object.__setattr__
        init(self, "start", start)
        init(self, "end", end)
        init(self, "new", new)


class Line(FrozenRecord):
    """One physical line: ``data[start:end]`` is its content, ``data[end:stop]`` its line
    break (``b"\\n"``, ``b"\\r\\n"``, or ``b""`` for a last line without one)."""

    _fields = ("number", "start", "end", "stop")

    def __init__(self, number: int, start: int, end: int, stop: int) -> None:
        init = object.__setattr__
        init(self, "number", number)
        init(self, "start", start)
        init(self, "end", end)
        init(self, "stop", stop)


def lines(data: bytes) -> list[Line]:
    """The physical lines of ``data`` (1-based numbers). A UTF-8 byte-order mark is not part
    of line 1, so an edit of line 1 and the mark's removal never overlap."""
    out: list[Line] = []
    i = len(BOM) if data.startswith(BOM) else 0
    n = 1
    size = len(data)
    while i < size:
        j = data.find(b"\n", i)
        if j < 0:
            out.append(Line(n, i, size, size))
            break
        end = j - 1 if j > i and data[j - 1:j] == b"\r" else j
        out.append(Line(n, i, end, j + 1))
        i = j + 1
        n += 1
    return out


def line_text(data: bytes, line: Line) -> str:
    return data[line.start:line.end].decode("utf-8", "replace")


def delete_line(all_lines: list[Line], number: int) -> Edit:
    """The edit that removes line ``number`` with its line break. The last line of a file
    that does not end with a line break takes the previous line's break instead, so the
    file still does not end with one (MLflow writes requirements.txt that way)."""
    line = all_lines[number - 1]
    if line.stop == line.end and number > 1:  # the last line, no break of its own
        prev = all_lines[number - 2]
        return Edit(prev.end, line.stop)
    return Edit(line.start, line.stop)


def insert_line_before(all_lines: list[Line], data: bytes, number: int, text: bytes) -> Edit:
    """A new line ``text`` inserted before line ``number``, with that line's line break."""
    line = all_lines[number - 1]
    brk = data[line.end:line.stop] or _file_break(data)
    return Edit(line.start, line.start, text + brk)


def insert_line_after(all_lines: list[Line], data: bytes, number: int, text: bytes) -> Edit:
    """A new line ``text`` after line ``number``; after a last line without a line break the
    break goes first, so the file still ends as it did."""
    line = all_lines[number - 1]
    brk = data[line.end:line.stop]
    if brk:
        return Edit(line.stop, line.stop, text + brk)
    return Edit(line.stop, line.stop, _file_break(data) + text)


def _file_break(data: bytes) -> bytes:
    return b"\r\n" if b"\r\n" in data else b"\n"


def conflicts(a: Edit, b: Edit) -> bool:
    """True when the two edits touch the same bytes (or insert at the same place)."""
    if a.start == b.start:
        return True
    if a.start == a.end:
        return b.start < a.start < b.end
    if b.start == b.end:
        return a.start < b.start < a.end
    return a.start < b.end and b.start < a.end


def apply(data: bytes, edits: Iterable[Edit]) -> bytes:
    """``data`` with every edit made; the edits must not conflict."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    out: list[bytes] = []
    pos = 0
    for i, e in enumerate(ordered):
        if e.end > len(data):
            raise ValueError(f"edit {e.start}..{e.end} past the end ({len(data)} bytes)")
        if i and conflicts(ordered[i - 1], e):
            raise ValueError(f"edits conflict at byte {e.start}")
        out.append(data[pos:e.start])
        out.append(e.new)
        pos = e.end
    out.append(data[pos:])
    return b"".join(out)
