"""MC503–MC507: the environment files against each other and against MLmodel."""

from __future__ import annotations

import re
from typing import Any

from packaging.version import Version

from modelcheck.formats.flavors import (
    FLAVOR_LIBRARIES,
    FLAVOR_MODULES,
    LGB_BOOSTER,
    library_version_text,
)
from modelcheck.formats.requirements.importmap import (
    carriers,
    distributions_for,
    exact_pin,
    pip_name,
)
from modelcheck.formats.requirements.names import canonicalize_name
from modelcheck.formats.requirements.parse import ReqLine, parse_requirement_line
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
        # a line repeated within one file is MC511's duplicate, not a difference between files
        if (norm(rs[0]) == norm(cs[0]) if len(rs) == len(cs) == 1
                else set(map(norm, rs)) == set(map(norm, cs))):
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
    req_order = list(dict.fromkeys(map(norm, req)))
    conda_order = list(dict.fromkeys(map(norm, conda)))
    if not found and set(req_order) == set(conda_order) and req_order != conda_order:
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


# (file, version text, its line when known, pointer, the document that tells the line of the
# pointer when it is not known: looked up only for a finding)
_Source = tuple[str, str, "int | None", str, Any]


def _python_sources(pkg, env) -> list[_Source]:
    """Each place that states the Python version (see :data:`_Source`)."""
    out: list[_Source] = []
    pv = (pkg.pyfunc or {}).get("python_version")
    if isinstance(pv, str | int | float) and not isinstance(pv, bool):
        out.append(("MLmodel", str(pv), None, "/flavors/python_function/python_version", pkg))
    pe = env.python_env
    if pe is not None and isinstance(pe.data, dict) and isinstance(pe.data.get("python"), str):
        out.append((pe.file, pe.data["python"], None, "/python", pe))
    if env.conda is not None:
        for d in env.conda.python_deps:
            spec = d.value.strip().split("::")[-1][len("python"):].lstrip("=<>!~ ")
            # `conda env export` writes `python=3.10.12=h955ad1f_0`: the build string is not
            # part of the version (nor is anything after a space: `python 3.10.12 h955ad1f_0`)
            spec = re.split(r"[=\s]", spec, maxsplit=1)[0]
            if spec:
                out.append((env.conda.file, spec, d.line, d.pointer, None))
    return out


