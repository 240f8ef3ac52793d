"""Pickles inside JSON as base64 text (diviner's GroupedPmdarima), found without loading them.

The pickles here are made with ``pickle.dumps`` of plain data or written as raw opcodes; none
is ever loaded.
"""

from __future__ import annotations

import base64
import json
import pickle
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelcheck.api import check_package
from modelcheck.formats.pickle.embedded import MAX_DEPTH, NotJson, scan_json_base64

FIXTURES = Path(__file__).parent / "fixtures" / "mlflow" / "2.17.2"
OS_SYSTEM_P0 = b"cos\nsystem\n(S'id'\ntR."  # raw opcodes: GLOBAL os.system, REDUCE


def _b64(data: bytes, urlsafe: bool = True) -> str:
    return (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(data).decode()


def test_real_grouped_pmdarima_pickles_are_all_found() -> None:
    data = (FIXTURES / "diviner_pmdarima_plain" / "model.div").read_bytes()
    doc = json.loads(data)
    # what diviner's encoder writes: every key and value of its grouped dicts, and the template
    expected = sum(2 * len(doc[k]) for k in ("model", "_max_datetime_per_group",
                                               "_datetime_freq_per_group") if doc.get(k))
    expected += 1  # _model_template
    scan = scan_json_base64(data, "model.div")
    assert scan.pickles == expected
    assert not scan.problems and not scan.limits
    mods = {g.module for g in scan.globals}
    assert "pmdarima.arima.arima" in mods and "statsmodels.tsa.statespace.sarimax" in mods
    assert any(g.where == "model.div /_model_template (base64)" for g in scan.globals)


def test_grouped_prophet_holds_no_pickle() -> None:
    data = (FIXTURES / "diviner_prophet_plain" / "model.div").read_bytes()
    scan = scan_json_base64(data, "model.div")
    assert scan.pickles == 0 and not scan.globals and not scan.problems


def test_hostile_key_and_value_are_placed() -> None:
    doc = {"model": {_b64(OS_SYSTEM_P0): _b64(pickle.dumps([1, 2], protocol=4))},
           "_model_template": _b64(pickle.dumps({"a": 1}, protocol=2), urlsafe=False)}
    scan = scan_json_base64(json.dumps(doc).encode(), "m.div")
    assert scan.pickles == 3
    [ref] = [g for g in scan.globals if g.module == "os"]
    assert ref.name == "system" and ref.where == "m.div /model/[0] (the key) (base64)"


def test_broken_encoded_pickle_is_a_problem() -> None:
    doc = {"_model_template": _b64(pickle.dumps(list(range(50)), protocol=4)[:-7])}
    scan = scan_json_base64(json.dumps(doc).encode(), "m.div")
    assert scan.problems and "m.div /_model_template (base64)" in scan.problems[0]


def test_not_json_raises() -> None:
    with pytest.raises(NotJson):
        scan_json_base64(b"\x80\x04K\x01.", "m.div")


def test_too_deep_is_a_limit_not_silence() -> None:
    doc: object = [_b64(pickle.dumps(1, protocol=4))]
    for _ in range(MAX_DEPTH + 5):
        doc = [doc]
    scan = scan_json_base64(json.dumps(doc).encode(), "m.div")
    assert scan.limits and "nested deeper" in scan.limits[0]


def test_words_and_plain_base64_are_not_pickles() -> None:
    doc = {"_group_key_columns": ["region", "grouping_key_column_name"], "_y_col": "y",
           "blob": _b64(b"\x89PNG\r\n\x1a\n" + bytes(range(200))),
           "gAINfactorweight": "gAINfactorweight"}
    scan = scan_json_base64(json.dumps(doc).encode(), "m.div")
    assert scan.pickles == 0 and not scan.problems and not scan.globals


_leaf = st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
                  st.text(max_size=30))
_payload = st.one_of(st.integers(), st.text(max_size=20), st.lists(st.integers(), max_size=5))


@settings(max_examples=150, deadline=None)
@given(tree=st.recursive(_leaf, lambda kids: st.one_of(
           st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=8), kids, max_size=4)),
           max_leaves=20),
       payloads=st.lists(st.tuples(_payload, st.integers(2, 5), st.booleans(), st.booleans()),
                         max_size=5))
def test_every_embedded_pickle_is_counted(tree, payloads) -> None:
    """Pickles of any protocol 2-5, as keys or values, in either base64 alphabet, anywhere in
    any JSON tree: each one is found, and nothing else."""
    doc = {"tree": tree, "extra": {}}
    for i, (obj, proto, as_key, urlsafe) in enumerate(payloads):
        text = _b64(pickle.dumps(obj, protocol=proto), urlsafe)
        if as_key:
            doc["extra"][text] = i
        else:
            doc[f"v{i}"] = text
    distinct_keys = len({k for k in doc["extra"]})
    values = sum(1 for (_o, _p, as_key, _u) in payloads if not as_key)
    scan = scan_json_base64(json.dumps(doc).encode(), "m.div")
    assert scan.pickles == distinct_keys + values
    assert not scan.problems and not scan.limits


def test_package_reports_hostile_diviner_data(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    shutil.copytree(FIXTURES / "diviner_pmdarima_plain", pkg)
    doc = json.loads((pkg / "model.div").read_text())
    doc["_model_template"] = _b64(OS_SYSTEM_P0)
    (pkg / "model.div").write_text(json.dumps(doc))
    codes = {(f.code, f.file) for f in check_package(str(pkg)).findings}
    assert ("MC620", "model.div") in codes
    # the real package: its pickles are a capability note, not a danger
    clean = check_package(str(FIXTURES / "diviner_pmdarima_plain")).findings
    assert "MC620" not in {f.code for f in clean}
    assert "MC626" in {f.code for f in clean}


def test_over_the_cap_is_unscanned_not_clean() -> None:
    """A diviner data file too large to read under --max-pickle-bytes is an MC623 error
    (what was not searched is not known to hold no pickle), JSON pickles or not."""
    from modelcheck.engine.settings import Settings

    for case in ("diviner_pmdarima_plain", "diviner_prophet_plain"):
        res = check_package(str(FIXTURES / case), Settings(max_pickle_bytes=1000))
        hits = [f for f in res.findings if f.code == "MC623"]
        assert len(hits) == 1 and hits[0].file == "model.div", case
        assert "could not be scanned" in hits[0].message and hits[0].level.name == "ERROR"
