"""Our signature verdicts agree with real MLflow's (recorded by tests/gen_signature_cases.py).

A case MLflow rejects must get an error from us; a case MLflow accepts must get none, except
where we are stricter on purpose (duplicate names, nonsense tensor dims, legacy ``optional``
which MLflow >= 2.18 rejects although the recording MLflow may still accept it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.version import Version

from modelcheck.engine.registry import all_rules
from modelcheck.formats.signature.checks import datetime_problem
from modelcheck.formats.signature.dtypes import check_dtype
from modelcheck.formats.signature.parse import parse

FILES = sorted((Path(__file__).parent / "data").glob("signature_cases_*.json"))
RECORDS = [json.loads(f.read_text()) for f in FILES]
CASES = [(r["mlflow"], c) for r in RECORDS for c in r["signatures"]]
# deliberately stricter than MLflow (it loads these; they break later or mean trouble)
STRICTER = ("duplicate name", "not integers >= -1", "shape must be a JSON list",
            "legacy key \"optional\"")


def _errors(sig: dict, reader: str) -> list[str]:
    rules = all_rules()
    out = []
    for p in parse(sig, Version(reader)).problems:
        level = p.level or str(rules[p.code].meta.level)
        if level == "error" or p.code == "MC313":  # too new for this reader: it cannot load it
            out.append(p.message)
    return out


def test_recordings_exist() -> None:
    assert len(FILES) >= 1 and all(len(r["signatures"]) > 300 for r in RECORDS)


@pytest.mark.parametrize(("reader", "case"), CASES,
                         ids=[f"{v}-{i}" for i, (v, _) in enumerate(CASES)])
def test_signature_verdict_matches_mlflow(reader, case) -> None:
    errors = _errors(case["sig"], reader)
    if not case["ok"]:
        assert errors, f"MLflow {reader} rejects this ({case['error']}), we do not"
    else:
        real = [m for m in errors if not any(s in m for s in STRICTER)]
        assert not real, f"MLflow {reader} loads this, we report {real}"


@pytest.mark.parametrize("record", RECORDS, ids=[r["mlflow"] for r in RECORDS])
def test_dtype_verdicts_match_numpy(record) -> None:
    wrong = {d: ok for d, ok in record["dtypes"].items() if (check_dtype(d)[0] == "ok") != ok}
    assert not wrong, f"numpy {record['numpy']} disagrees on {wrong}"


@pytest.mark.parametrize("record", RECORDS, ids=[r["mlflow"] for r in RECORDS])
def test_datetime_verdicts_match_numpy(record) -> None:
    wrong = {s: ok for s, ok in record["datetimes"].items()
             if (datetime_problem(s) is None) != ok}
    assert not wrong, f"numpy {record['numpy']} disagrees on {wrong}"
