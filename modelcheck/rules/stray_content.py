"""MC652-MC653: whole trees shipped in a model folder that are no part of the model: a nested
MLflow tracking store, and folders of native executables no flavor references."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from modelcheck.results import Hit, Level
from modelcheck.rule import rule

_DIGITS = re.compile(r"^\d+$")
_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_LOGGED_MODEL = re.compile(r"^m-[0-9a-f]{32}$")
_STORE_NAMES = ("mlruns", "mlartifacts")
_RUN_PARTS = ("meta.yaml", "artifacts", "metrics", "params", "tags", "inputs", "outputs")
# MLflow's own folders whose content belongs to the model even when no key names each file:
# code_paths copies, pyfunc artifacts, flavors' extra files, add_libraries_to_model wheels
_MLFLOW_DIRS = ("code", "artifacts", "extra_files", "wheels")
_BINARY_EXTS = (".exe", ".dll", ".so", ".dylib", ".pyd", ".bin", ".out", ".o", ".sys")
HEADER_READS = 2000  # files whose first bytes are read, at most, per package
_WARN_AT = 3  # executables in one folder that make it a copied tree, not a one-off


def flavor_strings(pkg) -> Iterator[str]:
    """Every string under `flavors` in MLmodel (keys of custom flavors included)."""
    stack: list[object] = [pkg.flavors]
    seen = 0
    while stack and seen < 10_000:
        v = stack.pop()
        seen += 1
        if isinstance(v, str):
            yield v
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)


def referenced_roots(pkg, *, mlflow_dirs: bool = True) -> list[str]:
    """Package paths a flavor key names (files or folders), normalized, plus (unless told
    otherwise) MLflow's own folders (worked out once per package)."""
    return pkg.memo(("referenced_roots", mlflow_dirs), lambda: sorted(
        {*_flavor_roots(pkg), *(_MLFLOW_DIRS if mlflow_dirs else ())}))


def _file_store_roots(pkg) -> list[str]:
    """:func:`store_roots` of the package's files (once per package)."""
    return pkg.memo("store_roots",
                    lambda: store_roots(e.path for e in pkg.files() if e.kind == "file"))


def _flavor_roots(pkg) -> set[str]:
    """The package paths flavor keys name (once per package, for both forms of
    :func:`referenced_roots`)."""
    return pkg.memo("flavor_roots", lambda: _named_roots(pkg))


def _named_roots(pkg) -> set[str]:
    roots = set()
    for v in flavor_strings(pkg):
        if not v or ":" in v or v.startswith(("/", "\\", "~")):
            continue  # a URI, an absolute path: not a package path
        p = posixpath.normpath(v.replace("\\", "/"))
        if p not in (".", "") and not p.startswith(".."):
            roots.add(p)
    return roots


def _under(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r + "/") for r in roots)


def _store_root(parts: list[str]) -> str | None:
    """The tracking-store root of the file ``parts`` (``""`` for the package root), or None.

    MLflow's file store keeps `<root>/<experiment id>/meta.yaml`, runs as
    `<root>/<experiment id>/<32-hex run id>/{meta.yaml,artifacts,metrics,params,tags}` and
    (3.x) logged models as `<root>/<experiment id>/models/m-<32 hex>/`; an `mlartifacts`
    server root has `<experiment id>/<run id>/artifacts/`."""
    for i in range(len(parts) - 1):
        if not _DIGITS.match(parts[i]):
            continue
        nxt = parts[i + 1]
        after = parts[i + 2] if i + 2 < len(parts) else None
        named = i > 0 and parts[i - 1] in _STORE_NAMES
        if (nxt == "meta.yaml" and after is None) \
                or (_HEX32.match(nxt) and after in _RUN_PARTS
                    and (named or after == "meta.yaml"
                         or (after != "artifacts" and i + 3 < len(parts)))) \
                or (nxt == "models" and after is not None and _LOGGED_MODEL.match(after)
                    and (named or parts[-1] == "meta.yaml")):
            return "/".join(parts[:i])
    return None


