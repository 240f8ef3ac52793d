"""Unit tests for the helpers behind the MLmodel (MC1xx) and flavor (MC2xx) rules."""

from __future__ import annotations

import datetime as dt

import pytest

from modelcheck.formats.flavors import FLAVOR_LIBRARIES, path_refs
from modelcheck.rules.flavor_paths import outside_reason
from modelcheck.rules.mlmodel_paths_leak import home_user
from modelcheck.rules.mlmodel_time import parse_created


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-11-22 02:16:25.552663", dt.datetime(2026, 11, 22, 2, 16, 25, 552663)),
    ("2020-05-18 08:31:23", dt.datetime(2020, 5, 18, 8, 31, 23)),
    (dt.datetime(2020, 5, 18, 8, 31, 23), dt.datetime(2020, 5, 18, 8, 31, 23)),
    ("2023-11-30T21:54:24Z", None),
    ("2023-11-30 21:54:24.91", None),
    ("2023-13-30 21:54:24", None),
    (1701381264, None),
    (dt.date(2020, 5, 18), None),
])
def test_parse_created(value: object, expected: dt.datetime | None) -> None:
    assert parse_created(value) == expected


@pytest.mark.parametrize(("value", "reason"), [
    ("model.pkl", None),
    ("artifacts/model.pkl", None),
    ("data/..hidden", None),
    ("/home/a/model.pkl", "absolute"),
    ("C:\\Users\\a\\model.pkl", "Windows"),
    ("s3://bucket/model.pkl", "URI"),
    ("file:///tmp/model.pkl", "URI"),
    ("../model.pkl", "'..'"),
    ("artifacts\\..\\..\\x", "'..'"),
])
def test_outside_reason(value: str, reason: str | None) -> None:
    got = outside_reason(value)
    assert (got is None) if reason is None else (got is not None and reason in got)


@pytest.mark.parametrize(("value", "user"), [
    ("/Users/vikas/mlruns/1/models/m-0/artifacts", "vikas"),
    ("/home/alice/exp/mfc_model.py", "alice"),
    ("file:///C:/Users/KonuTech/proj", "KonuTech"),
    ("C:\\Users\\bob\\x.py", "bob"),
    ("/root/model.py", "root"),
    ("s3://bucket/1/models/m-0/artifacts", None),
    ("/tmp/mc/mlruns/models/m-0/artifacts", None),
    ("model", None),
])
def test_home_user(value: str, user: str | None) -> None:
    assert home_user(value) == user


def test_path_refs_cover_lists_artifacts_and_components() -> None:
    refs = dict(path_refs("pytorch", {
        "model_data": "data", "extra_files": [{"path": "extra_files/a.txt"}, "bad"],
        "requirements_file": {"path": "requirements.txt"}, "code": None}))
    assert refs == {"/flavors/pytorch/model_data": "data",
                    "/flavors/pytorch/extra_files/0/path": "extra_files/a.txt",
                    "/flavors/pytorch/extra_files/1": "bad",
                    "/flavors/pytorch/requirements_file/path": "requirements.txt"}
    refs = dict(path_refs("python_function", {
        "python_model": "python_model.pkl",
        "artifacts": {"enc": {"path": "artifacts/enc.pkl", "uri": "/x"}, "odd/name": 3}}))
    assert refs["/flavors/python_function/artifacts/enc/path"] == "artifacts/enc.pkl"
    assert refs["/flavors/python_function/artifacts/odd~1name"] == 3
    refs = dict(path_refs("transformers", {"model_binary": "model",
                                           "components": ["tokenizer"]}))
    assert refs["/flavors/transformers/components/0"] == "components/tokenizer"
    # without saved weights the components are not in the package
    assert dict(path_refs("transformers", {"components": ["tokenizer"]})) == {}
    # tf.Module models have no `data`
    assert dict(path_refs("tensorflow", {"saved_model_dir": "tf2model",
                                         "model_type": "tf2-module"})) == {
        "/flavors/tensorflow/saved_model_dir": "tf2model"}


def test_flavor_libraries_shape() -> None:
    assert FLAVOR_LIBRARIES["sklearn"] == ("sklearn_version", "scikit-learn")
    assert FLAVOR_LIBRARIES["pytorch"] == ("pytorch_version", "torch")
    for key, pip_name in FLAVOR_LIBRARIES.values():
        assert key.endswith("_version") and pip_name
