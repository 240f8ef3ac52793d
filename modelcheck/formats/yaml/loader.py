"""Bounded, position-aware YAML loading that reads documents the way MLflow does.

MLflow reads YAML with PyYAML's ``safe_load``: YAML 1.1 (``3.10`` is the float 3.1, ``yes`` is
True), later duplicate keys win, custom tags are fatal. We parse with ruamel.yaml's C parser in
YAML 1.1 mode, keep the node tree for line/column look-ups by JSON pointer, and guard against
alias bombs and deep nesting before constructing any Python objects.
"""

from __future__ import annotations

import functools
import itertools
import re
from typing import Any

from modelcheck.formats.yaml.scalars import (
    BOOLS,
    DEC_FLOAT,
    DEC_INT,
    PYYAML_BOOLS,
    decimal_float,
    is_pyyaml_float,
    is_pyyaml_int,
)
from modelcheck.records import FACTORY, Record

MAX_ALIAS_EXPANSION = 100_000
MAX_DEPTH = 64


class YamlProblem(Record):
    """Why a YAML document could not be read."""

    _fields = ("kind", "message", "line", "col")

    def __init__(self, kind: str, message: str, line: int | None = None,
                 col: int | None = None) -> None:
        self.kind = kind  # "syntax", "tag", "alias-bomb", "depth", "multi-doc"
        self.message = message
        self.line = line
        self.col = col


class Duplicate(Record):
    """A key given twice in one mapping (the later one wins)."""

    _fields = ("pointer", "key", "line", "first_line")

    def __init__(self, pointer: str, key: str, line: int, first_line: int) -> None:
        self.pointer = pointer
        self.key = key
        self.line = line
        self.first_line = first_line


class YamlDoc(Record):
    """A loaded YAML document: data, node tree for positions, problems."""

    _fields = ("data", "problem", "duplicates", "node", "_keys")
    _compare = ("data", "problem", "duplicates", "node")
    _shown = ("data", "problem", "duplicates", "node")

    def __init__(self, data: Any = None, problem: YamlProblem | None = None,
                 duplicates: list[Duplicate] = FACTORY, node: Any = None,
                 _keys: dict[int, dict[str, tuple[Any, Any]]] = FACTORY) -> None:
        self.data = data
        self.problem = problem
        self.duplicates = [] if duplicates is FACTORY else duplicates
        self.node = node
        self._keys = {} if _keys is FACTORY else _keys

    @property
    def ok(self) -> bool:
        return self.problem is None

    def _children(self, node: Any) -> dict[str, tuple[Any, Any]]:
        """A mapping node's (key node, value node) by key text; the last duplicate wins."""
        index = self._keys.get(id(node))
        if index is None:
            index = {}
            for k, v in node.value:
                kv = getattr(k, "value", None)
                if isinstance(kv, str):
                    index[kv] = (k, v)
            self._keys[id(node)] = index
        return index

    def _step(self, node: Any, part: str) -> tuple[Any, Any]:
        """(key node, value node) of ``part`` under ``node``: for a sequence item both are
        the item; (None, None) when there is no such child."""
        if type(node).__name__ == "MappingNode":
            return self._children(node).get(part, (None, None))
        if type(node).__name__ == "SequenceNode" and part.isdigit() \
                and int(part) < len(node.value):
            item = node.value[int(part)]
            return item, item
        return None, None

    def pos(self, pointer: str, *, value: bool = False) -> tuple[int | None, int | None]:
        """1-based (line, col) of the key at ``pointer`` (or of its value with ``value=True``).

        Falls back to the nearest ancestor that exists.
        """
        node = self.node
        if node is None:
            return None, None
        best: tuple[int, int] = (node.start_mark.line + 1, node.start_mark.column + 1)
        for part in split_pointer(pointer):
            child_key, child_val = self._step(node, part)
            if child_val is None:
                return best
            best = (child_key.start_mark.line + 1, child_key.start_mark.column + 1)
            node = child_val
        if value:
            return node.start_mark.line + 1, node.start_mark.column + 1
        return best

    def line(self, pointer: str, *, value: bool = False) -> int | None:
        return self.pos(pointer, value=value)[0]

    def item_lines(self, pointer: str, count: int) -> list[int | None]:
        """``[self.line(pointer + "/0"), ..., self.line(pointer + f"/{count - 1}")]``, walking
        to the sequence once instead of once per item."""
        node = self.node
        for part in split_pointer(pointer):
            if node is None:
                break
            node = self._step(node, part)[1]
        items = node.value if type(node).__name__ == "SequenceNode" else ()
        return [items[j].start_mark.line + 1 if j < len(items)
                else self.line(pointer + join_pointer(j)) for j in range(count)]


