"""The package's environment files, parsed once per package (``env_of(pkg)``).

``conda.yaml`` (channels, python pin, conda deps, the nested ``pip:`` list), ``python_env.yaml``
(``python``, ``build_dependencies``, ``dependencies``), ``requirements.txt`` and
``constraints.txt``, each requirement carrying its file and line. Nothing here raises: shapes
MLflow would reject are kept as values for the MC5xx rules to report.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from modelcheck.formats.requirements.parse import (
    ReqFile,
    ReqLine,
    parse_requirement_line,
    parse_requirements_text,
)
from modelcheck.formats.yaml.loader import SHARED_MAX, YamlDoc, join_pointer, load_yaml_shared
from modelcheck.records import FACTORY, Record

if TYPE_CHECKING:
    from modelcheck.package.model_package import ModelPackage

T = TypeVar("T")

CONDA = "conda.yaml"
PYTHON_ENV = "python_env.yaml"
REQUIREMENTS = "requirements.txt"
CONSTRAINTS = "constraints.txt"


class CondaDep(Record):
    """One entry of the conda ``dependencies`` list."""

    _fields = ("index", "value", "line", "pointer")

    def __init__(self, index: int, value: Any, line: int | None, pointer: str) -> None:
        self.index = index
        self.value = value
        self.line = line
        self.pointer = pointer


class CondaEnv(Record):
    """A parsed ``conda.yaml``: its dependencies and its ``pip:`` requirements."""

    _fields = ("file", "doc", "data", "deps", "pip", "pip_pointer", "pip_line")

    def __init__(self, file: str, doc: YamlDoc, data: Any = None, deps: list[CondaDep] = FACTORY,
                 pip: list[ReqLine] | None = None, pip_pointer: str = "",
                 pip_line: int | None = None) -> None:
        self.file = file
        self.doc = doc
        self.data = data
        self.deps = [] if deps is FACTORY else deps
        self.pip = pip  # None: no pip section
        self.pip_pointer = pip_pointer
        self.pip_line = pip_line

    def line(self, pointer: str) -> int | None:
        return self.doc.line(pointer)

    @property
    def python_deps(self) -> list[CondaDep]:
        return [d for d in self.deps if isinstance(d.value, str) and conda_name(d.value) ==
                "python"]


class PythonEnv(Record):
    """A parsed ``python_env.yaml``: build and runtime dependencies."""

    _fields = ("file", "doc", "data", "build", "deps")

    def __init__(self, file: str, doc: YamlDoc, data: Any = None, build: list[ReqLine] = FACTORY,
                 deps: list[ReqLine] = FACTORY) -> None:
        self.file = file
        self.doc = doc
        self.data = data
        self.build = [] if build is FACTORY else build
        self.deps = [] if deps is FACTORY else deps

    def line(self, pointer: str) -> int | None:
        return self.doc.line(pointer)


class Env(Record):
    """The package's environment files, each parsed (None when absent)."""

    _fields = ("conda", "python_env", "requirements", "constraints", "conda_path",
               "python_env_path")

    def __init__(self, conda: CondaEnv | None = None, python_env: PythonEnv | None = None,
                 requirements: ReqFile | None = None, constraints: ReqFile | None = None,
                 conda_path: str | None = None, python_env_path: str | None = None) -> None:
        self.conda = conda
        self.python_env = python_env
        self.requirements = requirements
        self.constraints = constraints
        self.conda_path = conda_path
        self.python_env_path = python_env_path


def conda_name(spec: str) -> str:
    """Package name of a conda match spec (``python=3.9``, ``conda-forge::numpy>=1``)."""
    s = spec.strip().split("::")[-1]
    for i, ch in enumerate(s):
        if ch in "=<>!~ [":
            return s[:i].strip().lower()
    return s.lower()


