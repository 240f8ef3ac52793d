"""MC514–MC516, MC518–MC524: reproducibility and hygiene of the environment files."""

from __future__ import annotations

import datetime as dt

from modelcheck.package.envfiles import MLFLOW_NAMES, REQUIREMENTS, env_of, requirement_files
from modelcheck.results import Hit, Level
from modelcheck.rule import rule


@rule("MC514", "requirement-unpinned", Level.NOTE, tags=("env",))
def requirement_unpinned(pkg):
    """A requirement without an upper bound: the rebuilt environment may get a newer version.

    What it checks
    Requirements with no specifier or only lower bounds (`>=`, `>`), excluding the unpinned
    `mlflow` (MLflow writes it so before 2.3; from 2.3 on MC505 reports it) and URL/path
    requirements.

    Why it matters
    MLflow pins what it infers with `==`; lines a user added (`extra_pip_requirements`,
    `pip_requirements`) stay as written, so a later rebuild may install a release that breaks
    the model. It is a reproducibility risk, not an install failure.

    Example
    `requests>=2.0` or a bare `scikit-learn`.

    How to fix
    Pin the version the model was trained with (`scikit-learn==1.9.1`).
    """
    env = env_of(pkg)
    for lines in requirement_files(env):
        for r in lines:
            if r.kind != "requirement" or not r.name or r.url:
                continue
            if r.name in MLFLOW_NAMES and not r.specifier:
                continue  # MLflow < 2.3 writes it so; from 2.3 on MC505 reports it
            ops = {s.operator for s in r.specifier}
            if ops <= {">=", ">", "!="}:
                what = "no version" if not ops else f"only a lower bound ({r.specifier})"
                yield Hit(f"{r.file} line {r.line}: {r.name} has {what}; a rebuilt environment "
                          "may install a different release than the one the model was saved "
                          "with", file=r.file, line=r.line, pointer=f"/line/{r.line}", key=r.name,
                          fix=f"pin {r.name}==<version used for training>")


@rule("MC515", "deprecated-sklearn-package", Level.ERROR, tags=("env",))
def deprecated_sklearn_package(pkg):
    """The deprecated `sklearn` PyPI package is required instead of `scikit-learn`.

    What it checks
    A requirement named `sklearn`.

    Why it matters
    Since 2023-12-01 every new release of the `sklearn` dummy package raises an error on
    install, so `pip install sklearn` fails; only an exact `sklearn==0.0` pin still installs
    (the old 2017 shim), which is a warning.

    Example
    `sklearn` in `requirements.txt`.

    How to fix
    Replace it with `scikit-learn==<sklearn_version from MLmodel>`.
    """
    env = env_of(pkg)
    for lines in requirement_files(env):
        for r in lines:
            if r.kind == "requirement" and r.name == "sklearn":
                old_shim = [str(s) for s in r.specifier] == ["==0.0"]
                yield Hit(f"{r.file} line {r.line}: {r.text.strip()!r} requires the deprecated "
                          "'sklearn' package" + (" (the 0.0 shim still installs)" if old_shim
                          else ", whose current releases refuse to install"), file=r.file,
                          line=r.line, pointer=f"/line/{r.line}", key="sklearn",
                          level=Level.WARNING if old_shim else None,
                          fix="require scikit-learn instead")


@rule("MC516", "requirement-not-portable", Level.WARNING, tags=("env",))
def requirement_not_portable(pkg):
    """A requirement installs from a local path, an editable checkout or a VCS URL.

    What it checks
    Requirements given as local paths or `file:` URLs that are not inside the package,
    editable (`-e`) requirements, and VCS URLs (`git+https://...`).

    Why it matters
    The path exists only on the author's machine, and a VCS URL installs whatever the branch
    holds today: the serving environment fails to build or differs from training.

    Example
    `-e /home/alice/src/mylib` or `git+https://github.com/acme/feat.git@main`.

    How to fix
    Publish the library to an index and pin it, or ship the wheel inside the package (as
    `mlflow.models.add_libraries_to_model` does) and reference it by relative path.
    """
    env = env_of(pkg)
    for lines in requirement_files(env):
        for r in lines:
            if r.kind != "requirement" or not r.url:
                continue
            if r.is_vcs:
                why = "a VCS URL (it installs whatever the ref points at when rebuilt)"
            elif r.is_local_path and not r.url.startswith("file:"):
                rel = r.url.removeprefix("./")
                if not rel.startswith(("/", "~", "..")) and pkg.exists(rel):
                    continue  # shipped inside the package (e.g. wheels/)
                why = "a local path outside the package"
            elif r.url.startswith("file:"):
                why = "a file: URL on the author's machine"
            elif r.editable:
                why = "an editable install"
            else:
                continue
            yield Hit(f"{r.file} line {r.line}: {r.text.strip()!r} is {why}", file=r.file,
                      line=r.line, pointer=f"/line/{r.line}", key=r.url,
                      fix="pin a published release, or ship the wheel inside the package")


