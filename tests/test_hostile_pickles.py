"""Every hostile pickle family is caught by the static scanner (none is ever loaded)."""

from __future__ import annotations

import pytest
from gen_hostile_fixtures import HOSTILE

from modelcheck.formats.pickle.policy import dangerous
from modelcheck.formats.pickle.scanner import scan_bytes


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_is_caught(name: str) -> None:
    scan = scan_bytes(HOSTILE[name]())
    found = dangerous(scan)
    assert found, (name, scan)
    assert not scan.problems, scan.problems


def test_nested_pickle_reported_once() -> None:
    found = dangerous(scan_bytes(HOSTILE["nested_in_bytes"]()))
    assert [r.qualname for r, _ in found if r is not None] == ["posix.system"]


def test_nested_location_is_named() -> None:
    scan = scan_bytes(HOSTILE["pickle_in_zip_member"]())
    (ref, _), = dangerous(scan)
    assert ref is not None and ref.where == "archive/weird.bin"


def test_computed_global_is_dynamic() -> None:
    scan = scan_bytes(HOSTILE["computed_global"]())
    assert scan.dynamic and "str.lower" in scan.dynamic[0]


@pytest.mark.parametrize(("payload", "expect"), [
    (b"\x80\x02cbuiltins\ngetattr\nccollections\nOrderedDict\n)\x81X\x04\x00\x00\x00keys"
     b"\x86R.", False),  # a bound method: getattr(obj, "keys")
    (b"\x80\x02cbuiltins\ngetattr\nccollections\nOrderedDict\n)\x81X\x0b\x00\x00\x00"
     b"__globals__\x86R.", True),
    (b"\x80\x02cbuiltins\ngetattr\n.", True),  # never called with known arguments
])
def test_getattr_precision(payload: bytes, expect: bool) -> None:
    assert bool(dangerous(scan_bytes(payload))) is expect