def env_paths(pkg: ModelPackage) -> tuple[str | None, str | None]:
    """(conda.yaml path, python_env.yaml path) from pyfunc ``env``, else the default names."""
    pyfunc = pkg.pyfunc or {}
    env = pyfunc.get("env")
    conda = venv = None
    if isinstance(env, str):
        conda = env
    elif isinstance(env, dict):
        conda = env.get("conda") if isinstance(env.get("conda"), str) else None
        venv = env.get("virtualenv") if isinstance(env.get("virtualenv"), str) else None
    conda = _inside(conda) or (CONDA if pkg.is_file(CONDA) else None)
    venv = _inside(venv) or (PYTHON_ENV if pkg.is_file(PYTHON_ENV) else None)
    return conda, venv


def _inside(rel: str | None) -> str | None:
    if not rel or rel.startswith("/") or "\\" in rel:
        return None
    norm = posixpath.normpath(rel)
    return None if norm.startswith("..") else norm


def env_of(pkg: ModelPackage) -> Env:
    return pkg.memo("envfiles", lambda: _build(pkg))


def _build(pkg: ModelPackage) -> Env:
    env = Env()
    env.conda_path, env.python_env_path = env_paths(pkg)
    if env.conda_path and pkg.is_file(env.conda_path):
        env.conda = _conda(pkg, env.conda_path)
    if env.python_env_path and pkg.is_file(env.python_env_path):
        env.python_env = _python_env(pkg, env.python_env_path)
    env.requirements = read_reqfile(pkg, REQUIREMENTS)
    env.constraints = read_reqfile(pkg, CONSTRAINTS)
    return env


def read_reqfile(pkg: ModelPackage, rel: str) -> ReqFile | None:
    if not pkg.is_file(rel):
        return None
    t = pkg.text(rel)
    if not t.ok or t.text is None:
        return None
    return pkg.memo(("reqfile", rel), lambda: _shared(
        pkg, rel, _reqfile_shared, lambda: parse_requirements_text(t.text or "", rel)))


# Environment files repeat across the packages of a fleet (every version of a model, every
# model trained in one image): what is parsed from one is a pure function of its path and
# text, so it is built once per process for each distinct (path, text) of at most SHARED_MAX
# characters, like the YAML documents it comes from (formats/yaml/loader.load_yaml_shared).
# Shared results are read-only, as everything handed to rules already is.
def _shared(pkg: ModelPackage, rel: str, shared: Callable[[str, str], T],
            build: Callable[[], T]) -> T:
    """``shared(text, rel)`` for a file of at most SHARED_MAX characters, else ``build()``."""
    t = pkg.text(rel)
    if t.ok and t.text is not None and len(t.text) <= SHARED_MAX:
        return shared(t.text, rel)
    return build()


@functools.lru_cache(maxsize=256)
def _reqfile_shared(text: str, rel: str) -> ReqFile:
    return parse_requirements_text(text, rel)


@functools.lru_cache(maxsize=256)
def _conda_shared(text: str, rel: str) -> CondaEnv:
    return _conda_doc(load_yaml_shared(text), rel)


@functools.lru_cache(maxsize=256)
def _python_env_shared(text: str, rel: str) -> PythonEnv:
    return _python_env_doc(load_yaml_shared(text), rel)


def _conda(pkg: ModelPackage, rel: str) -> CondaEnv:
    return _shared(pkg, rel, _conda_shared, lambda: _conda_doc(pkg.yaml(rel), rel))


def _python_env(pkg: ModelPackage, rel: str) -> PythonEnv:
    return _shared(pkg, rel, _python_env_shared,
                   lambda: _python_env_doc(pkg.yaml(rel), rel))


