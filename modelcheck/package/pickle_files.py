"""Which files of a package are pickles, and their scans (shared by the MC62x rules).

A file is scanned when MLmodel names it as a pickled payload (sklearn ``pickled_model`` unless
skops, pyfunc ``python_model``, statsmodels/pmdarima ``data``...: ``formats.flavors.pickled_keys``,
from what each flavor really writes; prophet's JSON ``model.pr`` is not one), when its extension
is a pickle-bearing one (``.pkl``, ``.joblib``, ``.pt``, ``.pth``, ``.ckpt``...), or when its
first bytes are a pickle PROTO header whatever its name. Zip checkpoints are scanned member by
member. A file MLmodel names as JSON holding base64-encoded pickles (diviner's ``data``:
``formats.flavors.EMBEDDED_PICKLE_KEYS``) is searched string by string and each such pickle
scanned (``formats.pickle.embedded``); it counts as a pickle file when it holds one. Git LFS
pointer files are recognised and not scanned. Reads go through the package
(contained, capped), except that a large file of a local package is memory-mapped by its source
(``pkg.mapped(rel)``: a read-only ``mmap`` of a contained regular file, None when the source
cannot map) and scanned in place, so the size cap (``--max-pickle-bytes``) only bounds remote reads.

Each file is also placed relative to MLmodel: ``referenced`` is the MLmodel pointer that names
it, or names a directory holding it (pytorch ``model_data: data`` holds ``data/model.pth``);
a file no flavor references is a stray copy MLflow does not load (still scanned: a hostile
file is hostile wherever it is).
"""

from __future__ import annotations

import time
from typing import Any

from modelcheck.formats.flavors import EMBEDDED_PICKLE_KEYS, PYFUNC, pickled_keys
from modelcheck.formats.pickle.scanner import PICKLE_EXTS, PickleScan, scan_bytes
from modelcheck.package.model_package import ModelPackage
from modelcheck.records import Record

MAX_PICKLE_BYTES = 512 * 1024 * 1024
# local files up to this size are read through the package (cached, shared with other rules);
# larger ones (or ones over the pickle cap) are memory-mapped when the source can
MAP_ABOVE = 16 * 1024 * 1024
TIME_BUDGET_S = 20.0
# never sniffed: text and well-known non-pickle binaries
SKIP_SNIFF = (".json", ".yaml", ".yml", ".txt", ".md", ".py", ".csv", ".tsv", ".html",
              ".png", ".jpg", ".jpeg", ".gif", ".svg", ".parquet", ".crc", ".pb", ".onnx",
              ".ubj", ".xgb", ".lgb", ".cbm", ".h5", ".keras", ".safetensors", ".skops",
              ".index", ".npy", ".npz", ".cfg", ".ini", ".toml", ".ipynb", ".log")
# python_function keys whose file may be a pickle; a built-in flavor's pickled keys come from
# formats.flavors.pickled_keys (by what MLflow writes: prophet's model.pr is JSON, not a pickle)
PYFUNC_PICKLE_KEYS = ("python_model", "model_path", "data")
LFS_HEAD = b"version https://git-lfs.github.com/spec/"
# flavor keys whose path is not something the flavor deserializes
NOT_LOADED_KEYS = ("code", "env", "conda", "virtualenv", "python_env", "code_paths")


class PickleFile(Record):
    """A file of the package taken for a pickle, and its scan."""

    _fields = ("path", "why", "pointer", "scan", "problem", "problem_kind", "lfs", "referenced")

    def __init__(self, path: str, why: str, pointer: str = "", scan: PickleScan | None = None,
                 problem: str | None = None, problem_kind: str = "", lfs: bool = False,
                 referenced: str = "") -> None:
        self.path = path
        self.why = why  # how it was picked: "named by MLmodel /flavors/...", "extension", "content"
        self.pointer = pointer  # MLmodel pointer when MLmodel names the file
        self.scan = scan
        self.problem = problem  # could not be read (too large, outside, ...)
        self.problem_kind = problem_kind
        self.lfs = lfs
        # the MLmodel pointer naming the file or a directory holding it; "" for a stray file
        self.referenced = referenced


