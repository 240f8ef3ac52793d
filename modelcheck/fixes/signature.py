"""MC307: the legacy ``"optional"`` key of a column spec (MLflow 2.4-2.9), which MLflow 2.18
and later cannot load.

The signature is JSON inside a single-quoted YAML scalar that PyYAML folds over several lines.
The fix reads that scalar itself, keeping for each character of the JSON the offset in MLmodel
it came from, checks that it reads exactly what the YAML parser read, and then edits only the
bytes of the tokens it changes: ``"optional": true`` becomes ``"required": false`` (``false``
becomes ``true``), or, beside a ``required`` key, the ``"optional"`` member is removed.

MLflow reads ``required`` from 2.10 on. A package whose ``mlflow_version`` is 2.10 or later
is fixed safely; an older one pins an MLflow that cannot read ``required`` (MC313 says so
afterwards), so its fix is unsafe.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from packaging.version import Version

from modelcheck.fixes.base import SAFE, UNSAFE, Change, fixer
from modelcheck.fixes.edits import BOM, Edit
from modelcheck.formats.json_locate import Locator
from modelcheck.package.model_package import ModelPackage
from modelcheck.results import Finding

MLMODEL = "MLmodel"
_WS = " \t"


def single_quoted(text: str, start: int) -> tuple[str, list[int]] | None:
    """The value of the single-quoted YAML scalar whose opening quote is ``text[start]``, and
    for each of its characters the index in ``text`` it comes from (a folded line break maps
    to the break). None when it is not closed."""
    if text[start:start + 1] != "'":
        return None
    out: list[str] = []
    src: list[int] = []
    i = start + 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == "'":
            if text[i + 1:i + 2] == "'":
                out.append("'")
                src.append(i)
                i += 2
                continue
            return "".join(out), src
        if c in "\r\n":
            while out and out[-1] in _WS and src[-1] < i:  # trailing blanks fold away
                out.pop()
                src.pop()
            brk = i
            empty = 0
            while True:
                i += 2 if text[i:i + 2] == "\r\n" else 1
                while i < n and text[i] in _WS:
                    i += 1
                if i < n and text[i] in "\r\n":
                    empty += 1
                    continue
                break
            fold = "\n" * empty if empty else " "
            out.extend(fold)
            src.extend([brk] * len(fold))
            continue
        out.append(c)
        src.append(i)
        i += 1
    return None


def _contiguous(src: list[int], a: int, b: int) -> bool:
    """The decoded characters a..b-1 come from one unbroken run of the source."""
    return b > a and src[b - 1] - src[a] == b - a - 1


def _member_range(js: str, key_at: int, value_end: int) -> tuple[int, int] | None:
    """The decoded range that removes the member from ``key_at`` to ``value_end`` with one
    comma (the one before it, else the one after it)."""
    i = key_at - 1
    while i >= 0 and js[i] in " \t\n\r":
        i -= 1
    if i >= 0 and js[i] == ",":
        return i, value_end
    j = value_end
    while j < len(js) and js[j] in " \t\n\r":
        j += 1
    if j < len(js) and js[j] == ",":
        j += 1
        while j < len(js) and js[j] in " \t\n\r":
            j += 1
        return key_at, j
    return None


def _offset(text: str, line: int, col: int) -> int | None:
    starts = [0]
    for k, ch in enumerate(text):
        if ch == "\n":
            starts.append(k + 1)
            if len(starts) > line:
                break
    if line > len(starts):
        return None
    return starts[line - 1] + col - 1


def _safety(pkg: ModelPackage) -> str:
    w = pkg.mlflow_version
    return SAFE if w is not None and w >= Version("2.10") else UNSAFE


@fixer("MC307")
def legacy_optional(pkg: ModelPackage, findings: list[Finding]) -> Iterator[Change]:
    t = pkg.text(MLMODEL)
    raw = pkg.read(MLMODEL)
    sig = pkg.meta.get("signature")
    if not t.ok or t.text is None or not raw.ok or raw.data is None or not isinstance(sig, dict) \
            or pkg.entry(MLMODEL).target is not None:
        return
    text = t.text
    base = len(BOM) if raw.data.startswith(BOM) else 0
    sections = {f.pointer.split("/")[2] for f in findings
                if f.pointer.startswith("/signature/") and f.pointer.count("/") >= 2}
    for section in ("inputs", "outputs"):
        value = sig.get(section)
        if section not in sections or not isinstance(value, str):
            continue
        line, col = pkg.mlmodel.pos(f"/signature/{section}", value=True)
        at = _offset(text, line, col) if line and col else None
        got = single_quoted(text, at) if at is not None else None
        if got is None or got[0] != value:
            continue  # not the plain single-quoted scalar MLflow writes: not certain
        js, src = got
        try:
            specs = json.loads(js)
        except ValueError:
            continue
        if not isinstance(specs, list):
            continue
        loc = Locator(js)
        for i, spec in enumerate(specs):
            if not isinstance(spec, dict) or not isinstance(spec.get("optional"), bool):
                continue
            key_at = loc.offset([i, "optional"], key=True)
            val_at = loc.offset([i, "optional"])
            if key_at is None or val_at is None:
                continue
            opt = spec["optional"]
            val_end = val_at + len(json.dumps(opt))
            if js[val_at:val_end] != json.dumps(opt) or not _contiguous(src, key_at,
                                                                        key_at + 10):
                continue
            label = f"signature {section}[{i}]"
            if "required" in spec:
                span = _member_range(js, key_at, val_end)
                if span is None:
                    continue
                a, b = src[span[0]], src[span[1] - 1] + 1
                edits: tuple[Edit, ...] = (_edit(text, base, a, b, ""),)
                title = f"MLmodel {label}: remove \"optional\" (it has \"required\")"
                safety = SAFE
            else:
                if not _contiguous(src, val_at, val_end):
                    continue
                new = json.dumps(not opt)
                edits = (_edit(text, base, src[key_at], src[key_at] + 10, '"required"'),
                         _edit(text, base, src[val_at], src[val_end - 1] + 1, new))
                title = (f"MLmodel {label}: \"optional\": {json.dumps(opt)} -> "
                         f"\"required\": {new}")
                safety = _safety(pkg)
            yield Change("MC307", safety, MLMODEL, edits, title)


def _edit(text: str, base: int, a: int, b: int, new: str) -> Edit:
    start = base + len(text[:a].encode("utf-8"))
    end = start + len(text[a:b].encode("utf-8"))
    return Edit(start, end, new.encode("utf-8"))