# CPython end-of-life dates (python.org "Status of Python versions", as of 2026-11).
EOL = {
    "2.7": dt.date(2020, 1, 1), "3.0": dt.date(2009, 6, 27), "3.1": dt.date(2012, 4, 9),
    "3.2": dt.date(2016, 2, 20), "3.3": dt.date(2017, 9, 29), "3.4": dt.date(2019, 3, 18),
    "3.5": dt.date(2020, 9, 30), "3.6": dt.date(2021, 12, 23), "3.7": dt.date(2023, 6, 27),
    "3.8": dt.date(2024, 10, 7), "3.9": dt.date(2025, 10, 31), "3.10": dt.date(2026, 10, 31),
    "3.11": dt.date(2027, 10, 31), "3.12": dt.date(2028, 10, 31),
    "3.13": dt.date(2029, 10, 31), "3.14": dt.date(2030, 10, 31),
}


@rule("MC518", "python-end-of-life", Level.NOTE, tags=("env",))
def python_end_of_life(pkg):
    """The model's Python version is past its end of life.

    What it checks
    The major.minor of `python_env.yaml` `python` (else MLmodel `python_version`) against a
    dated table of CPython end-of-life dates.

    Why it matters
    An end-of-life Python gets no security fixes, and current wheels (and sometimes the
    interpreter builds that pyenv/uv download) disappear for it over time.

    Example
    `python: 3.7.9`.

    How to fix
    Retrain or re-log the model on a supported Python.
    """
    env = env_of(pkg)
    pe = env.python_env
    if pe is not None and isinstance(pe.data, dict) and isinstance(pe.data.get("python"), str):
        text, file, ptr = pe.data["python"], pe.file, "/python"
        line = pe.line(ptr)
    else:
        pv = (pkg.pyfunc or {}).get("python_version")
        if not isinstance(pv, str):
            return
        text, file, ptr = pv, "MLmodel", "/flavors/python_function/python_version"
        line = pkg.line(ptr)
    mm = ".".join(text.strip().split(".")[:2])
    end = EOL.get(mm)
    if end is not None and dt.date.today() > end:
        yield Hit(f"{file}: Python {text} reached end of life on {end.isoformat()}", file=file,
                  line=line, pointer=ptr, key=mm, fix="re-log the model on a supported Python")


_INDEX = {"index_url": "--index-url", "extra_index_urls": "--extra-index-url",
          "find_links": "--find-links", "trusted_hosts": "--trusted-host",
          "no_index": "--no-index"}


@rule("MC519", "custom-package-index", Level.NOTE, tags=("env",))
def custom_package_index(pkg):
    """The requirements point pip at a non-default package index or link location.

    What it checks
    `--index-url`, `--extra-index-url`, `--find-links`, `--trusted-host` and `--no-index`
    options in the requirement files.

    Why it matters
    The serving machine needs network access (and often credentials) for that index; an
    extra index can also shadow PyPI packages (dependency confusion).

    Example
    `--extra-index-url https://download.pytorch.org/whl/cu121`.

    How to fix
    Make sure the index is reachable from where the model is served, or vendor the wheels.
    """
    env = env_of(pkg)
    for lines in requirement_files(env):
        for r in lines:
            if r.kind != "option":
                continue
            for opt, flag in _INDEX.items():
                if r.options.get(opt):
                    yield Hit(f"{r.file} line {r.line}: {flag} makes pip use "
                              f"{r.text.strip().split(None, 1)[-1]!r} when the environment is "
                              "rebuilt", file=r.file, line=r.line, pointer=f"/line/{r.line}",
                              key=opt, fix="ensure the serving host can reach this index")


@rule("MC520", "pip-in-requirements", Level.NOTE, tags=("env",))
def pip_in_requirements(pkg):
    """`pip` itself is listed as a requirement.

    What it checks
    A requirement named `pip` in `requirements.txt` or the conda `pip:` list.

    Why it matters
    pip upgrades or downgrades itself in the middle of the install; MLflow pins pip as a build
    dependency in `python_env.yaml` and as `pip<=X` in `conda.yaml` instead.

    Example
    `pip==24.0` in `requirements.txt`.

    How to fix
    Remove it; pin pip in `python_env.yaml` `build_dependencies`.
    """
    env = env_of(pkg)
    for lines in requirement_files(env):
        for r in lines:
            if r.kind == "requirement" and r.name == "pip":
                yield Hit(f"{r.file} line {r.line}: pip is listed as a requirement", file=r.file,
                          line=r.line, pointer=f"/line/{r.line}", key="pip",
                          fix="remove it and pin pip in python_env.yaml build_dependencies")


