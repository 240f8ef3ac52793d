"""The shared real-world corpora: no tool errors, and findings pinned to reviewed snapshots.

tests/data/corpus_snapshot.json (../shared/corpus/realworld) and corpus2_snapshot.json
(../shared/corpus/realworld2) list, per package, every finding (code, level, file, line and
message). Each was reviewed by hand against the package and its PROVENANCE.tsv row; the reviews
are tests/data/corpus_review.md and corpus2_review.md. When a rule changes what it reports,
review the difference, then refresh with: MODELCHECK_UPDATE_SNAPSHOT=1 python -m pytest
tests/test_corpus_snapshot.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers import CORPUS, CORPUS2

from modelcheck.api import check
from modelcheck.reporters.jsonfmt import to_dict

DATA = Path(__file__).parent / "data"
# corpus, its snapshot, how many packages it holds at least
CORPORA = {
    "realworld": (CORPUS, DATA / "corpus_snapshot.json", 15),
    "realworld2": (CORPUS2, DATA / "corpus2_snapshot.json", 59),
}


def _current(corpus: Path) -> dict[str, list[dict]]:
    cwd = os.getcwd()
    os.chdir(corpus)
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


@pytest.fixture(scope="module", params=sorted(CORPORA))
def corpus(request) -> tuple[str, dict[str, list[dict]]]:
    path = CORPORA[request.param][0]
    if not path.is_dir():
        pytest.skip(f"no corpus at {path} (../shared is not beside this checkout)")
    return request.param, _current(path)


def test_no_tool_errors_on_real_packages(corpus) -> None:
    name, current = corpus
    crashes = [(p, f) for p, fs in current.items() for f in fs
               if f["code"] in ("MC901", "MC902", "MC903")]
    assert not crashes, crashes
    assert len(current) >= CORPORA[name][2]


def test_findings_match_reviewed_snapshot(corpus) -> None:
    name, current = corpus
    snapshot = CORPORA[name][1]
    if os.environ.get("MODELCHECK_UPDATE_SNAPSHOT"):
        snapshot.write_text(json.dumps(current, indent=1, ensure_ascii=False) + "\n")
    expected = json.loads(snapshot.read_text())
    assert sorted(current) == sorted(expected), "packages differ"
    for pkg in expected:
        got, want = current[pkg], expected[pkg]
        missing = [f for f in want if f not in got]
        extra = [f for f in got if f not in want]
        assert not missing and not extra, (
            f"{pkg}: findings changed (review, then refresh the snapshot)\n"
            f"  no longer reported: {json.dumps(missing, indent=1)}\n"
            f"  newly reported: {json.dumps(extra, indent=1)}")