def store_roots(paths) -> list[str]:
    """The outermost tracking-store roots among the file ``paths`` (a store nested in another
    store is part of it), longest first so that a file is counted in the deepest match."""
    found = {r for p in paths if (r := _store_root(p.split("/"))) is not None}
    outer = [r for r in found
             if not any(o != r and (not o or r.startswith(o + "/")) for o in found)]
    return sorted(outer, key=len, reverse=True)


def _size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB"):
        if size < 1024:
            return f"{n} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


class _Store:
    """What one nested tracking store holds."""

    __slots__ = ("exps", "runs", "models", "files", "size")

    def __init__(self) -> None:
        self.exps: set[str] = set()
        self.runs: set[str] = set()
        self.models: set[str] = set()
        self.files = 0
        self.size = 0


@rule("MC652", "nested-tracking-store", Level.WARNING, tags=("hygiene", "privacy"))
def nested_tracking_store(pkg):
    """An MLflow tracking store (`mlruns/`) is shipped inside the model package.

    What it checks
    Folders laid out as MLflow's file tracking store: `<experiment id>/meta.yaml`, runs under
    `<experiment id>/<32-hex run id>/` with `meta.yaml`, `metrics/`, `params/`, `tags/`,
    `artifacts/`, MLflow 3 logged models under `<experiment id>/models/m-<id>/`, or an
    `mlruns/`/`mlartifacts/` folder holding `<experiment id>/<run id>/artifacts/`. One
    finding per store, with its experiments, runs, models and size. A store that a flavor
    key names itself (a pyfunc artifact pointing at it) is not reported; one inside a folder
    a key names (`code/`, an artifact copied from the project root) is.

    Why it matters
    A tracking store is no part of the model: it ships other runs' parameters, metrics and
    tags (`mlflow.user`, source paths, git commits), often other models and data sets, to
    every registry, image and host the package is copied to, and it can dwarf the model.
    It gets in when the model is saved or logged from a folder that holds `mlruns/` (e.g.
    `log_artifacts(".")`, `code_paths=["."]`, or a package saved into the project root).

    Example
    `mlruns/0/meta.yaml` and `mlruns/0/4f7f7ec530f64c0d9f3ce7ad0c505635/artifacts/model/...`
    next to `MLmodel`.

    How to fix
    Delete the store from the package, and save or log the model from a folder that does not
    contain the tracking store (or keep the store elsewhere: `MLFLOW_TRACKING_URI`).
    """
    refs = [r for r in referenced_roots(pkg, mlflow_dirs=False) if r not in _MLFLOW_DIRS]
    files = [e for e in pkg.files() if e.kind == "file"]
    roots = [r for r in _file_store_roots(pkg)
             if not (r and any(_under(ref, [r]) for ref in refs))]
    stores = {r: _Store() for r in roots}
    for e in files:
        root = next((r for r in roots if not r or e.path.startswith(r + "/")), None)
        if root is None:
            continue
        st = stores[root]
        rel = e.path.split("/")[len(root.split("/")) if root else 0:]
        if _DIGITS.match(rel[0]):
            st.exps.add(rel[0])
            if len(rel) > 2 and _HEX32.match(rel[1]):
                st.runs.add(rel[1])
        if rel[-1] == "MLmodel":
            st.models.add("/".join(rel[:-1]))
        st.files += 1
        st.size += e.size
    for root, st in sorted(stores.items()):
        where = f"{root}/" if root else "the package root"
        via = " (copied in through code_paths)" if root.startswith("code/") else ""
        yield Hit(f"{where} is an MLflow tracking store{via}: {len(st.exps)} experiment(s), "
                  f"{len(st.runs)} run(s), {len(st.models)} MLmodel(s), {st.files} files, "
                  f"{_size(st.size)}. It is no part of the model and ships other runs' "
                  "parameters, metrics, tags (user names, source paths) and artifacts with "
                  "every copy", file=root or None, key=root or ".",
                  fix=f"delete {where} from the package and save or log the model from a "
                      "folder that does not contain the tracking store")


