"""A project whose packages have one level of finding each (for the report format tests)."""

from __future__ import annotations

import re
from pathlib import Path

from helpers import GOOD_PKG, copy_package


def levels_tree(root: Path) -> Path:
    """``root/models/{err,warn,note,clean}``: an MC101 error (MLmodel named MLModel); an MC301
    warning (no signature); two notes (MC650 .DS_Store, MC127 unknown key); no finding."""
    models = root / "models"
    for name in ("err", "warn", "note", "clean"):
        copy_package(GOOD_PKG, models / name)
    (models / "err" / "MLmodel").rename(models / "err" / "MLModel")
    mlmodel = models / "warn" / "MLmodel"
    mlmodel.write_text(re.sub(r"signature:\n(  .*\n)+", "", mlmodel.read_text()))
    (models / "note" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    mlmodel = models / "note" / "MLmodel"
    mlmodel.write_text(mlmodel.read_text() + "colour: red\n")
    return root