def split_pointer(pointer: str) -> list[str]:
    if not pointer or pointer == "/":
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]


def join_pointer(*parts: object) -> str:
    out = ""
    for p in parts:
        s = p if type(p) is str else str(p)
        if "~" in s or "/" in s:
            s = s.replace("~", "~0").replace("/", "~1")
        out += "/" + s
    return out


class _Local:
    """Per-thread ruamel objects (a YAML object is not thread-safe), made on first use: a
    check whose YAML the block reader takes never needs them, nor ``threading``."""

    _data: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._thread(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._thread(), name, value)

    @classmethod
    def _thread(cls) -> Any:
        if cls._data is None:
            import threading

            cls._data = threading.local()
        return cls._data


_local = _Local()


def _parser(pure: bool = False):
    attr = "pure" if pure else "yaml"
    y = getattr(_local, attr, None)
    if y is None:
        import warnings

        from ruamel.yaml import YAML
        from ruamel.yaml.error import YAMLWarning

        # ruamel's own advice (e.g. "floats should have a dot" for 1e5) is not for our users;
        # what matters about such values is reported as findings.
        warnings.filterwarnings("ignore", category=YAMLWarning)

        y = YAML(typ="safe", pure=pure)
        y.version = (1, 1)
        y.allow_duplicate_keys = True
        y.Resolver = _resolver()
        setattr(_local, attr, y)
    return y


def _is_c(y: Any) -> bool:
    return y.Parser.__name__ == "CParser"


