"""MC503–MC507: the environment files against each other and against MLmodel."""

from __future__ import annotations

import re
from collections import Counter

from packaging.version import Version

from modelcheck.formats.flavors import FLAVOR_LIBRARIES
from modelcheck.formats.requirements.names import canonicalize_name
from modelcheck.formats.requirements.parse import ReqLine
from modelcheck.formats.yaml.loader import join_pointer
from modelcheck.package.envfiles import MLFLOW_NAMES, conda_name, env_of, pip_requirements
from modelcheck.results import Hit, Level
from modelcheck.rule import rule


def _leading_name(text: str) -> str | None:
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", text)
    return canonicalize_name(m.group(1)) if m else None


def _norm(r: ReqLine) -> str:
    return r.canonical() if r.kind == "requirement" else " ".join(r.text.split())


@rule("MC503", "pip-list-mismatch", Level.WARNING, tags=("env",))
def pip_list_mismatch(pkg):
    """`requirements.txt` and the `pip:` list of `conda.yaml` differ.

    What it checks
    MLflow writes `requirements.txt` as exactly the conda `pip:` list. Both are compared after
    PEP 503 name normalisation and specifier normalisation: lines missing on either side and
    requirements whose specifiers, extras or markers differ are warnings; the same lines in a
    different order are a note.

    Why it matters
    `env_manager=virtualenv`/`uv` installs `requirements.txt`, `env_manager=conda` installs the
    conda list: the same model gets a different environment depending on how it is served, and
    one of the two files was edited by hand. Each file still installs (a warning: not
    reproducible, and likely to break where the model needs what one side lacks).

    Example
    `conda.yaml` lists `flask==3.0.0` under `pip:` but `requirements.txt` does not.

    How to fix
    Make both lists identical (re-log the model, or copy the edited list into the other file).
    """
    env = env_of(pkg)
    if env.requirements is None or env.conda is None or not isinstance(env.conda.data, dict):
        return
    req = [r for r in env.requirements.lines if r.kind != "invalid"]
    conda = [r for r in (env.conda.pip or []) if r.kind != "invalid"]
    norms = {id(r): _norm(r) for r in req + conda}  # each line normalised once
    if len(req) == len(conda) and all(norms[id(r)] == norms[id(c)]
                                      for r, c in zip(req, conda, strict=True)):
        return  # the same lines in the same order, as MLflow writes them: nothing differs
    # names on unparsable lines are MC501's: a counterpart of one is not "missing" here too
    broken = {_leading_name(r.text) for r in env.requirements.lines + (env.conda.pip or [])
              if r.kind == "invalid"} - {None}
    rf, cf = env.requirements.file, env.conda.file

    def norm(r: ReqLine) -> str:
        return norms[id(r)]

    groups_req: dict[tuple[str, str], list[ReqLine]] = {}
    groups_conda: dict[tuple[str, str], list[ReqLine]] = {}
    for r in req:
        groups_req.setdefault(r.key, []).append(r)
    for c in conda:
        groups_conda.setdefault(c.key, []).append(c)
    # the same name under a different marker on each side is one difference, not two
    for key in [k for k in groups_req if k not in groups_conda]:
        other = [k for k in groups_conda if k[0] == key[0] and k not in groups_req]
        if len(other) == 1:
            groups_conda[key] = groups_conda.pop(other[0])
    found = False
    for key, rs in groups_req.items():
        cs = groups_conda.get(key)
        if cs is None and key[0] in broken:
            continue
        if cs is None:
            for r in rs:
                found = True
                yield Hit(f"{rf} line {r.line} has {r.text.strip()!r}, which the pip list of "
                          f"{cf} does not have", file=rf, line=r.line,
                          pointer=f"/line/{r.line}", key="missing-in-conda:" + norm(r),
                          fix=f"add it to the pip list of {cf}, or remove it from {rf}")
            continue
        if (norm(rs[0]) == norm(cs[0]) if len(rs) == len(cs) == 1
                else Counter(map(norm, rs)) == Counter(map(norm, cs))):
            continue
        cnorms = {norm(c) for c in cs}
        r = next((x for x in rs if norm(x) not in cnorms), rs[0])
        c = next((x for x in cs if norm(x) not in {norm(y) for y in rs}), cs[0])
        found = True
        yield Hit(f"{rf} line {r.line} has {r.text.strip()!r} but {cf} line {c.line} "
                  f"has {c.text.strip()!r}", file=rf, line=r.line,
                  pointer=f"/line/{r.line}", key="differs:" + norm(r),
                  fix="make both files pin the same requirement")
    for key, cs in groups_conda.items():
        if key in groups_req or key[0] in broken:
            continue
        for c in cs:
            found = True
            yield Hit(f"{cf} line {c.line} lists {c.text.strip()!r} under pip, but {rf} does "
                      "not", file=cf, line=c.line, pointer=f"/line/{c.line}",
                      key="missing-in-requirements:" + norm(c),
                      fix=f"add it to {rf}, or remove it from {cf}")
    if not found and Counter(map(norm, req)) == Counter(map(norm, conda)) and \
            [norm(r) for r in req] != [norm(c) for c in conda]:
        yield Hit(f"{rf} and the pip list of {cf} hold the same requirements in a different "
                  "order (MLflow writes them identically)", file=rf, level=Level.NOTE,
                  pointer="/", key="order", fix="write both lists in the same order")


