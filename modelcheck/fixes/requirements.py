"""MC515, MC512, MC520: requirements that must not be there, in every list that has them.

A fix names the requirement (``sklearn``, a standard-library module, ``pip``) and changes it in
``requirements.txt``, the conda ``pip:`` list and the ``python_env.yaml`` dependencies alike,
so that the files MLflow writes identically stay identical. A line is deleted with its line
break; a YAML list is never emptied (an empty ``pip:`` or ``dependencies:`` is null, which
MLflow rejects).
"""

from __future__ import annotations

from collections.abc import Iterator

from packaging.version import InvalidVersion, Version

from modelcheck.fixes.base import SAFE, UNSAFE, Change, fixer
from modelcheck.fixes.sites import ReqList, replace_head, req_lists
from modelcheck.package.envfiles import conda_name, env_of
from modelcheck.package.model_package import ModelPackage
from modelcheck.results import Finding, Level


def _deletions(code: str, safety: str, lists: list[ReqList], names: set[str],
               why: str) -> Iterator[Change]:
    """Delete the requirements named ``names`` from each list (not emptying a YAML list)."""
    for rl in lists:
        doomed = [s for s in rl.sites if s.name in names]
        if not doomed or (rl.yaml and len(doomed) >= rl.count):
            continue
        for s in doomed:
            yield Change(code, safety, rl.file, (s.delete,),
                         f"{rl.file}: delete {s.text!r} (line {s.line}): {why}")


def _names(findings: list[Finding]) -> set[str]:
    return {f.key for f in findings if f.key}


def _sklearn_version(pkg: ModelPackage) -> str | None:
    raw = (pkg.flavors.get("sklearn") or {}).get("sklearn_version")
    if not isinstance(raw, str):
        return None
    try:
        return Version(raw).public
    except InvalidVersion:
        return None


def _meant(s) -> str:
    """The specifiers of a `sklearn` requirement when they can only mean scikit-learn's
    releases (`sklearn==0.24.1`: the dummy package never had one), else "" (the 0.0 shim)."""
    spec = s.req.specifier
    if not str(spec) or any(x.version.startswith("0.0") for x in spec):
        return ""
    return str(spec)


@fixer("MC515")
def sklearn_package(pkg: ModelPackage, findings: list[Finding]) -> Iterator[Change]:
    version = _sklearn_version(pkg)
    for rl in req_lists(pkg):
        has = any(s.name == "scikit-learn" for s in rl.sites)
        for s in rl.sites:
            if s.name != "sklearn":
                continue
            new = f"scikit-learn=={version}" if version else "scikit-learn" + _meant(s)
            edit = s.delete if has else replace_head(s, new)
            if edit is None:
                continue
            what = f"delete {s.text!r} (it requires scikit-learn already)" if has \
                else f"replace {s.text!r} with {new!r}"
            yield Change("MC515", SAFE, rl.file, (edit,), f"{rl.file} line {s.line}: {what}")


@fixer("MC512")
def stdlib_requirement(pkg: ModelPackage, findings: list[Finding]) -> Iterator[Change]:
    names = _names([f for f in findings if f.level > Level.NOTE])
    backports = _names([f for f in findings if f.level <= Level.NOTE]) - names
    lists = req_lists(pkg)
    yield from _deletions("MC512", SAFE, lists, names, "it is a standard-library module")
    yield from _deletions("MC512", UNSAFE, lists, backports,
                          "a backport of a standard-library module")


def _pip_pinned_elsewhere(pkg: ModelPackage) -> bool:
    env = env_of(pkg)
    if env.python_env is not None and any(r.name == "pip" for r in env.python_env.build):
        return True
    return env.conda is not None and any(
        isinstance(d.value, str) and conda_name(d.value) == "pip" for d in env.conda.deps)


@fixer("MC520")
def pip_requirement(pkg: ModelPackage, findings: list[Finding]) -> Iterator[Change]:
    safety = SAFE if _pip_pinned_elsewhere(pkg) else UNSAFE
    yield from _deletions("MC520", safety, req_lists(pkg), {"pip"},
                          "pip is pinned as a build dependency, not a requirement")
