"""A direct reader for the plain block YAML that MLflow writes, with the nodes for positions.

MLflow writes MLmodel, conda.yaml and python_env.yaml with PyYAML's ``safe_dump``: block
mappings and sequences of plain or single-quoted scalars, one key or item per line, long
quoted strings (signatures) folded over several lines. libyaml reads such a file in tens of
microseconds, but ruamel builds a Python node per scalar through a resolver call and three
constructors, and that was a sixth of a package check. This reader parses just that shape,
line by line, into the same data and a light node tree that answers positions as ruamel's
does (``type(node).__name__``, ``value``, ``start_mark.line/column``). It needs no ruamel at
all, so a check of a package of such files does not import it (a fifth of a cold start).

It is strict: any line it does not fully understand (comments, blank lines, flow
collections, double quotes, block scalars, anchors, tags, directives, empty values, plain
scalars over several lines, duplicate keys, odd indentation, timestamps, octal...) makes
:func:`read_block` return None, and the caller parses the document with ruamel as before.
Plain scalars are resolved by PyYAML's YAML 1.1 rules (yaml_scalars), which the ruamel path
corrects its resolver to (tests/test_yaml_block.py checks data, types and every node
position against that path).
"""

from __future__ import annotations

import re
from typing import Any

from modelcheck.formats.yaml.scalars import NotSimple, plain_value

MAX_BLOCK_DEPTH = 48  # deeper documents go to ruamel, which reports the depth problem


class _Node:
    __slots__ = ("value", "line", "column")

    def __init__(self, value: Any, line: int, column: int) -> None:
        self.value = value
        self.line = line
        self.column = column

    @property
    def start_mark(self) -> _Node:  # the node is its own mark: .line, .column (0-based)
        return self


class ScalarNode(_Node):
    __slots__ = ()


class MappingNode(_Node):
    __slots__ = ()


class SequenceNode(_Node):
    __slots__ = ()


class _NotBlock(Exception):
    """The document is not in the subset this reader takes."""


# indent, "- " item marker, then ``key:`` (+ `` value``) or a bare value; one line
_LINE = re.compile(r"( *)(- )?(?:([A-Za-z0-9_][A-Za-z0-9_.-]*):(?: ([^\n]*))?|([^\n]+))(?:\n|\Z)")
# a plain scalar that means the same in block context for every YAML reader: no indicator
# first (except "-" before a non-space), no ": ", not ending in ":" or a space
_PLAIN = re.compile(r"(?:[^-?:,\[\]{}#&*!|>'\"%@` ]|-[^ ])(?:[^:]|:(?! ))*(?<![: ])")
_PRINTABLE = re.compile(r"[\x20-\x7e\n]*")  # no tabs, CR, controls or non-ASCII

# a line: (0-based number, column of its "- " or -1, column of the key or bare value, key or
# None, value text or None (``key:`` alone), value is quoted, column of the value)
_Line = tuple[int, int, int, "str | None", "str | None", bool, int]


def _quote_end(s: str, start: int) -> int:
    """Index of the single quote closing a quoted scalar in ``s`` from ``start``, or -1."""
    j = s.find("'", start)
    while j != -1 and s[j + 1:j + 2] == "'":
        j = s.find("'", j + 2)
    return j


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    match = _LINE.match
    pos, no, n = 0, 0, len(text)
    while pos < n:
        m = match(text, pos)
        if m is None:
            raise _NotBlock
        indent, dash, key, kval, bare = m.groups()
        dcol = len(indent)
        col = dcol + 2 if dash else dcol
        v = kval if key is not None else bare
        quoted = False
        start = no
        pos = m.end()
        no += 1
        if v is None:
            if key is None:
                raise _NotBlock
        elif v[:1] == "'":
            quoted = True
            vstart = m.start(4 if key is not None else 5)
            end = _quote_end(text, vstart + 1)
            if end == -1 or text[end + 1:end + 2] not in ("\n", ""):
                raise _NotBlock  # unclosed, or text after the closing quote
            line_end = m.end() - 1 if text[m.end() - 1:m.end()] == "\n" else m.end()
            if end < line_end:
                v = text[vstart + 1:end].replace("''", "'")  # closed on its own line
            else:
                v, lines = _folded(text[vstart + 1:end], col if key is not None else dcol)
                pos, no = end + 2, no + lines
        out.append((start, dcol if dash else -1, col, key, v, quoted,
                    col + len(key) + 2 if key is not None else col))
    return out