def _line_of(source: _Source) -> int | None:
    _file, _text, line, ptr, doc = source
    return line if doc is None else doc.line(ptr)


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
    for source in sources[1:]:
        file, text, _line, ptr, _doc = source
        rel = _release(text)
        if rel is None:
            continue
        n = min(len(rel), len(ref_rel))
        if rel[:n] == ref_rel[:n]:
            continue
        minor = rel[:2] != ref_rel[:2]
        ref_line = _line_of(ref)
        where = f"{ref[0]} line {ref_line}" if ref_line else ref[0]
        extra = ""
        if file.endswith(("conda.yaml", ".yml", ".yaml")) and ptr.startswith("/dependencies"):
            extra = (" An environment rebuilt with env_manager=conda gets this Python, not the "
                     "one the model was saved with.")
        elif ptr == "/python":
            extra = (" virtualenv/uv restores build this Python, not the one the model was "
                     "saved with.")
        yield Hit(f"{file} names Python {text} but {where} names {ref[1]}.{extra}", file=file,
                  line=_line_of(source), pointer=ptr, level=None if minor else Level.NOTE,
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


def _conda_pip_names(env) -> set[str]:
    """The pip names of conda.yaml's conda dependencies (conda `pytorch` is pip `torch`)."""
    if env.conda is None:
        return set()
    return {pip_name(conda_name(d.value)) for d in env.conda.deps if isinstance(d.value, str)}


def _conda_has(env, pip_dist: str) -> bool:
    return pip_dist in _conda_pip_names(env)


# Whatever loads the model runs MLflow, and MLflow's smallest form (mlflow-skinny) brings
# cloudpickle along: the loading environment always has it, whatever the files list.
_LOADER = "mlflow-skinny"


def _declared(env, reqs: list[ReqLine]) -> set[str]:
    """Every distribution the pip list and the conda dependencies name, with MLflow's."""
    return {r.name for r in reqs if r.name} | _conda_pip_names(env) | {_LOADER}


def _exact(r: ReqLine) -> str | None:
    pins = [s.version for s in r.specifier if s.operator in ("==", "===")]
    return pins[0] if len(pins) == 1 and "*" not in pins[0] else None


def _carried(reqs: list[ReqLine], declared: set[str], dist: str
             ) -> tuple[list[str], list[tuple[str, str, str]]]:
    """(distributions that bring ``dist`` along, [(carrier, its pinned release, the version of
    ``dist`` that release pins exactly)]) for the requirements in ``reqs``."""
    via = carriers(dist, declared)
    pinned = []
    for r in reqs:
        if r.name in via and (rel := _exact(r)) is not None:
            pin = exact_pin(r.name, rel, dist)
            if pin is not None:
                pinned.append((r.name, rel, pin))
    return via, pinned


def _admits(r: ReqLine, v: Version) -> bool:
    """The requirement admits the version MLmodel records (a local label such as `+cu102`
    equals itself, and is ignored against a pin without one)."""
    if not r.specifier:
        return True
    return r.specifier.contains(v, prereleases=True) or r.specifier.contains(
        Version(v.public), prereleases=True)


def _tf_keras(flavor: str, module: str) -> bool:
    """The version key records TensorFlow's Keras (tf.keras) rather than a pip release."""
    return flavor == "tensorflow" or module.split(".", 1)[0] == "tensorflow"


def _tf_keras_admits(r: ReqLine, v: Version, keras_dists: set[str]) -> bool | None:
    """Does requirement ``r`` admit a tf.keras version ``v``? None: cannot tell.

    MLflow records `tf.keras.__version__` (2.0-2.2, and the 1.x keras flavor) or
    `tf.__version__` (2.3+): the Keras release for TensorFlow 2.6-2.15 (`keras==2.12.0` with
    `tensorflow==2.12.1`), TensorFlow's own version, or an internal one below 2.6 (`2.4.0` in
    TensorFlow 2.3)."""
    if _admits(r, v):
        return True
    if r.name in keras_dists:
        return False
    pin = _exact(r)
    if pin is None:
        return None
    try:
        tf = Version(pin)
    except ValueError:
        return None
    if tf.release[:2] < (2, 6):
        return None  # tf.keras had its own version numbers then
    return tf.release[:2] == v.release[:2]


@rule("MC506", "flavor-library-pin-mismatch", Level.WARNING, tags=("env",))
def flavor_library_pin_mismatch(pkg):
    """A flavor's library version disagrees with its pinned requirement, or is not required.

    What it checks
    Each flavor's version key (`sklearn_version`, `xgb_version`, `lgb_version`,
    `pytorch_version`, `keras_version`, `transformers_version`, ... and pyfunc
    `cloudpickle_version`) is admitted by the requirement for a distribution that provides the
    library (`tensorflow-cpu` provides `tensorflow`; conda `pytorch` is pip `torch`); a local
    label such as `+cu121` is ignored against a pin without one. `keras_version` of TensorFlow's
    Keras (`tensorflow` flavor, `keras_module: tensorflow.keras`) may be TensorFlow's version
    or the Keras release it installs, so either pin admits it. A library installed only as a
    dependency of another requirement is checked against that release's exact pin when it has
    one (`pycaret==2.2.3` pins `scikit-learn==0.23.2`), else it is a note (unpinned); what
    distributions depend on and pin comes from their real metadata. A library no requirement
    provides is a warning.

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
    declared = _declared(env, reqs)
    for flavor, conf in pkg.flavors.items():
        spec = FLAVOR_LIBRARIES.get(flavor)
        if spec is None:
            continue
        key, pip_dist = spec
        raw = conf.get(key)
        if raw is None or isinstance(raw, bool):
            continue
        ptr = join_pointer("flavors", flavor, key)
        try:
            v = Version(library_version_text(flavor, key, str(raw)))
        except ValueError:  # InvalidVersion, or an int too long to parse
            continue
        public = Version(v.public)
        module = FLAVOR_MODULES.get(flavor, pip_dist)
        if flavor == "keras" and isinstance(conf.get("keras_module"), str):
            module = conf["keras_module"] or module
        providers = {pip_dist, *distributions_for(module)}
        keras_dists: set[str] = set()
        if _tf_keras(flavor, module):  # tf.keras: TensorFlow, or the Keras it installs
            keras_dists = set(distributions_for("keras")) - set(distributions_for("tensorflow"))
            providers |= keras_dists
            if module.split(".", 1)[0] == "tensorflow":
                pip_dist = "tensorflow"
        mine = [r for r in reqs if r.name in providers]
        if not mine:
            if providers & _conda_pip_names(env) or any(r.url and not r.name for r in reqs):
                continue
            via, pinned = _carried(reqs, declared, pip_dist)
            for carrier, rel, pin in pinned:
                if not _admits(parse_requirement_line(f"{pip_dist}=={pin}", file, 0), v):
                    yield Hit(f"MLmodel {key} is {raw} but {file} installs {pip_dist} only as a "
                              f"dependency of {carrier}=={rel}, which pins {pip_dist}=={pin}",
                              file=file, pointer=ptr, key=f"carried:{pip_dist}",
                              fix=f"pin {pip_dist}=={public} in {file} (after {carrier}), or "
                                  f"a {carrier} release that pins it")
            if pinned:
                continue
            shown = [d for d in via if d != _LOADER] or via
            what = (f"it is installed only as a dependency of {shown[0]}, at whatever version "
                    "that allows" if via
                    else f"a rebuilt environment will not install {pip_dist}")
            yield Hit(f"MLmodel {key} is {raw} but {file} has no {pip_dist} requirement: "
                      f"{what}", file=file, pointer=ptr, key=f"missing:{pip_dist}",
                      level=Level.NOTE if via else None,
                      fix=f"add {pip_dist}=={public} to {file} and the conda pip list")
            continue
        if keras_dists:
            verdicts = [_tf_keras_admits(r, v, keras_dists) for r in mine]
            if any(verdicts) or None in verdicts:
                continue
        for r in [r for r in mine if not _admits(r, v)]:
            yield Hit(f"{file} line {r.line}: {r.text.strip()!r} excludes {r.name} {raw}, the "
                      f"version MLmodel {key} (line {pkg.line(ptr)}) says saved the model",
                      file=file, line=r.line, pointer=f"/line/{r.line}",
                      key=f"pin:{r.name}", fix=f"pin {r.name}=={public}")


_SER_DEPS = {"skops": "skops", "cloudpickle": "cloudpickle"}


@rule("MC507", "serialization-dependency-missing", Level.WARNING, tags=("env",))
def serialization_dependency_missing(pkg):
    """The library that deserializes the model (`skops`, `cloudpickle`) is not required.

    What it checks
    A `sklearn` or `lightgbm` flavor with `serialization_format: skops` needs `skops` in the
    requirements; `serialization_format: cloudpickle` needs `cloudpickle`. MLflow adds these
    itself (2.x sklearn adds `cloudpickle==`, 3.14+ adds `skops==`). A lightgbm flavor whose
    `model_class` is `lightgbm.basic.Booster` (MLflow's default when absent) is skipped: MLflow
    saves a Booster natively (`model.lgb`) and loads it with `lightgbm.Booster(model_file=...)`,
    whatever `serialization_format` says (3.x records `skops` for it anyway). When the library
    is only installed as a dependency of a required distribution (`mlflow` depends on `skops`
    in 3.x, `pycaret` on `mlflow`: read from the distributions' real metadata), or of the MLflow
    that loads the model (`mlflow-skinny` depends on `cloudpickle`, so a loading environment
    always has it), it is a note: it installs, but unpinned.

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
        if flavor == "lightgbm" and conf.get("model_class", LGB_BOOSTER) == LGB_BOOSTER:
            continue  # a Booster is saved and loaded natively; the format is not used
        fmt = conf.get("serialization_format")
        dep = _SER_DEPS.get(fmt) if isinstance(fmt, str) else None
        if dep is None or _find(reqs, (dep,)) or _conda_has(env, dep):
            continue
        ptr = join_pointer("flavors", flavor, "serialization_format")
        via = carriers(dep, _declared(env, reqs))
        via = [d for d in via if d != _LOADER] or via
        if via:
            yield Hit(f"MLmodel {flavor} serialization_format is {fmt!r} (line {pkg.line(ptr)}) "
                      f"but {file} does not pin {dep}: it is installed only as a dependency of "
                      f"{via[0]}, at whatever version that allows", file=file, pointer=ptr,
                      key=f"{flavor}:{dep}", level=Level.NOTE,
                      fix=f"pin {dep}==<version used to save> in {file} and the conda pip list")
            continue
        yield Hit(f"MLmodel {flavor} serialization_format is {fmt!r} (line {pkg.line(ptr)}) "
                  f"but {file} has no {dep} requirement: loading needs it", file=file,
                  pointer=ptr, key=f"{flavor}:{dep}",
                  fix=f"add {dep}==<version used to save> to {file} and the conda pip list")