def native_kind(head: bytes) -> str | None:
    """'ELF', 'Mach-O' or 'PE' when ``head`` (the file's first bytes, 1 KB is enough) starts
    a native executable or library, else None."""
    if head[:4] == b"\x7fELF":
        return "ELF"
    if head[:4] in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe",
                    b"\xcf\xfa\xed\xfe"):
        return "Mach-O"
    if head[:4] == b"\xca\xfe\xba\xbe" and len(head) >= 8 \
            and int.from_bytes(head[4:8], "big") < 45:  # a Java class has version >= 45 here
        return "Mach-O"
    if head[:2] == b"MZ" and len(head) >= 64:
        off = int.from_bytes(head[60:64], "little")
        if head[off:off + 4] == b"PE\0\0":
            return "PE"
    return None


def _candidate(path: str) -> bool:
    """Could ``path`` be a native binary by its name: none or a version number for an
    extension (`ls`, `python3.11`), or a binary one (`.so`, `.so.1`, `.dll`, `.exe`...)."""
    base = posixpath.basename(path).lower()
    _stem, dot, ext = base.lstrip(".").rpartition(".")
    return not dot or ext.isdigit() or base.endswith(_BINARY_EXTS) or ".so." in base


@rule("MC653", "stray-executables", Level.WARNING, tags=("hygiene", "security"))
def stray_executables(pkg):
    """Native executables or libraries that no flavor references are shipped in the package.

    What it checks
    Files that start with an ELF, Mach-O or PE (Windows) header, outside every path a flavor
    key names and outside MLflow's own folders (`code/`, `artifacts/`, `extra_files/`,
    `wheels/`), grouped by top-level folder. Three or more in one folder (a copied `bin/` or
    environment) is a warning; one or two is a note. Model payloads a flavor names (ONNX,
    TensorFlow `variables/`, `.so` files under `code/`) are never reported.

    Why it matters
    MLflow never loads them: they bloat every copy of the model, tie it to one platform, and
    are binaries nobody reviews in a model artifact that is deployed widely. They come from
    saving or logging the model from a folder that held a virtualenv, a conda env or a copy
    of a system `bin/`.

    Example
    `bin/` with 136 ELF executables (`bin/ls`, `bin/cp`, ...) next to `MLmodel`.

    How to fix
    Delete the folder from the package. If the model needs a native library, ship it under
    `code/` (`code_paths`) or as a pyfunc artifact, so that MLmodel references it.
    """
    exempt = referenced_roots(pkg)
    stores = _file_store_roots(pkg)
    groups: dict[str, list[tuple[str, str]]] = {}
    scripts: dict[str, int] = {}
    reads = 0
    capped = False
    for e in pkg.files():
        if e.kind != "file" or e.size < 64 or not _candidate(e.path) or _under(e.path, exempt):
            continue
        if any(not r or e.path.startswith(r + "/") for r in stores):
            continue  # inside a nested tracking store: MC652 reports the whole store
        if reads >= HEADER_READS:
            capped = True
            break
        reads += 1
        parts = e.path.split("/")
        top = parts[0] if len(parts) > 1 else ""
        head = pkg.head(e.path, 1024)
        kind = native_kind(head)
        if kind:
            groups.setdefault(top, []).append((e.path, kind))
        elif head[:3] == b"#!/":
            scripts[top] = scripts.get(top, 0) + 1
    for top, found in sorted(groups.items()):
        where = f"{top}/" if top else "the package root"
        kinds = "/".join(sorted({k for _p, k in found}))
        names = ", ".join(p for p, _k in found[:3]) + (", ..." if len(found) > 3 else "")
        many = len(found) >= _WARN_AT
        n = f"{'at least ' if capped else ''}{len(found)}"
        what = (f"{n} native executables or libraries" if len(found) > 1
                else "1 native executable or library") + f" ({kinds})"
        if scripts.get(top):
            what += f" and {scripts[top]} script{'s' if scripts[top] > 1 else ''}"
        copied = "a copied environment or system folder, " if many else ""
        yield Hit(f"{where} holds {what} that no flavor references ({names}): "
                  f"{copied}no part of the model; MLflow never loads them, and they ship "
                  "unreviewed platform binaries with every copy", file=top or found[0][0],
                  key=top or ".", level=None if many else Level.NOTE,
                  fix=f"delete {where if top else 'them'} from the package; ship a needed "
                      "native library under code/ or as a pyfunc artifact")
