"""MC503-MC506 (unsafe): environment files made to agree with each other and with MLmodel.

MLmodel records what saved the model (``python_version``, ``mlflow_version``, the flavor's
library version); these fixes pin exactly that in the files that say otherwise, and make the
conda ``pip:`` list the lines of ``requirements.txt``. They are unsafe because the files may
have been edited on purpose (a newer Python, a patched library), and only a person can tell.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from packaging.version import InvalidVersion, Version

from modelcheck.fixes.base import UNSAFE, Change, fixer
from modelcheck.fixes.edits import Edit, insert_line_after, insert_line_before, line_text, lines
from modelcheck.fixes.sites import (
    ReqList,
    file_bytes,
    replace_head,
    req_lists,
    yaml_item,
    yaml_text,
)
from modelcheck.formats.flavors import FLAVOR_LIBRARIES, library_version_text
from modelcheck.package.envfiles import MLFLOW_NAMES, env_of
from modelcheck.package.model_package import ModelPackage
from modelcheck.results import Finding

_PIP_LISTS = ("requirements", "conda-pip")
_KEY_VALUE = re.compile(r"(python\s*:\s*)(\S.*?)\s*(#.*)?")


def _pin_everywhere(code: str, pkg: ModelPackage, name: str, version: str,
                    names: tuple[str, ...], add: bool) -> Iterator[Change]:
    """Pin ``name==version`` in each pip list; where no requirement named ``names`` exists,
    add one (first in the list for mlflow, as MLflow writes it; last otherwise) when ``add``."""
    for rl in req_lists(pkg):
        mine = [s for s in rl.sites if s.name in names]
        for s in mine:
            new = f"{s.name}=={version}"
            if s.req.kind == "requirement" and [str(x) for x in s.req.specifier] == \
                    [f"=={version}"]:
                continue
            edit = replace_head(s, new)
            if edit is not None:
                yield Change(code, UNSAFE, rl.file, (edit,),
                             f"{rl.file} line {s.line}: {s.text!r} -> {new!r}")
        if not mine and add and rl.key in _PIP_LISTS and rl.complete and rl.sites:
            edit = _add(rl, f"{name}=={version}", first=name == "mlflow")
            if edit is not None:
                yield Change(code, UNSAFE, rl.file, (edit,),
                             f"{rl.file}: add {name}=={version}")


def _add(rl: ReqList, text: str, *, first: bool) -> Edit | None:
    all_lines = lines(rl.data)
    at = rl.sites[0] if first else rl.sites[-1]
    if rl.yaml:
        if not rl.item_prefix or yaml_text(text, False) is None:
            return None
        text = rl.item_prefix + text
    put = insert_line_before if first else insert_line_after
    return put(all_lines, rl.data, at.line, text.encode("utf-8"))


@fixer("MC505")
def mlflow_pin(pkg: ModelPackage, findings: list[Finding]) -> Iterator[Change]:
    w = pkg.mlflow_version
    if w is None or w.is_devrelease or w.local:
        return  # a development build: no release of that version to pin
    names = MLFLOW_NAMES if w.major >= 3 else MLFLOW_NAMES[:2]
    yield from _pin_everywhere("MC505", pkg, "mlflow", str(w), names,
                               any(f.key == "missing" for f in findings))


@fixer("MC506")
def flavor_library_pin(pkg: ModelPackage, findings: list[Finding]) -> Iterator[Change]:
    keys = {f.key for f in findings if f.key}
    for flavor, conf in pkg.flavors.items():
        spec = FLAVOR_LIBRARIES.get(flavor)
        if spec is None:
            continue
        key, dist = spec
        raw = conf.get(key)
        if not isinstance(raw, str) or (f"pin:{dist}" not in keys and
                                        f"missing:{dist}" not in keys):
            continue
        try:
            v = Version(library_version_text(flavor, key, raw))
        except InvalidVersion:
            continue
        yield from _pin_everywhere("MC506", pkg, dist, v.public, (dist,),
                                   f"missing:{dist}" in keys)


def _python_env_value(pkg: ModelPackage, rel: str, version: str) -> Edit | None:
    pe = env_of(pkg).python_env
    data = file_bytes(pkg, rel)
    number = pe.line("/python") if pe is not None else None
    if data is None or number is None:
        return None
    all_lines = lines(data)
    text = line_text(data, all_lines[number - 1])
    m = _KEY_VALUE.fullmatch(text)
    if m is None:
        return None
    value = m.group(2)
    if value[:1] in "'\"" and value[-1:] == value[:1] and len(value) > 1 and \
            value[:1] not in value[1:-1]:
        new = value[0] + version + value[0]
    elif yaml_text(value, False) == value:
        new = version if yaml_text(version, False) == version else f'"{version}"'
    else:
        return None
    start = all_lines[number - 1].start + len(text[:m.start(2)].encode("utf-8"))
    return Edit(start, start + len(value.encode("utf-8")), new.encode("utf-8"))


def _conda_python(pkg: ModelPackage, version: str) -> Iterator[tuple[str, Edit, str]]:
    ce = env_of(pkg).conda
    data = file_bytes(pkg, ce.file) if ce is not None else None
    if ce is None or data is None:
        return
    all_lines = lines(data)
    for d in ce.python_deps:
        if d.line is None or d.line > len(all_lines):
            continue
        site = yaml_item(ce.file, data, all_lines, all_lines[d.line - 1], d.value)
        if site is None:
            continue
        channel = d.value[:d.value.rindex("::") + 2] if "::" in d.value else ""
        new = f"{channel}python={version}"
        if yaml_text(new, site.quoted) is None:
            continue
        yield ce.file, Edit(site.start, site.end, new.encode("utf-8")), f"{d.value!r} -> {new!r}"


@fixer("MC504")
def python_version(pkg: ModelPackage, findings: list[Finding]) -> Iterator[Change]:
    pv = (pkg.pyfunc or {}).get("python_version")
    if not isinstance(pv, str) or not re.fullmatch(r"\d+\.\d+(\.\d+)?", pv):
        return
    files = {f.file for f in findings}
    env = env_of(pkg)
    if env.python_env is not None and env.python_env.file in files:
        edit = _python_env_value(pkg, env.python_env.file, pv)
        if edit is not None:
            yield Change("MC504", UNSAFE, env.python_env.file, (edit,),
                         f"{env.python_env.file}: python: {pv}")
    if env.conda is not None and env.conda.file in files:
        for rel, edit, what in _conda_python(pkg, pv):
            yield Change("MC504", UNSAFE, rel, (edit,), f"{rel}: {what}")


@fixer("MC503")
def pip_list(pkg: ModelPackage, findings: list[Finding]) -> Iterator[Change]:
    found = {rl.key: rl for rl in req_lists(pkg)}
    req, conda = found.get("requirements"), found.get("conda-pip")
    if req is None or conda is None or not req.complete or not conda.complete \
            or not conda.sites or not conda.item_prefix:
        return
    numbers = [s.line for s in conda.sites]
    if numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        return  # comments or blank lines between the items: not rewritten
    items = []
    for s in req.sites:
        text = yaml_text(s.text, False)
        if text is None:
            if "'" in s.text:
                return
            text = f"'{s.text}'"
        items.append(conda.item_prefix + text)
    if not items:
        return
    all_lines = lines(conda.data)
    first, last = all_lines[numbers[0] - 1], all_lines[numbers[-1] - 1]
    brk = conda.data[first.end:first.stop] or b"\n"
    new = brk.join(x.encode("utf-8") for x in items)
    if conda.data[first.start:last.end] == new:
        return
    yield Change("MC503", UNSAFE, conda.file, (Edit(first.start, last.end, new),),
                 f"{conda.file}: the pip list becomes the {len(items)} lines of "
                 f"{req.file}")