def _release(text: str) -> tuple[int, ...] | None:
    parts = []
    for p in text.strip().split("."):
        if not p.isdigit() or len(p) > 9:  # no real version part is that long
            break
        parts.append(int(p))
    return tuple(parts) or None


def _python_sources(pkg, env) -> list[tuple[str, str, int | None, str]]:
    """(file, version text, line, pointer) for each place that states the Python version."""
    out = []
    pv = (pkg.pyfunc or {}).get("python_version")
    if isinstance(pv, str | int | float) and not isinstance(pv, bool):
        ptr = "/flavors/python_function/python_version"
        out.append(("MLmodel", str(pv), pkg.line(ptr), ptr))
    pe = env.python_env
    if pe is not None and isinstance(pe.data, dict) and isinstance(pe.data.get("python"), str):
        out.append((pe.file, pe.data["python"], pe.line("/python"), "/python"))
    if env.conda is not None:
        for d in env.conda.python_deps:
            spec = d.value.strip().split("::")[-1][len("python"):].lstrip("=<>!~ ")
            if spec:
                out.append((env.conda.file, spec, d.line, d.pointer))
    return out


@rule("MC504", "python-version-disagreement", Level.WARNING, tags=("env",))
def python_version_disagreement(pkg):
    """MLmodel `python_version`, `python_env.yaml` and `conda.yaml` name different Pythons.

    What it checks
    The pyfunc `python_version` (the interpreter that saved the model), `python_env.yaml`
    `python` and the `python=` pin of `conda.yaml`, compared at the precision each gives
    (`3.10` agrees with `3.10.12`). A different major.minor is a warning, a different patch
    release a note.

    Why it matters
    `env_manager=virtualenv|uv` rebuilds Python from `python_env.yaml`, `env_manager=conda` from
    `conda.yaml`: when they differ from `python_version`, the rebuilt environment runs another
    Python than the one that trained and pickled the model (MLflow itself only warns at load).
    MLflow keeps a user-supplied `conda_env` verbatim, so this is real MLflow output too.

    Example
    `python_version: 3.6.9` in MLmodel and `python=3.7` in `conda.yaml`.

    How to fix
    Pin the same Python everywhere, preferably the saving interpreter's `python_version`.
    """
    env = env_of(pkg)
    sources = _python_sources(pkg, env)
    if len(sources) < 2:
        return
    ref = sources[0]
    ref_rel = _release(ref[1])
    if ref_rel is None:
        return
    for file, text, line, ptr in sources[1:]:
        rel = _release(text)
        if rel is None:
            continue
        n = min(len(rel), len(ref_rel))
        if rel[:n] == ref_rel[:n]:
            continue
        minor = rel[:2] != ref_rel[:2]
        where = f"{ref[0]} line {ref[2]}" if ref[2] else ref[0]
        extra = ""
        if file.endswith(("conda.yaml", ".yml", ".yaml")) and ptr.startswith("/dependencies"):
            extra = (" An environment rebuilt with env_manager=conda gets this Python, not the "
                     "one the model was saved with.")
        elif ptr == "/python":
            extra = (" virtualenv/uv restores build this Python, not the one the model was "
                     "saved with.")
        yield Hit(f"{file} names Python {text} but {where} names {ref[1]}.{extra}", file=file,
                  line=line, pointer=ptr, level=None if minor else Level.NOTE,
                  key=f"{ref[1]}|{text}",
                  fix=f"pin Python {ref[1]} in {file}")


def _find(reqs: list[ReqLine], names: tuple[str, ...]) -> list[ReqLine]:
    return [r for r in reqs if r.name in names]


