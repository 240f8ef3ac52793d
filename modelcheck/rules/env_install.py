"""MC510–MC513, MC517: requirements that a rebuilt environment will not install as written."""

from __future__ import annotations

import functools
import re
import sys

from modelcheck.formats.requirements.parse import ReqLine
from modelcheck.package.envfiles import conda_name, env_of, requirement_files
from modelcheck.results import Hit, Level
from modelcheck.rule import rule

_BUILD = {"python", "pip", "setuptools", "wheel"}


@rule("MC510", "conda-only-dependencies", Level.WARNING, tags=("env",))
def conda_only_dependencies(pkg):
    """`conda.yaml` lists conda packages that a virtualenv/uv restore does not install.

    What it checks
    Conda dependencies other than `python`, `pip`, `setuptools` and `wheel` (e.g. `numpy=1.26`,
    `cudatoolkit=11.8`). Without `python_env.yaml` this is a warning: MLflow then rebuilds the
    virtualenv from `conda.yaml` and drops them with a warning. With `python_env.yaml` it is a
    note: virtualenv/uv never read `conda.yaml`, so only `env_manager=conda` installs them.

    Why it matters
    The default restore (`virtualenv`/`uv`) builds an environment without these packages, so
    a model that needs them fails to load or behaves differently than under conda.

    Example
    `dependencies: [python=3.7, numpy=1.18.1, scikit-learn=0.22.1, {pip: [mlflow]}]`.

    How to fix
    Move the packages into the `pip:` list (and `requirements.txt`) with pip pins.
    """
    env = env_of(pkg)
    if env.conda is None:
        return
    others = [d for d in env.conda.deps
              if isinstance(d.value, str) and conda_name(d.value) not in _BUILD]
    has_venv = env.python_env is not None
    for d in others:
        if has_venv:
            msg = (f"{env.conda.file}: conda dependency {d.value!r} is installed only by "
                   "env_manager=conda; virtualenv/uv restores use python_env.yaml and "
                   "requirements.txt, which do not list it")
        else:
            msg = (f"{env.conda.file}: conda dependency {d.value!r} is dropped (with a warning) "
                   "when MLflow rebuilds a virtualenv/uv environment from conda.yaml, since "
                   "this package has no python_env.yaml")
        yield Hit(msg, file=env.conda.file, line=d.line, pointer=d.pointer, key=d.value,
                  level=Level.NOTE if has_venv else None,
                  fix="add the package to the pip list and requirements.txt with a pip pin")


def _python_of(pkg, env) -> str | None:
    pe = env.python_env
    if pe is not None and isinstance(pe.data, dict) and isinstance(pe.data.get("python"), str):
        return pe.data["python"]
    pv = (pkg.pyfunc or {}).get("python_version")
    return pv if isinstance(pv, str) else None


@rule("MC511", "requirement-conflict", Level.ERROR, tags=("env",))
def requirement_conflict(pkg):
    """Requirements for one package whose specifiers no version satisfies, or duplicates.

    What it checks
    Lines for the same distribution and marker in one requirement list (`requirements.txt`,
    the conda `pip:` list, `python_env.yaml` dependencies), together with `constraints.txt`
    lines for that name: their version specifiers must have a common version, decided exactly
    over PEP 440 version intervals (`==`, `!=`, `~=`, `===`, `<`, `<=`, `>`, `>=`, wildcards,
    local labels, pre-/post-release rules). A satisfiable duplicate (the same line twice, or
    two lines for one package) is a warning; MC503 does not count it as a difference between
    the files.

    Why it matters
    pip stops with "ResolutionImpossible" / "Cannot install ... because these package versions
    have conflicting dependencies": the environment cannot be built.

    Example
    `scikit-learn==0.0` and `scikit-learn==1.1.1` in the same `requirements.txt`.

    How to fix
    Keep one requirement per package with the version that saved the model.
    """
    env = env_of(pkg)
    cons: dict[str, list[ReqLine]] = {}
    if env.constraints is not None:
        for c in env.constraints.requirements:
            if c.name:
                cons.setdefault(c.name, []).append(c)
    for lines in _every_list(env):
        groups: dict[tuple[str, str], list[ReqLine]] = {}
        for r in lines:
            if r.kind == "requirement" and r.name and not r.url:
                groups.setdefault(r.key, []).append(r)
        for (name, _marker), rs in groups.items():
            extra = cons.get(name, [])
            if len(rs) + len(extra) < 2:
                continue
            from modelcheck.formats.requirements.specifiers import satisfiable

            if not satisfiable([s for r in rs + extra for s in r.specifier]).satisfiable:
                where = ", ".join(f"{r.file} line {r.line} {r.text.strip()!r}"
                                  for r in rs + extra)
                yield Hit(f"no version of {name} satisfies all of: {where}", file=rs[-1].file,
                          line=rs[-1].line, pointer=f"/line/{rs[-1].line}", key=f"conflict:{name}",
                          fix=f"keep a single {name} requirement (the version that saved the "
                              "model) and drop or fix the others")
            elif len(rs) > 1:
                yield Hit(f"{name} is required {len(rs)} times in {rs[0].file} (lines "
                          f"{', '.join(str(r.line) for r in rs)})", file=rs[-1].file,
                          line=rs[-1].line, pointer=f"/line/{rs[-1].line}", level=Level.WARNING,
                          key=f"duplicate:{name}", fix=f"merge the {name} lines into one")


