"""Generate modelcheck/formats/requirements/dist_table.py from real package metadata.

For each distribution named in tools/distributions.txt (a curated list of real names: MLflow's
flavor libraries, the names importmap.py knew, the corpora's requirement files), this script
asks pip, the ordinary client, for:

* the release's metadata (``Requires-Dist``), with ``pip install --dry-run --ignore-installed
  --no-deps --only-binary=:all: --report``. PyPI serves the METADATA file alone (PEP 658), so no
  wheel is downloaded for it;
* the import names the distribution installs, from its wheel's ``RECORD`` (and
  ``top_level.txt``). They come from an installed copy when one is on this machine (the paths
  given with ``--site``), else from ``pip download --no-deps --only-binary=:all:`` of the wheel.
  Distributions in ``HUGE`` (wheels of hundreds of megabytes: tensorflow, xgboost, ...) are
  downloaded only when pip resolves them to a wheel on a local mirror (a ``file:`` URL); else
  their import names are left out of the table and importmap falls back to the distribution's
  own name (which is what each of them installs).

Nothing is guessed: a name pip cannot find is reported and left out. Run it from the repository
root: ``python tools/gen_distribution_table.py [--site DIR ...]``; it rewrites the table module.
"""

from __future__ import annotations

import argparse
import json
import os
import pprint
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement

ROOT = Path(__file__).resolve().parent.parent
LIST = ROOT / "tools" / "distributions.txt"
OUT = ROOT / "modelcheck" / "formats" / "requirements" / "dist_table.py"

HUGE = frozenset({
    "tensorflow", "tensorflow-gpu", "tensorflow-intel", "tensorflow-macos", "tensorflow-cpu",
    "xgboost", "catboost", "pyspark", "h2o", "paddlepaddle", "paddlepaddle-gpu", "mxnet",
    "faiss-gpu", "onnxruntime-gpu", "torch", "jaxlib", "johnsnowlabs", "databricks-connect",
})
# Flavor libraries (and what loading needs): exact pins of these are kept per release.
PINNED_OF_INTEREST = frozenset({
    "scikit-learn", "xgboost", "lightgbm", "catboost", "statsmodels", "h2o", "onnx", "torch",
    "tensorflow", "keras", "pyspark", "transformers", "sentence-transformers", "paddlepaddle",
    "spacy", "prophet", "pmdarima", "cloudpickle", "skops", "mlflow", "mlflow-skinny",
})
# A Linux CPython server, the usual place a model is served: markers are evaluated there.
_ENV = {**default_environment(), "sys_platform": "linux", "platform_system": "Linux",
        "os_name": "posix", "platform_machine": "x86_64", "python_version": "3.10",
        "python_full_version": "3.10.12", "implementation_name": "cpython",
        "platform_python_implementation": "CPython", "extra": ""}
_SEP = re.compile(r"[-_.]+")


def canonical(name: str) -> str:
    return _SEP.sub("-", name).lower()