def _mlflow_url(r: ReqLine) -> bool:
    u = (r.url or "").lower().rstrip("/")
    return u.endswith(("/mlflow", "/mlflow.git", "mlflow/mlflow.git")) or "mlflow/mlflow" in u


def _pin_ok(r: ReqLine, w: Version) -> bool:
    if not r.specifier:
        return w < Version("2.3") or r.name == "mlflow-tracing"
    if r.specifier.contains(w, prereleases=True):
        return True
    if (w.major, w.minor) == (2, 4) and r.specifier.contains("2.4.0", prereleases=True):
        return True
    if w.is_devrelease and w.micro > 0:
        return r.specifier.contains(f"{w.major}.{w.minor}.{w.micro - 1}", prereleases=True)
    return False


@rule("MC505", "mlflow-pin-mismatch", Level.WARNING, tags=("env",))
def mlflow_pin_mismatch(pkg):
    """The `mlflow` requirement is missing or excludes the MLflow version that wrote the model.

    What it checks
    The pip requirements (`requirements.txt`, else the conda `pip:` list) contain an MLflow
    requirement (`mlflow`, `mlflow-skinny`, `mlflow-tracing` in 3.x, or an MLflow git URL) whose
    specifier admits MLmodel `mlflow_version`, allowing the forms MLflow itself writes:
    unpinned up to 2.2, `mlflow<3,>=2.3`, `mlflow==2.4` from any 2.4.x, and `X.Y.(Z-1)` from a
    `X.Y.Z.devN` build.

    Why it matters
    MLflow always adds its own pin (1.20+); a missing or different pin means the file was edited
    and the serving environment gets another MLflow than the one that wrote the package.

    Example
    `mlflow_version: 3.18.0` with `mlflow==2.9.0` in `requirements.txt`.

    How to fix
    Pin `mlflow==<mlflow_version>` in both `requirements.txt` and `conda.yaml`.
    """
    w = pkg.mlflow_version
    env = env_of(pkg)
    found = pip_requirements(env)
    if w is None or found is None:
        return
    file, reqs = found
    names = MLFLOW_NAMES if w.major >= 3 else MLFLOW_NAMES[:2]
    mine = _find(reqs, names)
    if not mine and not any(_mlflow_url(r) for r in reqs):
        if w < Version("1.20"):
            return
        yield Hit(f"{file} has no mlflow requirement, but MLflow {w} always writes one "
                  f"(expected mlflow=={w})", file=file, pointer="/mlflow", key="missing",
                  fix=f"add mlflow=={w} to {file} (and the conda pip list)")
        return
    for r in mine:
        if not _pin_ok(r, w) and not r.specifier:
            yield Hit(f"{file} line {r.line}: {r.text.strip()!r} has no version, but MLflow {w} "
                      f"pins the mlflow that wrote the model ({r.name}=={w}): a rebuilt "
                      "environment gets whatever release is newest", file=file, line=r.line,
                      pointer=f"/line/{r.line}", key=r.name, fix=f"pin {r.name}=={w}")
        elif not _pin_ok(r, w):
            yield Hit(f"{file} line {r.line}: {r.text.strip()!r} does not admit mlflow_version "
                      f"{w} from MLmodel", file=file, line=r.line, pointer=f"/line/{r.line}",
                      key=r.name, fix=f"pin {r.name}=={w}")


def _conda_has(env, pip_name: str) -> bool:
    if env.conda is None:
        return False
    return any(isinstance(d.value, str) and conda_name(d.value) == pip_name
               for d in env.conda.deps)