FREEZE_LINES = 150


@rule("MC521", "environment-freeze", Level.NOTE, tags=("env",))
def environment_freeze(pkg):
    """The requirements look like a whole-environment `pip freeze`.

    What it checks
    More than 150 requirements in `requirements.txt` (or the conda pip list).

    Why it matters
    A frozen environment pins hundreds of unrelated packages (often platform-specific), which
    makes the rebuild slow and fragile; MLflow's inference lists only what the model imports.

    Example
    `pip_requirements="requirements-freeze.txt"` with 300 lines.

    How to fix
    Let MLflow infer the requirements, or list only what the model needs.
    """
    env = env_of(pkg)
    for lines in requirement_files(env)[:1]:
        reqs = [r for r in lines if r.kind == "requirement"]
        if len(reqs) > FREEZE_LINES:
            yield Hit(f"{reqs[0].file} lists {len(reqs)} requirements (more than "
                      f"{FREEZE_LINES}): it looks like a whole-environment freeze",
                      file=reqs[0].file, pointer="/", key="freeze",
                      fix="list only the packages the model needs")


@rule("MC522", "conda-prefix-leak", Level.WARNING, tags=("env",))
def conda_prefix_leak(pkg):
    """`conda.yaml` has a `prefix:` with the author's local environment path.

    What it checks
    A `prefix` key in `conda.yaml` (added by `conda env export`).

    Why it matters
    It leaks a local path (often a user name), and `conda env create -f conda.yaml` without
    `-n`/`-p` tries to create the environment at that path on the serving machine.

    Example
    `prefix: /Users/alice/miniconda3/envs/train`.

    How to fix
    Delete the `prefix:` line.
    """
    env = env_of(pkg)
    ce = env.conda
    if ce is None or not isinstance(ce.data, dict) or "prefix" not in ce.data:
        return
    yield Hit(f"{ce.file}: prefix {ce.data['prefix']!r} is the author's local environment path",
              file=ce.file, line=ce.line("/prefix"), pointer="/prefix",
              fix=f"delete the prefix line from {ce.file}")


@rule("MC523", "requirements-edited", Level.NOTE, tags=("env",))
def requirements_edited(pkg):
    """`requirements.txt` has comments, blank lines or a trailing newline MLflow never writes.

    What it checks
    MLflow writes `requirements.txt` as the pip list joined by newlines: no `#` comments, no
    blank lines, no trailing newline (verified on 2.17 and 3.18).

    Why it matters
    Any of these means the file was edited after MLflow wrote it, so `conda.yaml` and
    `MLmodel` may no longer describe the same environment. pip itself accepts them.

    Example
    A `# pinned by hand` comment line.

    How to fix
    Nothing is required; re-log the model if the edit was not intended, and keep `conda.yaml`
    in step.
    """
    env = env_of(pkg)
    rf = env.requirements
    if rf is None:
        return
    marks = []
    if rf.comment_lines:
        marks.append(f"comments (line {rf.comment_lines[0]})")
    if rf.blank_lines:
        marks.append(f"blank lines (line {rf.blank_lines[0]})")
    if rf.trailing_newline and rf.line_count:
        marks.append("a trailing newline")
    if marks:
        first = (rf.comment_lines or rf.blank_lines or [None])[0]
        yield Hit(f"{REQUIREMENTS} has {', '.join(marks)}, which MLflow never writes: it was "
                  "edited by hand", file=REQUIREMENTS, line=first, pointer="/", key="edited",
                  fix="check conda.yaml still matches, or re-log the model")


@rule("MC524", "conda-pip-not-declared", Level.NOTE, tags=("env",))
def conda_pip_not_declared(pkg):
    """`conda.yaml` has a `pip:` section but no `pip` dependency.

    What it checks
    A conda `pip:` list without a `pip` entry among the conda dependencies (MLflow writes
    `pip<=<version>`).

    Why it matters
    Harmless in practice (conda installs pip with python), but conda warns and the pip version
    is not pinned.

    Example
    `dependencies: [python=3.7.9, {pip: [mlflow==1.12.0]}]`.

    How to fix
    Add `pip<=<version>` before the `pip:` section.
    """
    env = env_of(pkg)
    ce = env.conda
    if ce is None or ce.pip is None:
        return
    from modelcheck.package.envfiles import conda_name

    if any(isinstance(d.value, str) and conda_name(d.value) == "pip" for d in ce.deps):
        return
    yield Hit(f"{ce.file} has a pip: section (line {ce.pip_line}) but no 'pip' conda dependency",
              file=ce.file, line=ce.pip_line, pointer=ce.pip_pointer,
              fix="add 'pip' (e.g. pip<=23.2.1) to the conda dependencies")
