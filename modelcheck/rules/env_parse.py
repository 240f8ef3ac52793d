"""MC501, MC502, MC508, MC509: environment files that pip, MLflow or conda cannot read."""

from __future__ import annotations

import re
from collections.abc import Iterator

from modelcheck.formats.yaml.loader import join_pointer
from modelcheck.package.envfiles import (
    CONSTRAINTS,
    REQUIREMENTS,
    all_requirement_sources,
    env_of,
    resolve_include,
)
from modelcheck.package.model_package import DECODE_KINDS, LIMIT_KINDS, text_fix
from modelcheck.results import Hit, Level
from modelcheck.rule import rule

_PY_ENV_KEYS = ("python", "build_dependencies", "dependencies")


def _kind(data: object) -> str:
    """How a YAML document that is not a mapping reads to a person."""
    if data is None:
        return "an empty document (only blank lines or comments)"
    return f"a {type(data).__name__}"


_NOT_TEXT = DECODE_KINDS | LIMIT_KINDS


def _unparsed(pkg, rel: str, p, fix: str) -> Iterator[Hit]:
    """The hit for an env YAML file that did not parse: none when the OS refused it (MC902),
    its text problem when it is not UTF-8 text, else the YAML error at its line."""
    if p is not None and p.kind == "unreadable":
        return  # the OS refused it: MC902
    hit = _text_problem(pkg, rel)
    if hit is not None:
        yield hit
        return
    yield Hit(f"{rel} cannot be read as YAML: {p.message if p else 'unreadable'}", file=rel,
              line=p.line if p else None, pointer="/", fix=fix)


