"""modelcheck reads YAML scalars exactly as PyYAML's safe_load, which MLflow uses, does.

ruamel.yaml's YAML 1.1 resolver differs from PyYAML on a few plain scalars (`y`/`n`, floats
without a dot or with an unsigned exponent); modelcheck.formats.yaml.loader corrects them. This test
compares both loaders on generated and hand-picked scalars. PyYAML is a test-only dependency.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelcheck.formats.yaml.loader import load_yaml

yaml = pytest.importorskip("yaml")

TRICKY = [
    "y", "Y", "n", "N", "yes", "No", "on", "OFF", "true", "False", "~", "null", "Null", "",
    "0x_", "0b_", "0x", "0x1_", "-_", "+_", "+__", "-0_", "0_", "_1", "1_",
    "1e5", "1.0e5", "1.5e+5", "1.5E-3", "-1e999", ".5", "5.", "1_000", "1_000.5", "0x1F",
    "0o17", "017", "0b101", "3.10", "3.1", "190:20:30", "190:20:30.15", "-0", "+12", ".inf",
    "-.Inf", ".NaN", "nan", "2024-01-01", "2024-01-01 10:00:00", "2.17.2", "1.2.3a1", "0.0",
    "00", "08", "1__2", "_1", "1_", "1.", "e5", "inf", "NO", "nO",
    # run ids and hex: letters that only 0x/0b/.inf/.nan forms may hold
    "16980f64af86495b9b9ed29826aef630", "0X1F", "0B1", "-0x1F", "+0b10", "1d5", "1a", "+.inf",
    "-.nan", "0xff_ff", "1_0e+5", "12e", "7E+3", "0e0", "3.0E-2",
]

_atoms = st.sampled_from(list("0123456789._-+eExXoObBnNyY:") + ["inf", "nan", "0x", "yes"])
GENERATED = st.lists(_atoms, min_size=1, max_size=8).map("".join)


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def _check(scalar: str) -> None:
    _check_text(f"v: {scalar}\n", scalar)  # plain ASCII: libyaml when installed
    _check_text(f"# \u00e9\nv: {scalar}\n", scalar)  # non-ASCII: ruamel's pure parser


def _check_text(text: str, scalar: str) -> None:
    try:
        want = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError, IndexError):  # PyYAML crashes on "0x_" (int("", 16))
        assert not load_yaml(text).ok, scalar  # MLflow cannot read the file: neither do we
        return
    doc = load_yaml(text)
    assert doc.ok, (scalar, doc.problem)
    assert _same(doc.data["v"], want["v"]), (scalar, doc.data["v"], want["v"])


@pytest.mark.parametrize("scalar", TRICKY)
def test_tricky_scalars_read_as_pyyaml_reads_them(scalar: str) -> None:
    _check(scalar)


@settings(max_examples=400, deadline=None)
@given(GENERATED)
def test_generated_scalars_read_as_pyyaml_reads_them(scalar: str) -> None:
    _check(scalar)