def _folded(body: str, owner: int) -> tuple[str, int]:
    """A single-quoted scalar's text over several lines: (value, line breaks in it).

    Each line break between two non-empty lines folds to one space, with the white space
    around it dropped. Continuation lines must be indented past ``owner``, the column of the
    key (or item) the scalar belongs to.
    """
    parts = body.split("\n")
    first, last = parts[0].rstrip(" "), parts[-1].lstrip(" ")
    if not first or not last:
        raise _NotBlock  # a break right after the opening quote or before the closing one
    for p in parts[1:]:
        if len(p) - len(p.lstrip(" ")) <= owner or not p.strip(" "):
            raise _NotBlock
    inner = [p.strip(" ") for p in parts[1:-1]]
    return " ".join([first, *inner, last]).replace("''", "'"), len(parts) - 1


def read_block(text: str) -> tuple[Any, Any] | None:
    """(data, root node) of ``text``, or None when it is outside the subset."""
    if "#" in text or not text or text[0] == " " or not _PRINTABLE.fullmatch(text):
        return None
    try:
        lines = _lines(text)
        if not lines or lines[0][3] is None or lines[0][1] != -1 or lines[0][2] != 0:
            return None
        reader = _Reader(lines)
        data, node, i = reader.mapping(0, 0, 0)
        if i != len(lines):
            return None
        return data, node
    except _NotBlock:
        return None


_REFUSED = object()
# plain scalar text -> its value, or _REFUSED (not plain in every reader's eyes, or a value
# only ruamel builds): the text alone decides both, and keys and values repeat across files
_VALUES: dict[str, Any] = {}
_VALUES_MAX = 50_000


class _Reader:
    def __init__(self, lines: list[_Line]) -> None:
        self.lines = lines

    def plain(self, text: str) -> Any:
        value = _VALUES.get(text, _REFUSED)
        if value is _REFUSED:
            if text in _VALUES:
                raise _NotBlock
            if len(_VALUES) >= _VALUES_MAX:
                _VALUES.clear()
            try:
                if not _PLAIN.fullmatch(text):
                    raise _NotBlock  # an indicator, ": ", a trailing space...
                value = plain_value(text)
            except (_NotBlock, NotSimple):
                _VALUES[text] = _REFUSED
                raise _NotBlock from None
            _VALUES[text] = value
        return value

    def mapping(self, i: int, col: int, depth: int) -> tuple[dict[Any, Any], _Node, int]:
        """The block mapping whose first key is on line ``i`` at column ``col``."""
        if depth > MAX_BLOCK_DEPTH:
            raise _NotBlock
        lines, n = self.lines, len(self.lines)
        first = i
        out: dict[Any, Any] = {}
        pairs: list[tuple[_Node, _Node]] = []
        seen: set[str] = set()
        while i < n:
            no, dash, lcol, key, text, quoted, vcol = lines[i]
            if lcol != col or key is None or (dash != -1 and i != first):
                break
            if key in seen:
                raise _NotBlock  # duplicates: ruamel reports them
            seen.add(key)
            kvalue = self.plain(key)
            knode = ScalarNode(key, no, col)
            if text is not None:
                value = text if quoted else self.plain(text)
                vnode: _Node = ScalarNode(text, no, vcol)
                i += 1
            else:
                value, vnode, i = self.nested(i + 1, col, depth)
            if kvalue in out:
                raise _NotBlock  # two texts, one key (yes/true): ruamel decides
            out[kvalue] = value
            pairs.append((knode, vnode))
        if i < n and lines[i][2] > col and lines[i][1] == -1:
            raise _NotBlock  # a stray deeper line: a plain scalar over lines, or an error
        return out, MappingNode(pairs, lines[first][0], col), i

    def nested(self, i: int, col: int, depth: int) -> tuple[Any, _Node, int]:
        """The block collection that is the value of a ``key:`` at column ``col``."""
        if i >= len(self.lines):
            raise _NotBlock  # an empty value: ruamel places its null
        _no, dash, lcol, key, _text, _quoted, _vcol = self.lines[i]
        if dash >= col:  # a sequence, indented or at the key's own column
            return self.sequence(i, dash, depth + 1)
        if dash == -1 and lcol > col and key is not None:
            return self.mapping(i, lcol, depth + 1)
        raise _NotBlock

    def sequence(self, i: int, dash: int, depth: int) -> tuple[list[Any], _Node, int]:
        if depth > MAX_BLOCK_DEPTH:
            raise _NotBlock
        lines, n = self.lines, len(self.lines)
        start = lines[i][0]
        out: list[Any] = []
        items: list[_Node] = []
        while i < n and lines[i][1] == dash:
            no, _dash, col, key, text, quoted, _vcol = lines[i]
            if key is not None:
                value, node, i = self.mapping(i, dash + 2, depth + 1)
            else:
                value = text if quoted else self.plain(text)  # type: ignore[arg-type]
                node = ScalarNode(text, no, col)
                i += 1
            out.append(value)
            items.append(node)
        if i < n and lines[i][2] > dash and lines[i][1] == -1:
            raise _NotBlock
        return out, SequenceNode(items, start, dash), i