def pip(*args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_CONSTRAINT": ""}
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def read_list() -> tuple[list[str], list[tuple[str, str]]]:
    names: list[str] = []
    versions: list[tuple[str, str]] = []
    for raw in LIST.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "==" in line:
            name, ver = line.split("==", 1)
            versions.append((canonical(name), ver.strip()))
        elif canonical(line) not in names:
            names.append(canonical(line))
    return names, versions


CACHE: Path | None = None


def metadata(specs: list[str]) -> dict[str, dict]:
    """name -> the report's install entry (metadata + download_info), batched where pip can;
    kept in the --cache directory per requirement string (a miss as null)."""
    if CACHE is None:
        return _metadata(specs)
    out: dict[str, dict] = {}
    todo = []
    for spec in specs:
        f = CACHE / f"meta-{spec.replace('/', '_')}.json"
        if f.exists():
            item = json.loads(f.read_text())
            if item is not None:
                out[canonical(item["metadata"]["name"])] = item
        else:
            todo.append(spec)
    got = _metadata(todo) if todo else {}
    for spec in todo:
        item = got.get(canonical(re.split(r"[=<>!~ ]", spec, maxsplit=1)[0]))
        CACHE.mkdir(parents=True, exist_ok=True)
        (CACHE / f"meta-{spec.replace('/', '_')}.json").write_text(json.dumps(item))
    return {**out, **got}


def _metadata(specs: list[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "r.json"
        r = pip("install", "--dry-run", "--ignore-installed", "--no-deps", "--only-binary=:all:",
                "-q", "--report", str(report), *specs)
        if r.returncode == 0:
            for item in json.loads(report.read_text())["install"]:
                out[canonical(item["metadata"]["name"])] = item
            return out
    if len(specs) == 1:
        print(f"  pip has no wheel metadata for {specs[0]}: {r.stderr.strip()[-200:]}",
              file=sys.stderr)
        return out
    half = len(specs) // 2
    return {**_metadata(specs[:half]), **_metadata(specs[half:])}


def requires(meta: dict) -> tuple[set[str], dict[str, str]]:
    """Dependencies installed on a Linux server without extras, and their exact pins."""
    deps: set[str] = set()
    pins: dict[str, str] = {}
    for text in meta.get("requires_dist") or ():
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        try:
            if req.marker is not None and not req.marker.evaluate(_ENV):
                continue
        except Exception:
            continue
        name = canonical(req.name)
        deps.add(name)
        exact = [s.version for s in req.specifier if s.operator == "=="]
        if len(exact) == 1 and "*" not in exact[0] and name in PINNED_OF_INTEREST:
            pins[name] = exact[0]
    return deps, pins


def record_paths_installed(name: str, sites: list[str]) -> list[str] | None:
    from importlib.metadata import distributions

    for dist in distributions(path=sites):
        if canonical(dist.metadata["Name"] or "") == name and dist.files:
            return [str(f).replace("\\", "/") for f in dist.files]
    return None


def record_paths_wheel(spec: str) -> list[str] | None:
    with tempfile.TemporaryDirectory() as tmp:
        r = pip("download", "--no-deps", "--only-binary=:all:", "-q", "-d", tmp, spec)
        wheels = list(Path(tmp).glob("*.whl"))
        if r.returncode != 0 or not wheels:
            print(f"  no wheel for {spec}: {r.stderr.strip()[-200:]}", file=sys.stderr)
            return None
        with zipfile.ZipFile(wheels[0]) as zf:
            return zf.namelist()


def import_names(paths: list[str], expand: frozenset[str] = frozenset()) -> set[str]:
    """Dotted import names a distribution's files install: its top-level modules and packages,
    and, inside namespace directories (no ``__init__.py``, or a name in ``expand``: one that
    several distributions install, such as ``azureml`` with a pkgutil ``__init__.py``), the
    names one level further down."""
    files = [p for p in paths if not re.match(r"[^/]+\.(dist-info|data|egg-info)/", p)
             and not p.startswith(("../", "/")) and "__pycache__" not in p]
    has_init = {p.rsplit("/", 1)[0] for p in files if p.endswith("/__init__.py")}
    names: set[str] = set()

    def walk(prefix: str, depth: int) -> None:
        plen = len(prefix) + 1 if prefix else 0
        for p in files:
            if prefix and not p.startswith(prefix + "/"):
                continue
            rest = p[plen:]
            head, _, tail = rest.partition("/")
            if not tail:  # a file at this level: a module
                if head.endswith((".py", ".so", ".pyd")):
                    stem = head.split(".", 1)[0]
                    if stem.isidentifier() and stem != "__init__":
                        names.add(f"{prefix}.{stem}".strip(".").replace("/", "."))
                continue
            if not head.isidentifier():
                continue
            sub = f"{prefix}/{head}" if prefix else head
            dotted = sub.replace("/", ".")
            if (sub in has_init and dotted not in expand) or depth >= 3:
                names.add(dotted)
            elif dotted not in seen:
                seen.add(dotted)
                walk(sub, depth + 1)

    seen: set[str] = set()
    walk("", 1)
    return names


def _parts_differ(name: str, owners_files: list[list[str]]) -> bool:
    """Several distributions install package ``name``: is it a namespace they install
    different parts of (azureml-core `azureml.core`, azureml-training-tabular
    `azureml.training`), rather than alternative builds of one package (mlflow and
    mlflow-skinny, opencv-python and opencv-python-headless)? Parts differ when two owners
    share no sub-package or module."""
    prefix = name.replace(".", "/") + "/"
    kids = [{p[len(prefix):].split("/", 1)[0] for p in f if p.startswith(prefix)} - {
        "__init__.py", "__pycache__", "py.typed"} for f in owners_files]
    return any(a.isdisjoint(b) for i, a in enumerate(kids) for b in kids[i + 1:])


def all_versions(name: str) -> list[str]:
    r = pip("index", "versions", "--only-binary=:all:", name)
    m = re.search(r"Available versions: (.*)", r.stdout)
    return [v.strip() for v in m.group(1).split(",")] if m else []


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", help="directory keeping each wheel's file list between runs")
    ap.add_argument("--rederive", action="store_true",
                    help="only rewrite the derived lookups of the current table (no pip)")
    ap.add_argument("--site", action="append", default=[],
                    help="site-packages directory holding installed copies to read RECORD from")
    args = ap.parse_args()
    if args.rederive:
        return rederive()
    global CACHE
    CACHE = Path(args.cache) if args.cache else None
    names, versions = read_list()
    print(f"{len(names)} distributions, {len(versions)} release lines", file=sys.stderr)
    latest = metadata(names)
    missing = sorted(set(names) - set(latest))
    print(f"metadata for {len(latest)}; none for: {', '.join(missing)}", file=sys.stderr)

    files: dict[str, list[str]] = {}
    cache = Path(args.cache) if args.cache else None
    for name in sorted(latest):
        version = latest[name]["metadata"]["version"]
        cached = cache / f"{name}-{version}.json" if cache else None
        if cached is not None and cached.exists():
            files[name] = json.loads(cached.read_text())
            continue
        paths = record_paths_installed(name, args.site)
        url = (latest[name].get("download_info") or {}).get("url", "")
        if paths is None and (name not in HUGE or url.startswith("file:")):
            paths = record_paths_wheel(f"{name}=={version}")
        if paths is not None:
            files[name] = paths
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                cached.write_text(json.dumps(paths))
    # a package directory several distributions install is a namespace: look one level down
    expand: frozenset[str] = frozenset()
    for _ in range(3):
        tops = {n: sorted(import_names(p, expand)) for n, p in files.items()}
        owners: dict[str, set[str]] = {}
        for n, names in tops.items():
            for t in names:
                owners.setdefault(t, set()).add(n)
        shared = frozenset(t for t, o in owners.items() if len(o) > 1
                           and _parts_differ(t, [files[n] for n in o])) | expand
        if shared == expand:
            break
        expand = shared

    reqs: dict[str, set[str]] = {}
    for name, item in latest.items():
        reqs[name] = requires(item["metadata"])[0]
    release_pins: dict[str, dict[str, dict[str, str]]] = {}
    wanted: list[tuple[str, str]] = []
    for name, ver in versions:
        wanted += [(name, v) for v in all_versions(name)] if ver == "*" else [(name, ver)]
    for name, ver in dict.fromkeys(wanted):
        got = metadata([f"{name}=={ver}"]).get(name)
        if got is None:
            continue
        deps, pins = requires(got["metadata"])
        reqs.setdefault(name, set()).update(deps)
        if pins:
            release_pins.setdefault(name, {})[got["metadata"]["version"]] = pins
    write(latest, tops, reqs, release_pins, missing)
    return 0


def write(latest: dict[str, dict], tops: dict[str, list[str]], reqs: dict[str, set[str]],
          release_pins: dict[str, dict[str, dict[str, str]]], missing: list[str]) -> None:
    # import names: only where they are not the distribution's own name (the default guess)
    top_table = {n: tuple(t) for n, t in sorted(tops.items())
                 if t and set(t) != {n.replace("-", "_")}}
    req_table = {n: tuple(sorted(d)) for n, d in sorted(reqs.items()) if d}
    versions = {n: latest[n]["metadata"]["version"] for n in sorted(latest)}
    render(top_table, tuple(sorted(tops)), req_table, release_pins, versions, missing)


def rederive() -> int:
    """Rewrite the table with its lookups derived again from its own base data."""
    from modelcheck.formats.requirements import dist_table as t

    text = OUT.read_text()
    missing = [ln.split(":", 1)[1].strip() for ln in text.splitlines()
               if ln.startswith("# pip found no wheel metadata for:")]
    missing = [m for m in missing if m != "(none)"]
    render(dict(t.IMPORT_NAMES), tuple(sorted(t.RECORDED)), dict(t.REQUIRES),
           dict(t.EXACT_PINS), dict(t.LATEST), missing)
    return 0


def render(top_table: dict, known: tuple[str, ...], req_table: dict, release_pins: dict,
           versions: dict, missing: list[str]) -> None:
    from modelcheck.formats.requirements.importmap import derive

    import_to_dists, namespace_prefix, brought_by = derive(top_table, frozenset(known),
                                                           req_table)

    def block(name: str, kind: str, value: object, wrap: str = "") -> str:
        body = pprint.pformat(value, width=92, compact=True)
        body = "\n".join("    " + ln for ln in body.splitlines())
        return f"{name}: {kind} = {wrap}(\n{body}\n)\n"

    text = (
        '"""GENERATED by tools/gen_distribution_table.py from real package metadata: do not '
        'edit.\n\n'
        "Read from pip's view of each release (PEP 658 METADATA via ``pip install --dry-run\n"
        "--report``) and each wheel's RECORD. Distributions listed in tools/distributions.txt.\n"
        "\n"
        "``IMPORT_NAMES``: dotted import names a distribution installs, where they are not its "
        "own\nname (names inside namespace directories such as ``azureml`` or ``google`` are "
        "one level\ndeeper). ``RECORDED``: distributions whose files were read (their import "
        "names are known\nexactly). ``REQUIRES``: the distributions installing it brings along "
        "on a Linux server, no\nextras (the union over the releases read). ``EXACT_PINS``: "
        "release -> the flavor libraries\nit pins with ``==``. ``LATEST``: the release read as "
        "the newest when this table was\ngenerated.\n"
        '"""\n\nfrom __future__ import annotations\n\n'
        + block("IMPORT_NAMES", "dict[str, tuple[str, ...]]", top_table) + "\n"
        + block("RECORDED", "frozenset[str]", known, "frozenset") + "\n"
        + block("REQUIRES", "dict[str, tuple[str, ...]]", req_table) + "\n"
        + block("EXACT_PINS", "dict[str, dict[str, dict[str, str]]]", release_pins) + "\n"
        + block("LATEST", "dict[str, str]", versions) + "\n"
        + "# derived lookups (modelcheck.formats.requirements.importmap.derive)\n"
        + block("IMPORT_TO_DISTS", "dict[str, tuple[str, ...]]", import_to_dists) + "\n"
        + block("NAMESPACE_PREFIX", "dict[str, str]", namespace_prefix) + "\n"
        + block("BROUGHT_BY", "dict[str, tuple[str, ...]]", brought_by) + "\n"
        + "".join(f"# pip found no wheel metadata for: {m}\n" for m in missing or ["(none)"])
    )
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