def is_lfs_pointer(pkg: ModelPackage, rel: str) -> bool:
    e = pkg.entry(rel)
    return e.kind == "file" and e.size < 1024 and pkg.head(rel, len(LFS_HEAD)) == LFS_HEAD


def named_pickles(pkg: ModelPackage) -> dict[str, str]:
    """Package-relative path -> MLmodel pointer, for files MLmodel names as pickles."""
    out: dict[str, str] = {}
    for flavor, conf in pkg.flavors.items():
        if not isinstance(conf, dict):
            continue
        keys = PYFUNC_PICKLE_KEYS if flavor == PYFUNC else pickled_keys(flavor, conf)
        for key in keys:
            rel = _named_file(pkg, conf, key)
            if rel is None:
                continue
            if flavor == "sklearn" and rel.endswith(".skops"):
                continue
            # pyfunc's model_path/data name whatever the native flavor wrote (skops, JSON, a
            # native format...): a pickle only when it looks like one
            if flavor == PYFUNC and key != "python_model" \
                    and not _sniff(pkg, rel) and not rel.endswith(PICKLE_EXTS):
                continue
            out.setdefault(rel, f"/flavors/{flavor}/{key}")
    return out


def embedded_pickles(pkg: ModelPackage) -> dict[str, str]:
    """Package-relative path -> MLmodel pointer, for files MLmodel names as JSON holding
    base64-encoded pickles (diviner's ``data``: see ``formats.pickle.embedded``)."""
    out: dict[str, str] = {}
    for flavor, keys in EMBEDDED_PICKLE_KEYS.items():
        conf = pkg.flavors.get(flavor)
        if not isinstance(conf, dict):
            continue
        for key in keys:
            rel = _named_file(pkg, conf, key)
            if rel is not None:
                out.setdefault(rel, f"/flavors/{flavor}/{key}")
    return out


def _named_file(pkg: ModelPackage, conf: dict, key: str) -> str | None:
    """The package file a flavor key names (a relative path to a regular file), or None."""
    val = conf.get(key)
    if not isinstance(val, str) or not val or val.startswith("/"):
        return None
    rel = val.strip("/")
    return rel if rel and pkg.entry(rel).kind == "file" else None


def references(pkg: ModelPackage) -> dict[str, str]:
    """Package-relative path -> MLmodel pointer, for every file or directory a flavor names
    (any string value, nested dicts and lists included: pyfunc ``artifacts``, custom flavors'
    keys), except code and environment paths."""
    out: dict[str, str] = {}
    for flavor, conf in pkg.flavors.items():
        _walk_references(pkg, conf, f"/flavors/{flavor}", 0, out)
    return out


def _walk_references(pkg: ModelPackage, value: Any, ptr: str, depth: int,
                     out: dict[str, str]) -> None:
    # a module function, not a closure: a nested function that calls itself is a reference
    # cycle, which would keep the whole package alive until the garbage collector runs
    if depth > 6:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, str) and k not in NOT_LOADED_KEYS:
                _walk_references(pkg, v, f"{ptr}/{k}", depth + 1, out)
    elif isinstance(value, list):
        for i, v in enumerate(value[:200]):
            _walk_references(pkg, v, f"{ptr}/{i}", depth + 1, out)
    elif isinstance(value, str) and value and not value.startswith("/") \
            and "\n" not in value and len(value) < 1024:
        rel = value.strip("/")
        if rel and rel not in out and pkg.entry(rel).kind in ("file", "dir"):
            out[rel] = ptr


def _referenced(rel: str, refs: dict[str, str]) -> str:
    if rel in refs:
        return refs[rel]
    parts = rel.split("/")
    for i in range(len(parts) - 1, 0, -1):
        ptr = refs.get("/".join(parts[:i]))
        if ptr:
            return ptr
    return ""


