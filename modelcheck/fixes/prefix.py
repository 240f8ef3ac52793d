"""MC522: the ``prefix:`` line ``conda env export`` leaves in conda.yaml. The fix deletes that
line when the key and its one-line value are all it holds."""

from __future__ import annotations

import re
from collections.abc import Iterator

from modelcheck.fixes.base import SAFE, Change, fixer
from modelcheck.fixes.edits import delete_line, line_text, lines
from modelcheck.fixes.sites import file_bytes
from modelcheck.package.envfiles import env_of
from modelcheck.package.model_package import ModelPackage
from modelcheck.results import Finding

_PREFIX = re.compile(r"prefix\s*:\s*(\S.*)?")


@fixer("MC522")
def conda_prefix(pkg: ModelPackage, findings: list[Finding]) -> Iterator[Change]:
    ce = env_of(pkg).conda
    if ce is None or not isinstance(ce.data, dict) or "prefix" not in ce.data:
        return
    number = ce.line("/prefix")
    data = file_bytes(pkg, ce.file)
    if number is None or data is None:
        return
    all_lines = lines(data)
    if number > len(all_lines) or not _PREFIX.fullmatch(line_text(data, all_lines[number - 1])):
        return
    if number < len(all_lines):  # the value must not go on over the next line
        nxt = line_text(data, all_lines[number])
        if nxt[:1] in (" ", "\t"):
            return
    if len(ce.data) < 2:
        return  # the only key: deleting it would leave an empty document
    yield Change("MC522", SAFE, ce.file, (delete_line(all_lines, number),),
                 f"{ce.file}: delete the prefix line (line {number})")