def _every_list(env) -> list[list[ReqLine]]:
    """requirements.txt, the conda pip list (even next to requirements.txt: a line repeated
    there is a duplicate of its own) and python_env.yaml's inline dependencies."""
    out = list(requirement_files(env))
    if env.requirements is not None and env.conda is not None and env.conda.pip is not None:
        same = [r.canonical() for r in env.requirements.lines] == [
            r.canonical() for r in env.conda.pip]
        if not same:  # the same list written twice is reported once, on requirements.txt
            out.insert(1, env.conda.pip)
    return out


# Standard-library names that are also real PyPI distributions (backports) people install.
_BACKPORTS = {"dataclasses", "typing", "argparse", "enum34", "configparser", "contextvars",
              "pathlib", "statistics", "asyncio", "ipaddress", "importlib", "uuid"}


@functools.lru_cache(maxsize=1)
def _stdlib_names() -> frozenset[str]:
    """The standard library's top-level modules, as (PEP 503-ish) requirement names."""
    names = {n.lower().replace("_", "-") for n in getattr(sys, "stdlib_module_names", ())}
    return frozenset(names - {"test", "idlelib", "this", "antigravity"})


@rule("MC512", "stdlib-requirement", Level.WARNING, tags=("env",))
def stdlib_requirement(pkg):
    """A standard-library module is listed as a pip requirement.

    What it checks
    Requirement names that are Python standard-library modules (`pickle`, `json`, `os`,
    `datetime`, ...; `sys.stdlib_module_names`). Names that are also genuine PyPI backports
    (`dataclasses`, `typing`, `argparse`, `configparser`, `enum34`, ...) are a note.

    Why it matters
    The standard library ships with Python and is not on PyPI: pip fails with "No matching
    distribution found", or installs an unrelated or Python-2-only project that happens to
    use the name. A backport installs, but shadows nothing useful on a modern Python.

    Example
    `pickle` or `json==2.0.9` in `requirements.txt`.

    How to fix
    Delete the line; the module comes with Python.
    """
    env = env_of(pkg)
    stdlib = _stdlib_names()
    for lines in requirement_files(env):
        for r in lines:
            if r.kind != "requirement" or not r.name or r.url:
                continue
            if r.name in _BACKPORTS and (r.name in stdlib or r.name == "enum34"):
                yield Hit(f"{r.file} line {r.line}: {r.text.strip()!r}: pip installs the PyPI "
                          f"backport {r.name!r}, but Python already ships this module in its "
                          "standard library", file=r.file, line=r.line, level=Level.NOTE,
                          pointer=f"/line/{r.line}", key=r.name,
                          fix="remove the line unless an old Python needs the backport")
            elif r.name in stdlib:
                yield Hit(f"{r.file} line {r.line}: {r.name!r} is a Python standard-library "
                          "module, not a PyPI distribution: pip fails ('No matching "
                          "distribution') or installs an unrelated project of that name",
                          file=r.file, line=r.line, pointer=f"/line/{r.line}", key=r.name,
                          fix="remove the line: the module ships with Python")


_PLATFORM_ONLY = {
    "tensorflow-intel": "Windows", "pywin32": "Windows", "pywinpty": "Windows",
    "tensorflow-macos": "macOS", "tensorflow-metal": "macOS", "pyobjc": "macOS",
    "pyobjc-core": "macOS", "tensorflow-directml": "Windows", "torch-directml": "Windows",
}
_INDEX_OPTS = ("index_url", "extra_index_urls", "find_links")


