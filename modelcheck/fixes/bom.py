"""MC501, MC402: a UTF-8 byte-order mark at the start of requirements.txt, constraints.txt or
the input example file. The fix removes the three bytes of the mark and nothing else."""

from __future__ import annotations

from collections.abc import Iterator

from modelcheck.fixes.base import SAFE, Change, fixer
from modelcheck.fixes.edits import BOM, Edit
from modelcheck.package.envfiles import CONSTRAINTS, REQUIREMENTS
from modelcheck.package.model_package import ModelPackage
from modelcheck.results import Finding


def _strip(pkg: ModelPackage, code: str, rel: str) -> Change | None:
    if not pkg.is_file(rel) or pkg.entry(rel).target is not None:
        return None  # reached through a symlink: never edited
    r = pkg.read(rel)
    if not r.ok or r.data is None or not r.data.startswith(BOM):
        return None
    return Change(code, SAFE, rel, (Edit(0, len(BOM)),),
                  f"{rel}: remove the UTF-8 byte-order mark")


@fixer("MC501")
def requirements_bom(pkg: ModelPackage, findings: list[Finding]) -> Iterator[Change]:
    files = {f.file for f in findings if f.key == "text:bom"}
    for rel in (REQUIREMENTS, CONSTRAINTS):
        change = _strip(pkg, "MC501", rel) if rel in files else None
        if change is not None:
            yield change


@fixer("MC402")
def example_bom(pkg: ModelPackage, findings: list[Finding]) -> Iterator[Change]:
    info = pkg.meta.get("saved_input_example_info")
    path = info.get("artifact_path") if isinstance(info, dict) else None
    if not isinstance(path, str) or not path.endswith(".json"):
        return
    if any(f.file == path and f.line == 1 and "byte-order mark" in f.message
           for f in findings):
        change = _strip(pkg, "MC402", path)
        if change is not None:
            yield change