def _sniff(pkg: ModelPackage, rel: str) -> bool:
    h = pkg.head(rel, 4)
    return len(h) >= 2 and h[0] == 0x80 and 2 <= h[1] <= 5


def pickle_files(pkg: ModelPackage) -> list[PickleFile]:
    return pkg.memo("pickle_files", lambda: _pickle_files(pkg))


def _pickle_files(pkg: ModelPackage) -> list[PickleFile]:
    named = named_pickles(pkg)
    found: dict[str, PickleFile] = {}
    for rel, ptr in named.items():
        found[rel] = PickleFile(rel, f"named by MLmodel {ptr}", ptr)
    for e in pkg.files():
        if e.kind != "file" or e.path in found:
            continue
        low = e.path.lower()
        if low.endswith(PICKLE_EXTS):
            if low.endswith(".bin") and not _sniff(pkg, e.path) \
                    and pkg.head(e.path, 4) != b"PK\x03\x04":
                continue  # .bin is only a pickle when it looks like one
            found[e.path] = PickleFile(e.path, "pickle file extension")
        elif not low.endswith(SKIP_SNIFF) and e.size >= 8 and _sniff(pkg, e.path):
            found[e.path] = PickleFile(e.path, "content is a pickle")
    refs = references(pkg)
    deadline = time.monotonic() + TIME_BUDGET_S
    for pf in sorted(found.values(), key=lambda p: p.path):
        pf.referenced = pf.pointer or _referenced(pf.path, refs)
        if not pf.referenced:
            pf.why = f"{pf.why}; not referenced by MLmodel"
        if is_lfs_pointer(pkg, pf.path):
            pf.lfs = True
            continue
        with mapped_or_read(pkg, pf.path) as (data, problem, kind):
            if data is None:
                pf.problem, pf.problem_kind = problem, kind
                continue
            pf.scan = scan_bytes(data, deadline=deadline)
    for rel, ptr in embedded_pickles(pkg).items():
        if rel not in found:
            pf = _embedded(pkg, rel, ptr, deadline)
            if pf is not None:
                found[rel] = pf
    return sorted(found.values(), key=lambda p: p.path)


def _embedded(pkg: ModelPackage, rel: str, ptr: str, deadline: float) -> PickleFile | None:
    """The file ``rel`` (JSON holding base64 pickles) as a pickle-bearing file: when it holds
    any, or could not be read or searched (fail closed: what was not searched is not known
    to hold none); None for a JSON document without one."""
    from modelcheck.formats.pickle.embedded import NotJson, scan_json_base64

    why = f"named by MLmodel {ptr}: JSON holding base64-encoded pickles"
    r = pkg.read(rel, pkg.pickle_cap)
    if r.data is None:
        return PickleFile(rel, why, ptr, problem=r.problem, problem_kind=r.kind, referenced=ptr)
    try:
        scan = scan_json_base64(r.data, rel, deadline)
    except NotJson:
        return None  # not JSON: the loader fails on it (not a pickle finding), nothing to scan
    if not (scan.pickles or scan.problems or scan.limits or scan.globals):
        return None
    return PickleFile(rel, why, ptr, scan=scan, referenced=ptr)


class mapped_or_read:  # noqa: N801 - used as a function, in a with statement
    """``(data, problem, kind)`` of a pickle-bearing file: a memory map of a large local file
    (closed on exit), else the package read under the pickle cap."""

    def __init__(self, pkg: ModelPackage, rel: str) -> None:
        self.pkg, self.rel, self.map = pkg, rel, None

    def __enter__(self) -> tuple[Any, str | None, str]:
        e = self.pkg.entry(self.rel)
        cap = self.pkg.pickle_cap
        if e.kind == "file" and e.size > min(MAP_ABOVE, cap):
            self.map = self.pkg.mapped(self.rel)  # None for a remote package
            if self.map is not None:
                return self.map, None, ""
        r = self.pkg.read(self.rel, cap)
        return r.data, r.problem, r.kind

    def __exit__(self, *exc: object) -> None:
        if self.map is not None:
            self.map.close()
