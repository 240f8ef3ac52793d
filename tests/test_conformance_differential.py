"""modelcheck's verdict on every generated example equals real MLflow's (tests/gen_differential.py).

MLflow's verdict is the worse of the served path and the loaded path
(``Model.load_input_example`` then ``predict``; see tests/gen_differential.py). Mapping: MLflow
reject <=> an error-level issue; MLflow lossy accept <=> a warning and no error; MLflow accept
<=> neither. Cases whose signature MLflow itself cannot load (e.g. ``any``
before 2.19) are skipped here: the MC3xx rules report those.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelcheck.package.examples import conform, conform_payload, read_example
from modelcheck.package.signature import parse_signature

DATA = Path(__file__).parent / "data" / "differential"


class _Pkg:
    """The two files a case needs, behind ModelPackage's json()/memo() interface."""

    def __init__(self, text: str) -> None:
        from modelcheck.package.model_package import parse_json_lenient

        self.doc = parse_json_lenient(text)

    def json(self, rel: str):
        return self.doc


def _cases():
    for f in sorted(DATA.glob("cases-*.json")):
        for c in json.loads(f.read_text())["cases"]:
            if c["verdict"] != "invalid-signature":
                yield pytest.param(c, id=f"{c['mlflow_version']}-{c['id']}-{c['tag']}")


def ours(case) -> tuple[str, list[str]]:
    from packaging.version import Version

    v = Version(case["mlflow_version"])
    sig = parse_signature(case["signature"], v)
    info = case["saved_input_example_info"]
    body, params, issues = read_example(_Pkg(case["input_example"]), info)
    if "serving_input" in case:  # a dataframe_records / instances payload, parsed as served
        [(key, data)] = json.loads(case["serving_input"]).items()
        issues += conform_payload(key, data, params, sig.inputs, sig.params, v.major >= 3)
    else:
        issues += conform(body, params, info, sig.inputs, sig.params, v.major >= 3)
    levels = {i.level for i in issues}
    verdict = "reject" if "error" in levels else "lossy" if "warning" in levels else "accept"
    return verdict, [f"{i.level}: {i.message}" for i in issues]


@pytest.mark.parametrize("case", list(_cases()))
def test_agrees_with_mlflow(case):
    verdict, msgs = ours(case)
    assert verdict == case["verdict"], (case["tag"], case["detail"], msgs)