@rule("MC506", "flavor-library-pin-mismatch", Level.WARNING, tags=("env",))
def flavor_library_pin_mismatch(pkg):
    """A flavor's library version disagrees with its pinned requirement, or is not required.

    What it checks
    Each flavor's version key (`sklearn_version`, `xgb_version`, `lgb_version`,
    `pytorch_version`, `keras_version`, `transformers_version`, ... and pyfunc
    `cloudpickle_version`) is admitted by the requirement for its pip distribution; local labels
    such as `+cu121` are ignored. A flavor library absent from both the pip list and the conda
    dependencies is reported too.

    Why it matters
    The model was serialized with the version in MLmodel; a rebuilt environment with another
    version may fail to unpickle it or predict differently. A missing requirement means the
    library is not installed at all.

    Example
    `sklearn_version: 1.9.1` with `scikit-learn==1.0` (a custom `conda_env`).

    How to fix
    Pin the library to the version in MLmodel, in `requirements.txt` and `conda.yaml`.
    """
    env = env_of(pkg)
    found = pip_requirements(env)
    if found is None:
        return
    file, reqs = found
    for flavor, conf in pkg.flavors.items():
        spec = FLAVOR_LIBRARIES.get(flavor)
        if spec is None:
            continue
        key, pip_name = spec
        raw = conf.get(key)
        if raw is None or isinstance(raw, bool):
            continue
        ptr = join_pointer("flavors", flavor, key)
        try:
            v = Version(str(raw))
        except ValueError:  # InvalidVersion, or an int too long to parse
            continue
        public = Version(v.public)
        mine = _find(reqs, (pip_name,))
        if not mine:
            if _conda_has(env, pip_name) or any(r.url and not r.name for r in reqs):
                continue
            via = _find(reqs, ("mlflow", "mlflow-skinny")) if pip_name == "cloudpickle" else []
            what = (f"it is installed only as an unpinned dependency of {via[0].name}" if via
                    else f"a rebuilt environment will not install {pip_name}")
            yield Hit(f"MLmodel {key} is {raw} but {file} has no {pip_name} requirement: "
                      f"{what}", file=file, pointer=ptr, key=f"missing:{pip_name}",
                      level=Level.NOTE if via else None,
                      fix=f"add {pip_name}=={public} to {file} and the conda pip list")
            continue
        for r in mine:
            if r.specifier and not r.specifier.contains(public, prereleases=True):
                yield Hit(f"{file} line {r.line}: {r.text.strip()!r} excludes {pip_name} {raw}, "
                          f"the version MLmodel {key} (line {pkg.line(ptr)}) says saved the model",
                          file=file, line=r.line, pointer=f"/line/{r.line}",
                          key=f"pin:{pip_name}", fix=f"pin {pip_name}=={public}")


_SER_DEPS = {"skops": "skops", "cloudpickle": "cloudpickle"}


@rule("MC507", "serialization-dependency-missing", Level.WARNING, tags=("env",))
def serialization_dependency_missing(pkg):
    """The library that deserializes the model (`skops`, `cloudpickle`) is not required.

    What it checks
    A `sklearn` or `lightgbm` flavor with `serialization_format: skops` needs `skops` in the
    requirements; `serialization_format: cloudpickle` needs `cloudpickle`. MLflow adds these
    itself (2.x sklearn adds `cloudpickle==`, 3.14+ adds `skops==`). When the library is only
    reachable as a dependency of a required `mlflow` (`mlflow` depends on `skops<1` in 3.x,
    `mlflow-skinny` on `cloudpickle<4`), it is a note: it installs, but unpinned.

    Why it matters
    Loading the model in a rebuilt environment imports that library first; without it the load
    fails with `ModuleNotFoundError`.

    Example
    `serialization_format: skops` with no `skops` line in `requirements.txt`.

    How to fix
    Add `skops==<version>` (or `cloudpickle==<version>`) to `requirements.txt` and `conda.yaml`.
    """
    env = env_of(pkg)
    found = pip_requirements(env)
    if found is None:
        return
    file, reqs = found
    for flavor in ("sklearn", "lightgbm"):
        conf = pkg.flavors.get(flavor)
        if conf is None:
            continue
        fmt = conf.get("serialization_format")
        dep = _SER_DEPS.get(fmt) if isinstance(fmt, str) else None
        if dep is None or _find(reqs, (dep,)) or _conda_has(env, dep):
            continue
        ptr = join_pointer("flavors", flavor, "serialization_format")
        carriers = ("mlflow",) if dep == "skops" else ("mlflow", "mlflow-skinny")
        via = _find(reqs, carriers)
        if via:
            yield Hit(f"MLmodel {flavor} serialization_format is {fmt!r} (line {pkg.line(ptr)}) "
                      f"but {file} does not pin {dep}: it is installed only as a dependency of "
                      f"{via[0].name}, at whatever version that allows", file=file, pointer=ptr,
                      key=f"{flavor}:{dep}", level=Level.NOTE,
                      fix=f"pin {dep}==<version used to save> in {file} and the conda pip list")
            continue
        yield Hit(f"MLmodel {flavor} serialization_format is {fmt!r} (line {pkg.line(ptr)}) "
                  f"but {file} has no {dep} requirement: loading needs it", file=file,
                  pointer=ptr, key=f"{flavor}:{dep}",
                  fix=f"add {dep}==<version used to save> to {file} and the conda pip list")
