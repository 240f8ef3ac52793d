"""The shared real-world corpus: no tool errors, and findings pinned to a reviewed snapshot.

tests/data/corpus_snapshot.json lists, per package, every finding (code, level, file, line and
message). Each one was reviewed by hand against the package and its PROVENANCE.tsv row; the
review is recorded in tests/data/corpus_review.md. When a rule changes what it reports, review
the difference, then refresh with: MODELCHECK_UPDATE_SNAPSHOT=1 python -m pytest
tests/test_corpus_snapshot.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import CORPUS

from modelcheck.api import check
from modelcheck.reporters.jsonfmt import to_dict

SNAPSHOT = Path(__file__).parent / "data" / "corpus_snapshot.json"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")


def _current() -> dict[str, list[dict]]:
    cwd = os.getcwd()
    os.chdir(CORPUS)
    try:
        doc = to_dict(check(["."]))
    finally:
        os.chdir(cwd)
    out: dict[str, list[dict]] = {}
    for pkg in doc["packages"]:
        out[pkg["path"]] = [
            {k: f[k] for k in ("code", "level", "file", "line", "message")}
            for f in pkg["findings"]
        ]
    return dict(sorted(out.items()))


@pytest.fixture(scope="module")
def current() -> dict[str, list[dict]]:
    return _current()


def test_no_tool_errors_on_real_packages(current) -> None:
    crashes = [(p, f) for p, fs in current.items() for f in fs if f["code"] in ("MC901",
                                                                             "MC902")]
    assert not crashes, crashes
    assert len(current) >= 15


def test_findings_match_reviewed_snapshot(current) -> None:
    if os.environ.get("MODELCHECK_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(current, indent=1, ensure_ascii=False) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    assert sorted(current) == sorted(expected), "packages differ"
    for pkg in expected:
        got, want = current[pkg], expected[pkg]
        missing = [f for f in want if f not in got]
        extra = [f for f in got if f not in want]
        assert not missing and not extra, (
            f"{pkg}: findings changed (review, then refresh the snapshot)\n"
            f"  no longer reported: {json.dumps(missing, indent=1)}\n"
            f"  newly reported: {json.dumps(extra, indent=1)}")
