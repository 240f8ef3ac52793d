"""Which files of a package are pickles, and their scans (shared by the MC62x rules).

A file is scanned when MLmodel names it as a pickled payload (sklearn ``pickled_model``, pyfunc
``python_model``, statsmodels/pyfunc ``data``...), when its extension is a pickle-bearing one
(``.pkl``, ``.joblib``, ``.pt``, ``.pth``, ``.ckpt``...), or when its first bytes are a pickle
PROTO header whatever its name. Zip checkpoints are scanned member by member. Git LFS pointer
files are recognised and not scanned. All reads go through the package (contained, capped).
"""

from __future__ import annotations

import time

from modelcheck.formats.pickle.scanner import PICKLE_EXTS, PickleScan, scan_bytes
from modelcheck.package.model_package import ModelPackage
from modelcheck.records import Record

MAX_PICKLE_BYTES = 512 * 1024 * 1024
TIME_BUDGET_S = 20.0
# never sniffed: text and well-known non-pickle binaries
SKIP_SNIFF = (".json", ".yaml", ".yml", ".txt", ".md", ".py", ".csv", ".tsv", ".html",
              ".png", ".jpg", ".jpeg", ".gif", ".svg", ".parquet", ".crc", ".pb", ".onnx",
              ".ubj", ".xgb", ".lgb", ".cbm", ".h5", ".keras", ".safetensors", ".skops",
              ".index", ".npy", ".npz", ".cfg", ".ini", ".toml", ".ipynb", ".log")
PICKLE_KEYS = {  # flavor -> keys whose file is a pickle
    "sklearn": ("pickled_model",),
    "python_function": ("python_model", "model_path", "data"),
    "statsmodels": ("data",),
    "paddle": ("pickled_model",),
    "lightgbm": ("data",),
    "pmdarima": ("data",),
    "prophet": ("data",),
    "pytorch": ("model_data",),
}
LFS_HEAD = b"version https://git-lfs.github.com/spec/"


class PickleFile(Record):
    """A file of the package taken for a pickle, and its scan."""

    _fields = ("path", "why", "pointer", "scan", "problem", "problem_kind", "lfs")

    def __init__(self, path: str, why: str, pointer: str = "", scan: PickleScan | None = None,
                 problem: str | None = None, problem_kind: str = "", lfs: bool = False) -> None:
        self.path = path
        self.why = why  # how it was picked: "named by MLmodel /flavors/...", "extension", "content"
        self.pointer = pointer  # MLmodel pointer when MLmodel names the file
        self.scan = scan
        self.problem = problem  # could not be read (too large, outside, ...)
        self.problem_kind = problem_kind
        self.lfs = lfs


def is_lfs_pointer(pkg: ModelPackage, rel: str) -> bool:
    e = pkg.entry(rel)
    return e.kind == "file" and e.size < 1024 and pkg.head(rel, len(LFS_HEAD)) == LFS_HEAD


def named_pickles(pkg: ModelPackage) -> dict[str, str]:
    """Package-relative path -> MLmodel pointer, for files MLmodel names as pickles."""
    out: dict[str, str] = {}
    for flavor, conf in pkg.flavors.items():
        for key in PICKLE_KEYS.get(flavor, ()):
            val = conf.get(key)
            if not isinstance(val, str) or not val:
                continue
            rel = val.strip("/") if not val.startswith("/") else ""
            if not rel or pkg.entry(rel).kind != "file":
                continue
            if flavor == "sklearn" and rel.endswith(".skops"):
                continue
            if flavor in ("python_function", "lightgbm") and key != "python_model" \
                    and not _sniff(pkg, rel) and not rel.endswith(PICKLE_EXTS):
                continue
            out.setdefault(rel, f"/flavors/{flavor}/{key}")
    return out


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
    deadline = time.monotonic() + TIME_BUDGET_S
    for pf in sorted(found.values(), key=lambda p: p.path):
        if is_lfs_pointer(pkg, pf.path):
            pf.lfs = True
            continue
        r = pkg.read(pf.path, getattr(pkg, "pickle_cap", MAX_PICKLE_BYTES))
        if not r.ok:
            pf.problem, pf.problem_kind = r.problem, r.kind
            continue
        assert r.data is not None
        pf.scan = scan_bytes(r.data, deadline=deadline)
    return sorted(found.values(), key=lambda p: p.path)
