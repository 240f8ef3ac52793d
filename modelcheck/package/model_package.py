"""``ModelPackage``: a lazy, cached, read-only view of one MLflow model package.

Rules read everything through this object. Each file is read at most once (bounded by a size
cap) and each document parsed at most once; the results, including read problems, are cached.
Nothing here raises for bad package content: problems come back as values for rules to report.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from itertools import accumulate
from typing import Any, TypeVar

from modelcheck.formats.yaml.loader import YamlDoc, YamlProblem, load_yaml, load_yaml_shared
from modelcheck.records import FrozenRecord, Record
from modelcheck.sources.base import Entry, OutsidePackage, Source, normalize

TEXT_CAP = 16 * 1024 * 1024
PICKLE_CAP = 512 * 1024 * 1024
READ_BUDGET = 4 * 1024 * 1024 * 1024
MAX_LISTED_FILES = 20_000
MAX_JSON_DEPTH = 200
HEAD_WHOLE = 64 * 1024  # files up to this size are read whole when their head is asked for

T = TypeVar("T")


class Read(FrozenRecord):
    """Result of reading one file: ``data`` or a ``problem`` (never both)."""

    _fields = ("path", "data", "problem", "kind")

    def __init__(self, path: str, data: bytes | None = None, problem: str | None = None,
                 kind: str = "") -> None:
        init = object.__setattr__
        init(self, "path", path)
        init(self, "data", data)
        init(self, "problem", problem)
        # "missing", "dir", "too-large", "outside", "special", "unreadable", ""
        init(self, "kind", kind)

    @property
    def ok(self) -> bool:
        return self.data is not None


class Text(FrozenRecord):
    """A file read as text: ``text`` or a ``problem`` (never both)."""

    _fields = ("path", "text", "problem", "kind")

    def __init__(self, path: str, text: str | None = None, problem: str | None = None,
                 kind: str = "") -> None:
        init = object.__setattr__
        init(self, "path", path)
        init(self, "text", text)
        init(self, "problem", problem)
        init(self, "kind", kind)  # read kinds, plus "encoding", "binary", "empty"

    @property
    def ok(self) -> bool:
        return self.text is not None


class JsonDoc(Record):
    """A file parsed as JSON: ``data`` or a ``problem``."""

    _fields = ("data", "problem", "kind", "line", "col", "nonstandard")

    def __init__(self, data: Any = None, problem: str | None = None, kind: str = "",
                 line: int | None = None, col: int | None = None,
                 nonstandard: bool = False) -> None:
        self.data = data
        self.problem = problem
        self.kind = kind  # read/text kinds, plus "syntax", "depth"
        self.line = line
        self.col = col
        self.nonstandard = nonstandard  # NaN / Infinity tokens present

    @property
    def ok(self) -> bool:
        return self.problem is None


class ModelPackage:
    """One package. ``display`` is how paths are shown (relative to cwd, or a URL)."""

    def __init__(self, source: Source, display: str | None = None, *,
                 text_cap: int = TEXT_CAP, pickle_cap: int = PICKLE_CAP,
                 read_budget: int = READ_BUDGET) -> None:
        self.source = source
        self.display = display if display is not None else source.display
        self.text_cap = text_cap
        self.pickle_cap = pickle_cap  # largest pickle-bearing file the opcode scanner reads
        self.read_budget = read_budget  # bytes this package may read in all
        self.bytes_read = 0
        self._cache: dict[Any, Any] = {}

    def __repr__(self) -> str:
        return f"ModelPackage({self.display!r})"

    # -- generic memo for shared parsers ------------------------------------------------
    def memo(self, key: Any, build: Callable[[], T]) -> T:
        try:
            return self._cache[("memo", key)]
        except KeyError:
            value = self._cache[("memo", key)] = build()
            return value

    # -- filesystem -------------------------------------------------------------------------
    def entry(self, rel: str) -> Entry:
        """Kind of ``rel`` (symlinks inside the package followed; escaping ones reported)."""
        key = ("entry", rel)
        try:
            return self._cache[key]
        except KeyError:
            pass
        try:
            # a regular file or directory the package walk found is answered from the walk,
            # which a whole check needs anyway: one lstat per file instead of two or three
            listed = self._walk_map().get(normalize(rel)) if self.source.walk_first else None
            if listed is not None and listed.kind in ("file", "dir"):
                e = listed
            else:
                resolve = getattr(self.source, "resolve", self.source.entry)
                e = resolve(rel)
        except OutsidePackage:
            e = Entry(rel, "symlink", escapes=True)
        self._cache[key] = e
        return e

    def _walk_map(self) -> dict[str, Entry]:
        """Listed path -> entry (what :meth:`files` lists, by path)."""
        key = ("walkmap",)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = {e.path: e for e in self._listing()[0]}
        return found

    def exists(self, rel: str) -> bool:
        return self.entry(rel).kind in ("file", "dir")

    def is_file(self, rel: str) -> bool:
        return self.entry(rel).kind == "file"

    def is_dir(self, rel: str) -> bool:
        return self.entry(rel).kind == "dir"

    def files(self) -> list[Entry]:
        """Every entry in the package (capped at MAX_LISTED_FILES); symlinks not followed."""
        return self._listing()[0]

    def listing_truncated(self) -> bool:
        return self._listing()[1]

    def _listing(self) -> tuple[list[Entry], bool]:
        key = ("walk",)
        if key not in self._cache:
            self._cache[key] = self.source.walk(MAX_LISTED_FILES)
        return self._cache[key]

    # -- reading ------------------------------------------------------------------------------
    def read(self, rel: str, cap: int | None = None) -> Read:
        cap = self.text_cap if cap is None else cap
        key = ("read", rel, cap)
        try:
            return self._cache[key]
        except KeyError:
            pass
        whole = self._cache.get(("whole", rel))
        if whole is not None and len(whole.data) <= cap:
            result = whole  # the file was read whole under another cap: the same bytes
        else:
            result = self._read(rel, cap)
            if result.data is not None:  # at most ``cap`` bytes came back: the whole file
                self._cache[("whole", rel)] = result
        self._cache[key] = result
        return result

    def head(self, rel: str, n: int) -> bytes:
        """The first ``n`` bytes of the regular file ``rel`` (b"" when it cannot be read).

        A file read already, or small enough (HEAD_WHOLE) to read whole now for the rules
        that will want it, costs no second open; a large one is read only ``n`` bytes far.
        """
        whole = self._cache.get(("whole", rel))
        if whole is not None:
            return whole.data[:n]
        e = self.entry(rel)
        if e.kind != "file":
            return b""
        if e.size <= HEAD_WHOLE and self.bytes_read + e.size <= self.read_budget:
            r = self.read(rel)
            if r.data is not None:
                return r.data[:n]
        try:
            return self.source.read(rel, n)[:n]
        except (OSError, ValueError):
            return b""

    def _read(self, rel: str, cap: int) -> Read:
        e = self.entry(rel)
        if e.kind == "missing":
            return Read(rel, problem=f"{rel} does not exist", kind="missing")
        if e.kind == "dir":
            return Read(rel, problem=f"{rel} is a directory, not a file", kind="dir")
        if e.kind == "symlink":
            return Read(rel, problem=f"{rel} is a symlink that points outside the package "
                        f"({e.target})", kind="outside")
        if e.kind == "special":
            return Read(rel, problem=f"{rel} is not a regular file", kind="special")
        if e.size > cap:
            return Read(rel, problem=f"{rel} is {e.size} bytes, over the {cap}-byte limit",
                        kind="too-large")
        if self.bytes_read + min(e.size, cap) > self.read_budget:
            return Read(rel, problem=f"{rel} was not read: the package's read budget of "
                        f"{self.read_budget} bytes is spent", kind="too-large")
        try:
            data = self.source.read(rel, cap)
        except OutsidePackage as exc:
            return Read(rel, problem=str(exc), kind="outside")
        except FileNotFoundError:
            return Read(rel, problem=f"{rel} does not exist", kind="missing")
        except IsADirectoryError:
            return Read(rel, problem=f"{rel} is a directory, not a file", kind="dir")
        except OSError as exc:
            return Read(rel, problem=f"{rel} cannot be read: {exc.strerror or exc}",
                        kind="unreadable")
        self.bytes_read += len(data)
        if len(data) > cap:
            return Read(rel, problem=f"{rel} is over the {cap}-byte limit", kind="too-large")
        return Read(rel, data=data)

    def text(self, rel: str) -> Text:
        key = ("text", rel)
        if key in self._cache:
            return self._cache[key]
        r = self.read(rel)
        if not r.ok:
            t = Text(rel, problem=r.problem, kind=r.kind)
        else:
            assert r.data is not None
            if b"\x00" in r.data[:8192]:
                t = Text(rel, problem=f"{rel} is binary (contains NUL bytes), not text",
                         kind="binary")
            else:
                try:
                    t = Text(rel, text=r.data.decode("utf-8-sig"))
                except UnicodeDecodeError as exc:
                    t = Text(rel, problem=f"{rel} is not valid UTF-8 (byte {exc.start})",
                             kind="encoding")
        self._cache[key] = t
        return t

    def yaml(self, rel: str) -> YamlDoc:
        key = ("yaml", rel)
        if key in self._cache:
            return self._cache[key]
        t = self.text(rel)
        if not t.ok:
            doc = YamlDoc(problem=YamlProblem(t.kind or "read", t.problem or "unreadable"))
        else:
            assert t.text is not None
            # *.yaml (environment files) may be shared with other packages; MLmodel, which
            # names its own run and model, is parsed for this package alone
            doc = (load_yaml_shared if rel.endswith((".yaml", ".yml")) else load_yaml)(t.text)
        self._cache[key] = doc
        return doc

    def json(self, rel: str) -> JsonDoc:
        key = ("json", rel)
        if key in self._cache:
            return self._cache[key]
        t = self.text(rel)
        if not t.ok:
            doc = JsonDoc(problem=t.problem, kind=t.kind)
        else:
            assert t.text is not None
            doc = parse_json_lenient(t.text)
        self._cache[key] = doc
        return doc

    # -- MLmodel conveniences ----------------------------------------------------------------
    @property
    def mlmodel(self) -> YamlDoc:
        return self.yaml("MLmodel")

    @property
    def meta(self) -> dict[str, Any]:
        """MLmodel as a mapping ({} when absent or broken: MLmodel rules report that)."""
        doc = self.mlmodel
        return doc.data if doc.ok and isinstance(doc.data, dict) else {}

    @property
    def flavors(self) -> dict[str, dict[str, Any]]:
        fl = self.meta.get("flavors")
        if not isinstance(fl, dict):
            return {}
        return {str(k): v for k, v in fl.items() if isinstance(v, dict)}

    @property
    def pyfunc(self) -> dict[str, Any] | None:
        return self.flavors.get("python_function")

    @property
    def mlflow_version(self):  # -> packaging.version.Version | None
        """The writer's MLflow version, parsed (None when absent or invalid)."""
        return self.memo("mlflow_version", self._mlflow_version)

    def _mlflow_version(self):
        raw = self.meta.get("mlflow_version")
        if raw is None:
            return None
        from packaging.version import Version

        try:
            return Version(str(raw))
        except ValueError:  # InvalidVersion, or an int too long to parse
            return None

    def line(self, pointer: str, *, value: bool = False) -> int | None:
        """Line in MLmodel of the key at ``pointer``."""
        return self.mlmodel.line(pointer, value=value)


def parse_json_lenient(text: str) -> JsonDoc:
    """``json.loads`` as MLflow reads examples: NaN/Infinity accepted, depth bounded."""
    flags = {"nan": False}

    def constant(tok: str) -> float:
        flags["nan"] = True
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[tok]

    if _json_too_deep(text):
        return JsonDoc(problem=f"JSON nested deeper than {MAX_JSON_DEPTH} levels", kind="depth")
    try:
        data = json.loads(text, parse_constant=constant)
    except json.JSONDecodeError as exc:
        return JsonDoc(problem=f"invalid JSON: {exc.msg}", kind="syntax", line=exc.lineno,
                       col=exc.colno)
    except (RecursionError, ValueError) as exc:
        return JsonDoc(problem=f"invalid JSON: {exc}", kind="syntax")
    return JsonDoc(data=data, nonstandard=flags["nan"])


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _json_too_deep(text: str) -> bool:
    """True when brackets (outside strings) nest deeper than MAX_JSON_DEPTH."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return False
    steps = map(_STEP.__getitem__, _BRACKETS.findall(_STRING.sub("", text)))
    return max(accumulate(steps), default=0) > MAX_JSON_DEPTH