@rule("MC513", "platform-specific-requirement", Level.WARNING, tags=("env",))
def platform_specific_requirement(pkg):
    """A requirement that only installs on Windows or macOS, or only from a custom index.

    What it checks
    Distributions published only for one platform (`tensorflow-intel`, `pywin32`,
    `tensorflow-macos`, `tensorflow-metal`, ...) without a `sys_platform`/`platform_system`
    marker, and pins with a CUDA/ROCm local label (`torch==2.3.0+cu121`) when the file names no
    extra index or find-links.

    Why it matters
    Model servers are usually Linux: pip finds no matching wheel and the environment build
    fails. PyPI never serves local versions such as `+cu121`.

    Example
    `tensorflow-intel==2.15.0` in a model logged on Windows.

    How to fix
    Pin the portable distribution (`tensorflow==2.15.0`, `torch==2.3.0`), or add a platform
    marker (`pywin32; sys_platform == "win32"`).
    """
    env = env_of(pkg)
    for lines in requirement_files(env):
        has_index = any(r.kind == "option" and any(o in r.options for o in _INDEX_OPTS)
                        for r in lines)
        for r in lines:
            if r.kind != "requirement" or not r.name:
                continue
            mk = r.marker_text
            if r.name in _PLATFORM_ONLY and not re.search(r"platform|os_name", mk):
                yield Hit(f"{r.file} line {r.line}: {r.name} is published only for "
                          f"{_PLATFORM_ONLY[r.name]}; pip cannot install it on a Linux server",
                          file=r.file, line=r.line, pointer=f"/line/{r.line}", key=r.name,
                          fix="use the portable distribution or add a platform marker")
            local = [s.version for s in r.specifier if "+" in s.version]
            if local and not has_index:
                yield Hit(f"{r.file} line {r.line}: {r.text.strip()!r} pins a local version "
                          f"({local[0]}) that PyPI does not serve, and the file names no extra "
                          "index", file=r.file, line=r.line, pointer=f"/line/{r.line}",
                          key=f"local:{r.name}",
                          fix="drop the +label, or add the --extra-index-url that serves it")


_PY_VARS = {"python_version", "python_full_version"}
# compiled on first use (re's cache): only requirements with markers need it
_VAR_RE = (r"\b([a-z_]+(?:\.[a-z_]+)?)\s*(?:==|!=|<=|>=|<|>|~=|===|in|not in)\s*['\"]"
           r"|['\"]\s*(?:==|!=|<=|>=|<|>|~=|===|in|not in)\s*([a-z_]+)\b")


@rule("MC517", "marker-excludes-python", Level.WARNING, tags=("env",))
def marker_excludes_python(pkg):
    """A requirement's environment marker is false for the model's own Python version.

    What it checks
    Requirements whose markers use only `python_version`/`python_full_version` and evaluate to
    false for the Python the environment is rebuilt with (`python_env.yaml`, else MLmodel
    `python_version`).

    Why it matters
    pip silently skips such a requirement: the rebuilt environment lacks the package.

    Example
    `numpy==1.26.4; python_version < "3.10"` with `python: 3.11.7`.

    How to fix
    Fix or drop the marker so the requirement applies to the model's Python.
    """
    env = env_of(pkg)
    py = _python_of(pkg, env)
    if not py or not re.fullmatch(r"\d+\.\d+(\.\d+)?", py.strip()):
        return
    py = py.strip()
    parts = py.split(".")
    ctx: dict[str, str] | None = None
    for lines in requirement_files(env):
        for r in lines:
            if r.kind != "requirement" or r.marker is None:
                continue
            used = {a or b for a, b in re.findall(_VAR_RE, str(r.marker))}
            if not used or not used <= _PY_VARS:
                continue
            if ctx is None:  # packaging.markers only loads when a marker needs evaluating
                from packaging.markers import default_environment

                ctx = dict(default_environment())
                ctx["python_version"] = ".".join(parts[:2])
                ctx["python_full_version"] = py if len(parts) == 3 else py + ".0"
            try:
                ok = r.marker.evaluate(ctx)
            except Exception:
                continue
            if not ok:
                yield Hit(f"{r.file} line {r.line}: the marker '{r.marker}' is false for Python "
                          f"{py}, so pip skips {r.name or r.text.strip()!r}", file=r.file,
                          line=r.line, pointer=f"/line/{r.line}", key=r.name or r.text,
                          fix=f"make the marker true for Python {py} or remove it")
