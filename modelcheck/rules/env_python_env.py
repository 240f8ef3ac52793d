"""MC526-MC527: what a virtualenv/uv restore installs from `python_env.yaml`.

MLflow (mlflow/utils/virtualenv.py, `_create_virtualenv`) writes `build_dependencies`, then
`dependencies`, each to a temporary requirements file in the model directory and runs
`pip install -r` on it there: nothing else is installed, and one line pip cannot install fails
the whole restore.
"""

from __future__ import annotations

import posixpath
import sys

from modelcheck.formats.flavors import FLAVOR_LIBRARIES, FLAVOR_MODULES
from modelcheck.formats.requirements.importmap import closure, distributions_for
from modelcheck.formats.requirements.parse import ReqLine
from modelcheck.package.envfiles import REQUIREMENTS, env_of, read_reqfile, resolve_include
from modelcheck.results import Hit, Level
from modelcheck.rule import rule


def _installed(pkg, lines: list[ReqLine], base: str, depth: int = 0
               ) -> tuple[set[str], set[str]]:
    """(distribution names the lines install, package files they include with -r)."""
    names: set[str] = set()
    files: set[str] = set()
    for r in lines:
        if r.kind == "requirement" and r.name:
            names.add(r.name)
        elif r.kind == "option":
            for target in r.options.get("requirements") or ():
                rel, _why = resolve_include(base, str(target))
                if rel is None or rel in files:
                    continue
                files.add(rel)
                rf = read_reqfile(pkg, rel) if depth < 3 else None
                if rf is not None:
                    n, f = _installed(pkg, rf.lines, rel, depth + 1)
                    names |= n
                    files |= f
    return names, files


def _flavor_dists(pkg) -> set[str]:
    out: set[str] = set()
    for flavor in pkg.flavors:
        if flavor in FLAVOR_LIBRARIES and flavor != "python_function":
            module = FLAVOR_MODULES.get(flavor, FLAVOR_LIBRARIES[flavor][1])
            out |= {FLAVOR_LIBRARIES[flavor][1], *distributions_for(module)}
    return out


@rule("MC526", "python-env-misses-requirements", Level.WARNING, tags=("env",))
def python_env_misses_requirements(pkg):
    """`python_env.yaml` `dependencies` do not install the model's `requirements.txt`.

    What it checks
    MLflow writes `dependencies: [-r requirements.txt]`. When the list does not include
    `requirements.txt` (directly or through another `-r` file), every requirement of
    `requirements.txt` must be installed by the list itself or come along with what it
    installs. A missing library that one of the model's flavors loads (`scikit-learn` for
    `sklearn`) is an error: loading fails in the restored environment.

    Why it matters
    virtualenv/uv restores (the default for serving) install exactly `build_dependencies` and
    `dependencies` from `python_env.yaml`: with `dependencies: []`, no `dependencies` key or
    `-r other.txt`, the model's libraries are never installed and loading raises
    `ModuleNotFoundError`.

    Example
    `dependencies: []` next to a `requirements.txt` listing `scikit-learn==1.5.2`.

    How to fix
    Write `dependencies: [-r requirements.txt]` (as MLflow does), or re-log the model.
    """
    env = env_of(pkg)
    pe, rf = env.python_env, env.requirements
    if pe is None or rf is None or not isinstance(pe.data, dict) or not rf.requirements:
        return
    deps = pe.data.get("dependencies")
    if deps is not None and not isinstance(deps, list):
        return  # MC508 reports the shape
    names, files = _installed(pkg, pe.deps, pe.file)
    if REQUIREMENTS in files:
        return
    present = closure(names)
    missing = [r for r in rf.requirements if r.name and r.name not in present]
    if not missing:
        return
    flavor_libs = _flavor_dists(pkg)
    fatal = [r for r in missing if r.name in flavor_libs]
    shown = ", ".join(r.name or "" for r in (fatal or missing)[:5])
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    how = ("has no dependencies" if deps is None else "dependencies is an empty list"
           if not pe.deps else f"dependencies install neither -r {REQUIREMENTS} nor "
           f"{shown}{more}")
    line = pe.line("/dependencies") if deps is not None else None
    yield Hit(f"{pe.file} {how}: a virtualenv/uv restore builds an environment "
              f"without {'the model library ' if fatal else ''}{shown}{more} from "
              f"{REQUIREMENTS}" + (", so loading fails" if fatal else ""),
              file=pe.file, line=line, pointer="/dependencies" if deps is not None else "/",
              level=Level.ERROR if fatal else None, key="dependencies",
              fix=f"write 'dependencies: [-r {REQUIREMENTS}]' in {pe.file}")


def _stdlib(name: str) -> bool:
    names = getattr(sys, "stdlib_module_names", ())
    return name.replace("-", "_") in names and name not in _BACKPORTS


# standard-library names that are real PyPI backports (they install)
_BACKPORTS = {"dataclasses", "typing", "argparse", "configparser", "contextvars", "pathlib",
              "statistics", "asyncio", "ipaddress", "importlib", "uuid", "enum34"}


def _build_problem(pkg, r: ReqLine, base: str) -> str | None:
    if r.kind == "option":
        for dest in ("requirements", "constraints"):
            for target in r.options.get(dest) or ():
                rel, why = resolve_include(base, str(target))
                if rel is None:
                    return f"includes {target!r}, {why}"
                if not pkg.is_file(rel):
                    return f"includes {target!r}, which is not in the package"
        return None
    if r.kind != "requirement":
        return None  # unparsable lines are MC501's
    if r.url and r.is_local_path and not r.is_vcs:
        path = r.url.removeprefix("file:").removeprefix("//")
        rel = posixpath.normpath(path.removeprefix("./"))
        if path.startswith(("/", "~")) or rel.startswith("..") or not pkg.exists(rel):
            return f"installs {r.url!r}, a path that is not in the package"
    if r.name and not r.url and _stdlib(r.name):
        return f"names the standard-library module {r.name!r}, which is not on PyPI"
    if r.name == "sklearn" and [str(s) for s in r.specifier] != ["==0.0"]:
        return "requires the deprecated 'sklearn' package, whose releases refuse to install"
    return None


@rule("MC527", "python-env-build-uninstallable", Level.ERROR, tags=("env",))
def python_env_build_uninstallable(pkg):
    """A `python_env.yaml` build dependency that pip cannot install.

    What it checks
    Each `build_dependencies` line: an `-r`/`-c` include must be a file in the package, a
    path requirement must point into the package, and the name must not be a standard-library
    module (not on PyPI) or the deprecated `sklearn` package (its releases refuse to install).
    Unparsable lines are MC501's.

    Why it matters
    MLflow installs `build_dependencies` with one `pip install` before anything else; one
    line pip cannot install fails it, and the model's environment is never built.

    Example
    `build_dependencies: [pip==23.3.1, setuptools, -r build.txt]` with no `build.txt`.

    How to fix
    Keep the build dependencies MLflow writes (`pip`, `setuptools`, `wheel`), pinned.
    """
    env = env_of(pkg)
    pe = env.python_env
    if pe is None:
        return
    for r in pe.build:
        why = _build_problem(pkg, r, pe.file)
        if why:
            yield Hit(f"{pe.file} line {r.line}: build dependency {r.text.strip()!r} {why}: "
                      "pip cannot install it, so the virtualenv/uv restore fails", file=pe.file,
                      line=r.line, pointer=f"/line/{r.line}", key=r.text.strip(),
                      fix="remove it, or keep only pip, setuptools and wheel (pinned)")