def _text_problem(pkg, rel: str) -> Hit | None:
    """A Hit for an environment file that is not readable UTF-8 text (None when it is, or
    when the OS refused it: MC902 reports that)."""
    t = pkg.text(rel)
    if t.kind not in _NOT_TEXT:
        return None
    if t.kind in LIMIT_KINDS:
        return Hit(f"{t.problem}; a file modelcheck did not check does not pass", file=rel,
                   pointer="/", key=f"text:{t.kind}", fix=text_fix(t, pkg.text_cap, ""))
    why = ("it is not a text file" if t.kind == "binary" else
           "MLflow opens it as UTF-8 text and fails with UnicodeDecodeError")
    if t.kind in ("utf-16", "utf-32") and rel.endswith(".txt") and pkg.head(rel, 4).startswith(
            (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")):
        why = ("pip decodes it by its byte-order mark, but MLflow reads it itself as UTF-8 "
               "(mlflow.pyfunc.load_model parses the model's requirements before loading it) "
               "and fails with UnicodeDecodeError")
    at = re.search(r"\(line (\d+)\)", t.problem or "") if t.kind == "encoding" else None
    return Hit(f"{rel} cannot be read as UTF-8 text: {t.problem}; {why}", file=rel,
               line=int(at.group(1)) if at else 1, pointer="/",
               key=f"text:{t.kind}",
               fix=text_fix(t, pkg.text_cap, f"restore {rel} from the run's artifacts (it must "
                                             "be UTF-8 text)"))


def _clip(text: str, limit: int = 120) -> str:
    """Keep messages readable when a line is thousands of characters long."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


@rule("MC501", "requirement-unparsable", Level.ERROR, tags=("env",))
def requirement_unparsable(pkg):
    """A requirement line that pip cannot parse, or a requirements file that is not UTF-8 text.

    What it checks
    Every line of `requirements.txt` and `constraints.txt`, every entry of the conda `pip:`
    list and every `python_env.yaml` dependency/build dependency is a PEP 508 requirement, a
    pip option (`-r`, `-c`, `--index-url`, `--extra-index-url`, `-e`, `--find-links`...), or a
    URL/path. Blank lines and `#` comments are fine. `requirements.txt` and
    `constraints.txt` themselves must be UTF-8 text: binary data, UTF-16/UTF-32 (what
    PowerShell's `>` writes), another 8-bit encoding, or a file over modelcheck's size limit
    (`max-file-bytes`, 16 MiB by default: not checked, so not passed) is an error. A UTF-8
    byte-order mark is a warning. A file the operating system refuses to read is a tool
    failure (MC902), not this.

    Why it matters
    `pip install -r requirements.txt` stops at the first bad line, so restoring the model's
    environment (`mlflow models serve`, `env_manager=virtualenv|conda|uv`) fails. pip
    decodes a file by its byte-order mark (UTF-8, UTF-16, UTF-32), but MLflow also reads
    `requirements.txt` itself, with `open()` (UTF-8 on Linux): `mlflow.pyfunc.load_model`
    parses it before loading the model, so a UTF-16 file fails with `UnicodeDecodeError`,
    and a UTF-8 byte-order mark stays glued to the first requirement's name, which MLflow's
    dependency check then cannot parse.

    Example
    `scikit-learn = 1.0` or `pip install pandas` as a line of `requirements.txt`; a
    `requirements.txt` written by `pip freeze > requirements.txt` in Windows PowerShell.

    How to fix
    Write the line as PEP 508 (`scikit-learn==1.0`), or remove it. Re-save the file as UTF-8
    without a byte-order mark (`Out-File -Encoding utf8` in PowerShell 7).
    """
    for rel in (REQUIREMENTS, CONSTRAINTS):
        if not pkg.is_file(rel):
            continue
        hit = _text_problem(pkg, rel)
        if hit is not None:
            yield hit
        elif pkg.text(rel).bom:
            yield Hit(f"{rel} starts with a UTF-8 byte-order mark: pip skips it, but MLflow "
                      "reads the file itself with open() and keeps it glued to the first "
                      "requirement, whose name its dependency check at load time then cannot "
                      "parse", file=rel, line=1, col=1, pointer="/", key="text:bom",
                      level=Level.WARNING,
                      fix=f"re-save {rel} as UTF-8 without a byte-order mark")
    for lines in all_requirement_sources(env_of(pkg)):
        for r in lines:
            if r.kind == "invalid":
                yield Hit(f"{r.file} line {r.line}: {_clip(r.text.strip())!r} is not a "
                          f"requirement pip can parse ({r.error})", file=r.file, line=r.line,
                          pointer=f"/line/{r.line}", key=r.text.strip(),
                          fix="write it as a PEP 508 requirement (name, specifiers, markers) "
                              "or a pip option, or delete it")


@rule("MC502", "env-file-reference-missing", Level.ERROR, tags=("env",))
def env_file_reference_missing(pkg):
    """A `-r`/`-c` include names a file that is not in the package.

    What it checks
    `-r FILE` and `-c FILE` lines in `requirements.txt`, `constraints.txt`, the conda `pip:`
    list and `python_env.yaml` `dependencies` must name a file inside the package (relative,
    no `..`, not absolute). A `constraints.txt` that nothing references is reported as a note.

    Why it matters
    MLflow restores the environment with `pip install -r requirements.txt` from the package
    folder: a missing include makes pip fail ("Could not open requirements file"), and an
    absolute path points at the author's machine.

    Example
    `requirements.txt` ends with `-c constraints.txt` but the package has no `constraints.txt`.

    How to fix
    Copy the referenced file into the package next to the file that references it and use a
    relative path, or remove the include line.
    """
    env = env_of(pkg)
    referenced: set[str] = set()
    for lines in all_requirement_sources(env, build=False):
        for r in lines:
            if r.kind != "option":
                continue
            for opt, flag in (("requirements", "-r"), ("constraints", "-c")):
                for target in r.options.get(opt) or ():
                    rel, why = resolve_include(r.file, str(target))
                    ptr = f"/line/{r.line}"
                    if rel is None:
                        yield Hit(f"{r.file} line {r.line}: '{flag} {target}' is {why}; pip "
                                  "resolves it on the machine that restores the environment",
                                  file=r.file, line=r.line, pointer=ptr, key=str(target),
                                  fix=f"copy the file into the package and reference it as "
                                      f"'{flag} <relative path>'")
                        continue
                    referenced.add(rel)
                    if not pkg.is_file(rel):
                        yield Hit(f"{r.file} line {r.line}: '{flag} {target}' names {rel}, "
                                  "which is not in the package", file=r.file, line=r.line,
                                  pointer=ptr, key=str(target),
                                  fix=f"add {rel} to the package or remove the line")
    if env.constraints is not None and CONSTRAINTS not in referenced:
        yield Hit("constraints.txt is in the package but no requirement file references it "
                  "with '-c constraints.txt', so pip never applies it", file=CONSTRAINTS,
                  level=Level.NOTE, pointer="/", key="orphan",
                  fix="add '-c constraints.txt' to requirements.txt or delete constraints.txt")


@rule("MC508", "python-env-invalid", Level.ERROR, tags=("env",))
def python_env_invalid(pkg):
    """`python_env.yaml` has a shape MLflow's `_PythonEnv` rejects.

    What it checks
    The file is a mapping with only the keys `python` (a string), `build_dependencies` and
    `dependencies` (lists of strings). YAML reads an unquoted `python: 3.10` as the float 3.1.
    The file must be UTF-8 text (binary, UTF-16 or another encoding is an error, and so is a
    file over modelcheck's size limit `max-file-bytes`: not checked, so not passed); a file
    the operating system refuses to read is a tool failure (MC902) instead.

    Why it matters
    MLflow loads it with `_PythonEnv(**data)`: an unknown key raises `TypeError: unexpected
    keyword argument`, a non-string `python` raises `TypeError: python must be a string but got
    float`, and a non-list dependency section raises `TypeError: dependencies must be a list`.
    Every virtualenv/uv restore (the default for `mlflow models serve`) then fails.

    Example
    `python: 3.10` (read as 3.1), or an extra key `channels: [conda-forge]`.

    How to fix
    Quote the version (`python: "3.10.12"`), keep only the three keys, and write dependency
    sections as YAML lists.
    """
    env = env_of(pkg)
    pe = env.python_env
    if pe is None:
        return
    rel = pe.file
    if not pe.doc.ok:
        yield from _unparsed(pkg, rel, pe.doc.problem, "rewrite python_env.yaml as a YAML "
                             "mapping (python, build_dependencies, dependencies)")
        return
    data = pe.data
    if not isinstance(data, dict):
        yield Hit(f"{rel} must be a mapping with keys python, build_dependencies, dependencies; "
                  f"found {_kind(data)}", file=rel, line=1, pointer="/",
                  fix="rewrite python_env.yaml as a mapping")
        return
    for key in data:
        if key not in _PY_ENV_KEYS:
            yield Hit(f"{rel}: unknown key {key!r} (MLflow raises TypeError: unexpected keyword "
                      f"argument {key!r}); allowed keys are python, build_dependencies, "
                      "dependencies", file=rel, line=pe.line(join_pointer(key)),
                      pointer=join_pointer(key), fix=f"remove {key!r} from {rel}")
    py = data.get("python")
    if "python" in data and not isinstance(py, str):
        hint = ""
        if isinstance(py, float):
            hint = (f" (YAML reads an unquoted {py!r}-like version as a float: '3.10' becomes "
                    f"{py!r})")
        yield Hit(f"{rel}: python must be a string, found {type(py).__name__} {py!r}{hint}",
                  file=rel, line=pe.line("/python"), pointer="/python",
                  fix='quote the version, e.g. python: "3.10.12"')
    for key in ("build_dependencies", "dependencies"):
        if key in data and not isinstance(data[key], list):
            yield Hit(f"{rel}: {key} must be a list, found {type(data[key]).__name__}",
                      file=rel, line=pe.line(join_pointer(key)), pointer=join_pointer(key),
                      fix=f"write {key} as a YAML list, e.g. '- -r requirements.txt'")


_PY_OPS_OK = ("==", ">=", "<=", "=")


@rule("MC509", "conda-env-invalid", Level.ERROR, tags=("env",))
def conda_env_invalid(pkg):
    """`conda.yaml` has a shape MLflow cannot turn into an environment.

    What it checks
    `conda.yaml` is a mapping whose `dependencies` is a list of strings or `{pip: [...]}`
    mappings, and whose `python` dependency is pinned with `=`, `==`, `<=` or `>=`. The file
    must be UTF-8 text (binary, UTF-16 or another encoding is an error, and so is a file over
    `max-file-bytes`: not checked, so not passed); a file the operating system refuses to read
    is a tool failure (MC902) instead.

    Why it matters
    When MLflow rebuilds the environment from `conda.yaml` (conda restore, or virtualenv/uv
    restore of a package without `python_env.yaml`) it raises `MlflowException` for a bare
    `python`, for `python<3.10`, `python>3.9` or `python!=3.9`, and for any dependency entry
    that is neither a string nor a pip mapping.

    Example
    `dependencies: [python, {conda: [numpy]}]`.

    How to fix
    Pin python with `=` to the version that trained the model (`python=3.11.7`) and keep
    dependency entries as strings or a single `pip:` list.
    """
    env = env_of(pkg)
    ce = env.conda
    if ce is None:
        return
    rel = ce.file
    if not ce.doc.ok:
        yield from _unparsed(pkg, rel, ce.doc.problem,
                             "rewrite conda.yaml as a YAML mapping with channels and dependencies")
        return
    data = ce.data
    if not isinstance(data, dict):
        yield Hit(f"{rel} must be a mapping; found {_kind(data)}", file=rel, line=1,
                  pointer="/", fix="rewrite conda.yaml as a mapping")
        return
    deps = data.get("dependencies")
    if "dependencies" in data and not isinstance(deps, list):
        yield Hit(f"{rel}: dependencies must be a list, found {type(deps).__name__}", file=rel,
                  line=ce.line("/dependencies"), pointer="/dependencies",
                  fix="write dependencies as a YAML list")
        return
    for d in ce.deps:
        if isinstance(d.value, str):
            continue
        if isinstance(d.value, dict) and list(d.value) == ["pip"]:
            if not isinstance(d.value["pip"], list):
                yield Hit(f"{rel}: the pip entry must hold a list, found "
                          f"{type(d.value['pip']).__name__}", file=rel, line=d.line,
                          pointer=d.pointer, fix="write 'pip:' followed by a list of requirements")
            continue
        yield Hit(f"{rel}: dependency #{d.index + 1} is a {type(d.value).__name__} "
                  f"({d.value!r:.60}); MLflow accepts only strings and a {{pip: [...]}} mapping",
                  file=rel, line=d.line, pointer=d.pointer,
                  fix="write it as a conda match spec string or move it into the pip list")
    for d in ce.python_deps:
        spec = d.value.strip().split("::")[-1][len("python"):].strip()
        op = next((o for o in _PY_OPS_OK if spec.startswith(o)), None)
        if not spec:
            yield Hit(f"{rel}: 'python' has no version; MLflow raises MlflowException when it "
                      "rebuilds the environment from conda.yaml", file=rel, line=d.line,
                      pointer=d.pointer, fix="pin it, e.g. python=3.11.7")
        elif op is None or spec[len(op):].startswith(("=", "<", ">", "!")):
            yield Hit(f"{rel}: {d.value!r} pins python with a comparator MLflow rejects "
                      "(only =, ==, <= and >= are accepted)", file=rel, line=d.line,
                      pointer=d.pointer, fix="pin the exact version, e.g. python=3.11.7")