def _conda_doc(doc: YamlDoc, rel: str) -> CondaEnv:
    ce = CondaEnv(rel, doc, doc.data if doc.ok else None)
    data = ce.data
    if not isinstance(data, dict) or not isinstance(data.get("dependencies"), list):
        return ce
    dep_lines = doc.item_lines("/dependencies", len(data["dependencies"]))
    for i, (dep, dep_line) in enumerate(zip(data["dependencies"], dep_lines, strict=True)):
        ce.deps.append(CondaDep(i, dep, dep_line, join_pointer("dependencies", i)))
        if isinstance(dep, dict) and "pip" in dep and isinstance(dep["pip"], list):
            ce.pip = ce.pip or []
            ce.pip_pointer = join_pointer("dependencies", i, "pip")
            ce.pip_line = doc.line(ce.pip_pointer)
            lines = doc.item_lines(ce.pip_pointer, len(dep["pip"]))
            for item, line in zip(dep["pip"], lines, strict=True):
                line = line or 0
                ce.pip.append(parse_requirement_line(str(item), rel, line) if isinstance(
                    item, str) else ReqLine(rel, line, repr(item), "invalid",
                                            error=f"a {type(item).__name__}, not a string"))
    return ce


def _python_env_doc(doc: YamlDoc, rel: str) -> PythonEnv:
    pe = PythonEnv(rel, doc, doc.data if doc.ok else None)
    if not isinstance(pe.data, dict):
        return pe
    for key, target in (("build_dependencies", pe.build), ("dependencies", pe.deps)):
        items = pe.data.get(key)
        if not isinstance(items, list):
            continue
        for item, line in zip(items, doc.item_lines(join_pointer(key), len(items)),
                              strict=True):
            line = line or 0
            target.append(parse_requirement_line(str(item), rel, line) if isinstance(item, str)
                          else ReqLine(rel, line, repr(item), "invalid",
                                       error=f"a {type(item).__name__}, not a string"))
    return pe


def resolve_include(base_file: str, target: str) -> tuple[str | None, str | None]:
    """Package-relative path of a ``-r``/``-c`` target, or (None, why it is not usable)."""
    if "://" in target:
        return None, "a URL"
    if target.startswith(("/", "~")) or (len(target) > 1 and target[1] == ":"):
        return None, "an absolute path outside the package"
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(base_file), target))
    if joined == ".." or joined.startswith("../"):
        return None, "a path that leaves the package"
    return joined, None


# -- facts shared by the MC5xx rules -----------------------------------------------------

MLFLOW_NAMES = ("mlflow", "mlflow-skinny", "mlflow-tracing")


def pip_requirements(env: Env) -> tuple[str, list[ReqLine]] | None:
    """The pip list MLflow would install: requirements.txt, else conda's pip section."""
    if env.requirements is not None:
        return env.requirements.file, env.requirements.requirements
    if env.conda is not None and env.conda.pip is not None:
        return env.conda.file, [r for r in env.conda.pip if r.kind == "requirement"]
    return None


def all_requirement_sources(env: Env, *, build: bool = True) -> list[list[ReqLine]]:
    """Every list of requirement lines (requirements, constraints, conda pip, python_env;
    python_env's build_dependencies only with ``build``)."""
    out: list[list[ReqLine]] = []
    if env.requirements is not None:
        out.append(env.requirements.lines)
    if env.constraints is not None:
        out.append(env.constraints.lines)
    if env.conda is not None and env.conda.pip is not None:
        out.append(env.conda.pip)
    if env.python_env is not None:
        if build:
            out.append(env.python_env.build)
        out.append(env.python_env.deps)
    return out


def requirement_files(env: Env) -> list[list[ReqLine]]:
    """Requirement lists without duplicates of one another: requirements.txt (else conda pip),
    constraints.txt and python_env inline deps (``-r`` lines excluded)."""
    out: list[list[ReqLine]] = []
    if env.requirements is not None:
        out.append(env.requirements.lines)
    elif env.conda is not None and env.conda.pip is not None:
        out.append(env.conda.pip)
    if env.python_env is not None:
        out.append([r for r in env.python_env.deps if r.kind == "requirement"])
    return out
