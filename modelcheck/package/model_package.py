"""``ModelPackage``: a lazy, cached, read-only view of one MLflow model package.

Rules read everything through this object. Each file is read at most once (bounded by a size
cap) and each document parsed at most once; the results, including read problems, are cached.
Nothing here raises for bad package content: problems come back as values for rules to report.

This is also the ONE place that classifies a failed read. What the operating system refused
(permission denied, an I/O error, a file that vanished or changed kind while being checked, a
folder that cannot be listed) is not a defect of the package: it is recorded in
:attr:`ModelPackage.failures` (path -> what failed and the OS's reason), and the engine turns
each record into a tool failure (MC902, exit 2) after the rules ran. The read itself comes back
with ``kind == "unreadable"``, which the rules leave alone. Content that cannot be decoded
(binary, UTF-16/UTF-32, invalid UTF-8, over the size cap) is the package's: it comes back as a
problem with its own ``kind`` for the rule family of that file to report.
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
from modelcheck.sources.base import Entry, OutsidePackage, Source, normalize, os_reason

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
        # "missing", "dir", "outside", "special": what the package holds at that path;
        # "too-large" (over the cap) and "budget" (the package's read budget is spent): not
        # read, by modelcheck's limits; "unreadable": the OS refused (recorded as a failure)
        init(self, "kind", kind)

    @property
    def ok(self) -> bool:
        return self.data is not None


class Text(FrozenRecord):
    """A file read as text: ``text`` or a ``problem`` (never both)."""

    _fields = ("path", "text", "problem", "kind", "bom")

    def __init__(self, path: str, text: str | None = None, problem: str | None = None,
                 kind: str = "", bom: bool = False) -> None:
        init = object.__setattr__
        init(self, "path", path)
        init(self, "text", text)
        init(self, "problem", problem)
        # read kinds, plus DECODE_KINDS: "binary", "encoding" (not UTF-8), "utf-16", "utf-32"
        init(self, "kind", kind)
        init(self, "bom", bom)  # the file starts with a UTF-8 byte-order mark (not in text)

    @property
    def ok(self) -> bool:
        return self.text is not None


# what a Text's ``kind`` may say about content that cannot be decoded as UTF-8 text, and about
# content modelcheck did not read by its own limits: the package's problem, for its file's rules
DECODE_KINDS = frozenset({"binary", "encoding", "utf-16", "utf-32"})
LIMIT_KINDS = frozenset({"too-large", "budget"})


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


_META = ("meta",)
_FLAVORS = ("flavors",)


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
        # path -> what the OS refused there ("cannot be read (Permission denied)..."); "" is the
        # package folder. The engine reports each as MC902 (see the module docstring).
        self.failures: dict[str, str] = {}
        self._cache: dict[Any, Any] = {}
        self._memo: dict[Any, Any] = {}  # what :meth:`memo` built, by its key

    def __repr__(self) -> str:
        return f"ModelPackage({self.display!r})"

    def fail(self, rel: str, what: str) -> None:
        """Record that the OS refused ``rel`` (``what``: "cannot be read (<OS reason>): ...");
        the first record of a path is kept."""
        self.failures.setdefault(rel, what)

    # -- generic memo for shared parsers ------------------------------------------------
    def memo(self, key: Any, build: Callable[[], T]) -> T:
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = build()
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
        if e.kind == "unreadable":
            self.fail(e.path, f"cannot be examined ({e.error}): modelcheck could not check it")
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
            listing = self._cache[key] = self.source.walk(MAX_LISTED_FILES)
            for rel, reason in self.source.walk_failures:
                self.fail(rel, f"cannot be listed ({reason}): nothing in it was checked")
            for e in listing[0]:
                if e.kind == "unreadable":
                    self.fail(e.path, f"cannot be examined ({e.error}): modelcheck could not "
                              "check it")
        return self._cache[key]

    # -- reading ------------------------------------------------------------------------------
    def mapped(self, rel: str):  # -> mmap.mmap | None
        """A read-only memory map of the package file ``rel`` when the source can map it (a
        local package), else None. Never raises: the caller then uses :meth:`read`, which
        records why the file cannot be read. Not cached and not counted in the read budget
        (the OS pages the file in and out; nothing is copied); the caller closes it."""
        if self.entry(rel).kind != "file":
            return None
        try:
            return self.source.mapped(rel)
        except (OutsidePackage, OSError, ValueError):
            return None

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
        except OutsidePackage:
            return b""
        except OSError as exc:  # listed as a regular file a moment ago: the OS refused
            self.fail(e.path, f"cannot be read ({os_reason(exc)}): modelcheck could not check it")
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
        if e.kind == "unreadable":  # recorded by entry()
            return Read(rel, problem=f"{rel} cannot be examined: {e.error}", kind="unreadable")
        if e.size > cap:
            return Read(rel, problem=f"{rel} is {e.size} bytes, over modelcheck's {cap}-byte "
                        "limit for the files it reads: it was not checked", kind="too-large")
        if self.bytes_read + min(e.size, cap) > self.read_budget:
            return Read(rel, problem=f"{rel} was not read: the package's read budget of "
                        f"{self.read_budget} bytes is spent", kind="budget")
        try:
            data = self.source.read(rel, cap)
        except OutsidePackage as exc:
            return Read(rel, problem=str(exc), kind="outside")
        except OSError as exc:
            # the entry said "a regular file": whatever fails now is the OS's (denied, an
            # I/O error, the file vanished or became something else while being checked)
            if isinstance(exc, FileNotFoundError):
                why = "it vanished while being checked"
            elif isinstance(exc, IsADirectoryError):
                why = "it became a folder while being checked"
            else:
                why = os_reason(exc)
            self.fail(e.path, f"cannot be read ({why}): modelcheck could not check it")
            return Read(rel, problem=f"{rel} cannot be read: {why}", kind="unreadable")
        self.bytes_read += len(data)
        if len(data) > cap:
            return Read(rel, problem=f"{rel} grew past modelcheck's {cap}-byte limit for the "
                        "files it reads: it was not checked", kind="too-large")
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
            t = decode_text(rel, r.data)
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
        try:
            return self._cache[_META]
        except KeyError:
            pass
        doc = self.mlmodel
        found = self._cache[_META] = doc.data if doc.ok and isinstance(doc.data, dict) else {}
        return found

    @property
    def flavors(self) -> dict[str, dict[str, Any]]:
        """MLmodel's flavors that are mappings, by name (read by most rules: built once per
        package; rules read it and never change it)."""
        try:
            return self._cache[_FLAVORS]
        except KeyError:
            pass
        fl = self.meta.get("flavors")
        found = self._cache[_FLAVORS] = {str(k): v for k, v in fl.items()
                                         if isinstance(v, dict)} if isinstance(fl, dict) else {}
        return found

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


_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_BOM_STARTS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
# bytes that text never holds: C0 controls other than tab, newlines, form feed, escape; DEL
_CONTROL = bytes([*range(0, 9), 11, *range(14, 27), *range(28, 32), 127])


def decode_text(rel: str, data: bytes) -> Text:
    """``data`` as UTF-8 text (a UTF-8 byte-order mark dropped and flagged), or the reason it
    is not: UTF-16/UTF-32 (by their byte-order mark, or UTF-16 by its NUL pattern), binary
    (NUL or control bytes), or another 8-bit encoding (the first invalid byte and its line)."""
    bom = data.startswith(b"\xef\xbb\xbf")
    if not bom and data.startswith(_BOM_STARTS):
        for mark, enc in _BOMS:
            if data.startswith(mark):
                return Text(rel, problem=f"{rel} is {enc.upper()} text (it starts with a "
                            f"{enc.upper()} byte-order mark), not UTF-8", kind=enc)
    if not bom and b"\x00" in data[:8192]:
        head = data[:512]
        odd, even = head[1::2], head[0::2]
        zeros, chars = (odd, even) if head[1:2] == b"\x00" else (even, odd)
        if len(head) >= 4 and zeros.count(0) >= len(zeros) * 0.9 \
                and chars.count(0) <= len(chars) * 0.1:
            return Text(rel, problem=f"{rel} looks like UTF-16 text without a byte-order mark "
                        "(every other byte is NUL), not UTF-8", kind="utf-16")
        return Text(rel, problem=f"{rel} is binary data (it contains NUL bytes), not text",
                    kind="binary")
    try:
        return Text(rel, text=(data[3:] if bom else data).decode("utf-8"), bom=bom)
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if bom else 0)
        head = data[:8192]
        if len(head.translate(None, _CONTROL)) < len(head) * 0.95:
            return Text(rel, problem=f"{rel} is binary data (control bytes throughout), not "
                        "text", kind="binary")
        line = data.count(b"\n", 0, start) + 1
        return Text(rel, problem=f"{rel} is not UTF-8: byte 0x{data[start]:02x} at offset "
                    f"{start} (line {line}) is invalid; the file is in another encoding "
                    "(Latin-1, Windows-1252...) or damaged", kind="encoding")


def text_fix(t: Text, cap: int, restore: str) -> str:
    """How to fix the file behind ``t``, which is not readable text by its ``kind``
    (``restore``: what restores it when it is binary, e.g. "restore X from the run")."""
    rel = t.path
    if t.kind == "utf-16":
        return (f"PowerShell's `>` writes UTF-16; re-save {rel} as UTF-8 (Out-File -Encoding "
                "utf8, or UTF-8 in the editor's save dialog)")
    if t.kind == "utf-32":
        return f"re-save {rel} as UTF-8"
    if t.kind == "encoding":
        return f"re-save {rel} as UTF-8 (convert it from the encoding it was written in)"
    if t.kind == "too-large":
        return (f"raise max-file-bytes in the modelcheck config (now {cap} bytes) to check "
                f"it, or make {rel} smaller")
    if t.kind == "budget":
        return ("raise max-package-read-bytes in the modelcheck config, or remove the files "
                "the model does not need")
    return restore


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