def _compose(y: Any, text: str) -> Any:
    """``y.compose(text)``; with libyaml, without the loader class ruamel builds per call."""
    if not _is_c(y):
        return y.compose(text)
    loader = _c_loader(y)(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()
        loader.__dict__.clear()  # it refers to itself (parser, composer, loader): unlinked


def _c_loader(y: Any) -> Any:
    """The C parser + constructor + resolver class ``YAML.compose`` makes for ``y`` (once)."""
    cls = getattr(_local, "c_loader", None)
    if cls is None:
        parser, constructor, resolver = y.Parser, y.Constructor, y.Resolver

        class CLoader(parser, constructor, resolver):  # type: ignore[misc, valid-type]
            def __init__(self, stream: str) -> None:
                parser.__init__(self, stream)
                self._parser = self._composer = self
                constructor.__init__(self, loader=self)
                self.allow_duplicate_keys = y.allow_duplicate_keys
                resolver.__init__(self, version=y.version, loadumper=self)

        cls = _local.c_loader = CLoader
    return cls


_RESOLVER: Any = None
_MEMO_MAX = 50_000


_BOOL_TAG = "tag:yaml.org,2002:bool"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"


def _as_pyyaml(tag: str, value: Any, implicit: Any) -> str:
    if not (implicit and implicit[0]) or not isinstance(value, str):
        return tag
    if tag == _BOOL_TAG and value not in PYYAML_BOOLS:
        return _STR_TAG
    if tag == _FLOAT_TAG and not is_pyyaml_float(value):
        return _STR_TAG
    if tag == _INT_TAG and not is_pyyaml_int(value):
        return _STR_TAG
    return tag


def _resolver() -> Any:
    """ruamel's resolver pinned to YAML 1.1, with the tag of each plain scalar remembered.

    PyYAML, which MLflow reads with, resolves by YAML 1.1 whatever a ``%YAML`` directive says.
    ruamel's own resolver asks the scanner for the document's version on every scalar, and its
    pure-Python scanner keeps the last directive it saw: one file with ``%YAML 1.2`` turned
    ``yes`` into a string in every later file of the process. Pinning the version fixes that,
    and remembering each scalar's tag (it then depends on the text and style only) saves the
    dozen regexes and attribute misses per scalar that were most of the compose time.
    """
    global _RESOLVER
    if _RESOLVER is None:
        from ruamel.yaml.nodes import ScalarNode
        from ruamel.yaml.resolver import VersionedResolver

        memo: dict[tuple[str, Any], Any] = {}
        base_resolve = VersionedResolver.resolve

        class Yaml11Resolver(VersionedResolver):
            @property
            def processing_version(self) -> Any:
                return (1, 1)

            def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
                if kind is not ScalarNode or self.yaml_path_resolvers:
                    return base_resolve(self, kind, value, implicit)
                key = (value, implicit)
                tag = memo.get(key)
                if tag is None:
                    if len(memo) >= _MEMO_MAX:
                        memo.clear()
                    tag = base_resolve(self, kind, value, implicit)
                    if _as_pyyaml(str(tag), value, implicit) == _STR_TAG:
                        tag = self.DEFAULT_SCALAR_TAG
                    memo[key] = tag
                return tag

        _RESOLVER = Yaml11Resolver
    return _RESOLVER


def _mark(exc: Exception) -> tuple[int | None, int | None]:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is None:
        return None, None
    return mark.line + 1, mark.column + 1


def _check_tree(node: Any, dups: list[Duplicate]) -> YamlProblem | None:
    """Depth, alias expansion and duplicate keys; drops earlier duplicates (last one wins)."""
    sizes: dict[int, int] = {}
    on_stack: set[int] = set()

    def pointer(path: Any, last: Any) -> str:
        parts = [last]
        while path is not None:  # ``path`` is a linked (parent, key) pair: built per node
            path, key = path
            parts.append(key)
        return join_pointer(*reversed(parts))

    def visit(n: Any, depth: int, path: Any) -> int:
        nid = id(n)
        if nid in sizes:
            return sizes[nid]
        if depth > MAX_DEPTH:
            raise _Abort(YamlProblem("depth", f"nesting deeper than {MAX_DEPTH} levels",
                                     n.start_mark.line + 1, n.start_mark.column + 1))
        kind = type(n).__name__
        if kind == "ScalarNode":  # a leaf: counts one, cannot recurse
            sizes[nid] = 1
            return 1
        if nid in on_stack:
            raise _Abort(YamlProblem("alias-bomb", "recursive alias",
                                     n.start_mark.line + 1, n.start_mark.column + 1))
        on_stack.add(nid)
        total = 1
        if kind == "MappingNode":
            seen: dict[Any, int] = {}
            for i, (k, _v) in enumerate(n.value):
                kval = k.value if type(k).__name__ == "ScalarNode" else id(k)
                if kval in seen:
                    first = n.value[seen[kval]][0]
                    dups.append(Duplicate(pointer(path, kval), str(kval),
                                          k.start_mark.line + 1, first.start_mark.line + 1))
                seen[kval] = i
            if len(seen) != len(n.value):
                n.value[:] = [n.value[i] for i in sorted(seen.values())]
            for k, v in n.value:
                key = k.value if type(k).__name__ == "ScalarNode" else "?"
                total += visit(k, depth + 1, path) + visit(v, depth + 1, (path, str(key)))
        elif kind == "SequenceNode":
            for i, item in enumerate(n.value):
                total += visit(item, depth + 1, (path, str(i)))
        on_stack.discard(nid)
        sizes[nid] = total
        if total > MAX_ALIAS_EXPANSION:
            raise _Abort(YamlProblem(
                "alias-bomb",
                f"aliases expand to more than {MAX_ALIAS_EXPANSION} nodes (a YAML 'billion "
                "laughs' document)", n.start_mark.line + 1, n.start_mark.column + 1))
        return total

    try:
        visit(node, 0, None)
    except _Abort as abort:
        return abort.problem
    finally:
        visit = None  # type: ignore[assignment]  # a self-calling closure is a reference
        # cycle: unlinked here, the tree is freed at once, not by the garbage collector
    return None


class _Abort(Exception):
    def __init__(self, problem: YamlProblem) -> None:
        self.problem = problem


SHARED_MAX = 16 * 1024


def load_yaml_shared(text: str) -> YamlDoc:
    """:func:`load_yaml`, parsed once per process for each distinct text up to SHARED_MAX
    characters: environment files repeat across the packages of a fleet (one
    ``python_env.yaml`` for every model trained on the same Python). The document is shared,
    so it is read-only, as every parsed document given to rules already is."""
    return _load_shared(text) if len(text) <= SHARED_MAX else load_yaml(text)


@functools.lru_cache(maxsize=256)
def _load_shared(text: str) -> YamlDoc:
    return load_yaml(text)


def load_yaml(text: str) -> YamlDoc:
    """Parse one YAML document safely; never raises for bad input.

    Sound documents of plain ASCII are read with libyaml (ruamel.yaml.clib) when it is
    installed, which is several times faster; any other document (tabs, non-ASCII, anchors)
    and any document with a problem is read by ruamel's pure-Python parser, so results are
    the same whether or not libyaml is there.
    """
    if _too_deep(text):
        return YamlDoc(problem=YamlProblem(
            "depth", f"collections nest deeper than {MAX_FLOW_DEPTH} levels (a hostile or "
            "broken document; MLflow's loader would exhaust its recursion limit)"))
    from modelcheck.formats.yaml.block import read_block

    got = read_block(text)  # it takes printable ASCII only, checked as it starts
    if got is None and "\r\n" in text:
        # CR LF (a file written or checked out on Windows) is a line break like LF to every
        # YAML reader, inside scalars too: the same values, lines and columns as the LF text
        got = read_block(text.replace("\r\n", "\n"))
    if got is not None:  # the block YAML MLflow writes, read directly
        return YamlDoc(data=got[0], node=got[1])
    y = _parser()
    if _is_c(y) and _NOT_PLAIN.search(text):
        y = _parser(pure=True)
    doc = _load(y, text)
    if doc.problem is not None and _is_c(y):
        doc = _load(_parser(pure=True), text)
    return doc


MAX_FLOW_DEPTH = 256
_FLOW_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_FLOW = re.compile(r"[\[\]{}]")
_DEEP_BLOCK = re.compile(r"^[ \t-]{512}", re.M)


def _too_deep(text: str) -> bool:
    """Flow collections nested absurdly deep, checked before any recursive parsing.

    Brackets inside quoted scalars count too, so the limit is far above the tree's own
    MAX_DEPTH: only a document no parser could recurse through trips it.
    """
    if _DEEP_BLOCK.search(text):
        return True  # block nesting: hundreds of columns of indentation or "- - - ..."
    if text.count("[") + text.count("{") <= MAX_FLOW_DEPTH:
        return False
    steps = map(_FLOW_STEP.__getitem__, _FLOW.findall(text))
    return max(itertools.accumulate(steps), default=0) > MAX_FLOW_DEPTH


# libyaml and ruamel's pure parser agree on documents of printable ASCII and newlines without
# anchors or aliases; they differ on some tabs, NEL/LS/PS line breaks, control characters and
# anchors in odd places.
_NOT_PLAIN = re.compile(r"[^\x20-\x25\x27-\x29\x2b-\x7e\n]")


def _load(y: Any, text: str) -> YamlDoc:
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    doc = YamlDoc()
    try:
        node = _compose(y, text)
    except MarkedYAMLError as exc:
        line, col = _mark(exc)
        msg = " ".join(str(p) for p in (exc.context, exc.problem) if p) or str(exc)
        kind = "multi-doc" if "expected a single document" in msg else "syntax"
        doc.problem = YamlProblem(kind, msg, line, col)
        return doc
    except (YAMLError, ValueError, RecursionError) as exc:
        doc.problem = YamlProblem("syntax", str(exc).splitlines()[0] if str(exc) else "bad YAML")
        return doc
    if node is None:
        return doc
    doc.node = node
    problem = _check_tree(node, doc.duplicates)
    if problem:
        doc.problem = problem
        return doc
    try:
        doc.data = construct(y, node)
    except MarkedYAMLError as exc:
        line, col = _mark(exc)
        msg = " ".join(str(p) for p in (exc.context, exc.problem) if p) or str(exc)
        doc.problem = YamlProblem("tag" if "tag" in msg else "syntax", msg, line, col)
    except (YAMLError, ValueError, TypeError, OverflowError, RecursionError,
            IndexError) as exc:
        doc.problem = YamlProblem("syntax", f"cannot construct value: {exc}")
    return doc


def construct(y: Any, node: Any) -> Any:
    """The Python data of a checked node tree, as ruamel's safe constructor builds it.

    Trees of plain maps, sequences and scalars tagged str/null/bool or int/float in plain
    decimal form (nearly every MLmodel and environment file) are built here directly, several
    times faster; anything else (timestamps, octal, hex, sexagesimal, .inf, merge keys, other
    tags, shared nodes) goes to ruamel's constructor, which also raises the same errors.
    """
    try:
        return _fast_construct(node)
    except _NotFast:
        return y.constructor.construct_document(node)


class _NotFast(Exception):
    pass


_TAG = "tag:yaml.org,2002:"
_STR, _NULL, _BOOL, _INT, _FLOAT = (_TAG + t for t in ("str", "null", "bool", "int", "float"))
_MAP, _SEQ = _TAG + "map", _TAG + "seq"


def build_scalar(tag: str, v: str) -> Any:
    """The value of a scalar of ``tag`` (str/null/bool, or int/float in plain decimal form)
    as ruamel's safe constructor builds it; _NotFast for anything else."""
    if tag == _STR:
        return v
    if tag == _NULL:
        return None
    if tag == _BOOL:
        b = BOOLS.get(v.lower())
        if b is None:
            raise _NotFast
        return b
    if tag == _INT and DEC_INT.fullmatch(v):
        return int(v)
    if tag == _FLOAT and DEC_FLOAT.fullmatch(v):
        return decimal_float(v)
    raise _NotFast


def _fast_construct(root: Any) -> Any:
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

    seen: set[int] = set()

    def scalar(n: Any) -> Any:
        if n.__class__ is not ScalarNode:
            raise _NotFast
        return build_scalar(n.ctag.trval, n.value)

    def build(n: Any) -> Any:
        cls = n.__class__
        if cls is ScalarNode:
            return scalar(n)
        nid = id(n)
        if nid in seen:  # an alias to a collection: ruamel shares the object
            raise _NotFast
        seen.add(nid)
        tag = n.ctag.trval
        if cls is MappingNode and tag == _MAP:
            out: dict[Any, Any] = {}
            for k, v in n.value:
                key = scalar(k)
                value = build(v)
                if key not in out:  # keys equal once built (yes/1/1.0): ruamel keeps the first
                    out[key] = value
            return out
        if cls is SequenceNode and tag == _SEQ:
            return [build(item) for item in n.value]
        raise _NotFast

    try:
        return build(root)
    finally:
        build = None  # type: ignore[assignment]  # no reference cycle (see _check_tree)
