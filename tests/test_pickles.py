"""The static pickle scanner: real MLflow pickles, opcode coverage, corrupt input, limits."""

from __future__ import annotations

import io
import pickle
import struct
import zipfile
from pathlib import Path

import pytest
from helpers import CORPUS  # noqa: E402 - ../shared/corpus/realworld beside the checkout

from modelcheck.formats.pickle.policy import dangerous, imported_modules, serialized_code
from modelcheck.formats.pickle.scanner import scan_bytes

REAL = sorted(p for p in CORPUS.glob("*/**/*") if p.suffix in (".pkl", ".pt")
              and p.stat().st_size > 0) if CORPUS.exists() else []


@pytest.mark.skipif(not REAL, reason="corpus not available")
@pytest.mark.parametrize("path", REAL, ids=lambda p: str(p.relative_to(CORPUS)))
def test_real_pickles_are_not_dangerous(path: Path) -> None:
    scan = scan_bytes(path.read_bytes())
    assert scan.is_pickle and not scan.problems and not scan.limits
    assert dangerous(scan) == []


def test_cloudpickle_python_model_is_serialized_code_not_danger() -> None:
    p = CORPUS / "003_ts-azure-services__local-mlflow-aml-endpoint" / "python_model.pkl"
    if not p.exists():
        pytest.skip("corpus not available")
    scan = scan_bytes(p.read_bytes())
    assert "cloudpickle.cloudpickle._make_function" in serialized_code(scan)
    assert "WrappedLRModel.predict" in scan.qualnames
    assert dangerous(scan) == []


def test_unshipped_module_seen_through_subimport() -> None:
    p = CORPUS / "002_gergokoncz__orkney_demand_forecast" / "python_model.pkl"
    if not p.exists():
        pytest.skip("corpus not available")
    mods = imported_modules(scan_bytes(p.read_bytes()))
    assert "mytransformers" in mods and "last_week_saver" in mods


@pytest.mark.parametrize("proto", range(6))
def test_all_protocols_of_benign_data(proto: int) -> None:
    # pickle.dumps of plain data only writes bytes; nothing is loaded
    data = pickle.dumps({"a": [1, 2.5, "x", b"y", (None, True)], "s": {1}}, protocol=proto)
    scan = scan_bytes(data)
    assert scan.is_pickle and not scan.problems and dangerous(scan) == []
    assert {g.module for g in scan.globals} <= {"builtins", "_codecs"}


def test_globals_resolved_for_class_instances() -> None:
    from collections import OrderedDict
    for proto in range(6):
        scan = scan_bytes(pickle.dumps(OrderedDict(a=1), protocol=proto))
        assert "collections.OrderedDict" in {g.qualname for g in scan.globals}, proto


@pytest.mark.parametrize("data", [
    b"", b"\x80", b"\x80\x04\x95", b"\x80\x02cos\nsys", b"\x80\x02]q\x00", b"\xff\xfe",
    b"\x80\x02h\x05.", b"\x80\x02a.", b"\x80\x02(u.", b"PK\x03\x04garbage",
    b"\x1f\x8b\x08\x00broken", b"x\x9cnot zlib",
])
def test_corrupt_input_is_a_problem_not_a_crash(data: bytes) -> None:
    scan = scan_bytes(data)
    assert scan.problems or not scan.is_pickle


def test_truncated_real_pickle() -> None:
    data = pickle.dumps(list(range(1000)), protocol=4)
    scan = scan_bytes(data[:-10])
    assert scan.problems and "truncated" in scan.problems[0]


def test_trailing_garbage_after_stop_is_ignored() -> None:
    scan = scan_bytes(pickle.dumps([1, 2], protocol=2) + b"\x00\x01 raw tensor bytes")
    assert not scan.problems and scan.pickles == 1


def test_opcode_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import modelcheck.formats.pickle.scanner as mp
    monkeypatch.setattr(mp, "MAX_OPCODES", 50)
    scan = scan_bytes(pickle.dumps(list(range(200)), protocol=0))
    assert scan.limits and "opcodes" in scan.limits[0]


def test_time_budget() -> None:
    scan = scan_bytes(pickle.dumps(list(range(50000)), protocol=0), deadline=0.0)
    assert scan.limits and "time budget" in scan.limits[0]


def test_deep_nesting_limit() -> None:
    data = b"\x80\x02]."
    for _ in range(8):
        data = b"\x80\x03]B" + struct.pack("<I", len(data)) + data + b"a."
    scan = scan_bytes(data)
    assert any("nesting" in x for x in scan.limits)


def test_joblib_inline_array_is_skipped() -> None:
    # joblib layout: NumpyArrayWrapper BUILD followed by padding and raw array bytes
    state = (b"}(" + b"X\x05\x00\x00\x00shape" + b"K\x03\x85" + b"X\x05\x00\x00\x00dtype"
             + b"cnumpy\ndtype\nX\x02\x00\x00\x00f8\x85R"
             + b"X\x1b\x00\x00\x00numpy_array_alignment_bytes" + b"K\x10" + b"u")
    body = (b"\x80\x04cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81" + state + b"b"
            + b"\x03\x00\x00\x00" + b"\x80\x05\x00\x00\x00\x00\x00\x00" * 3 + b".")
    scan = scan_bytes(body)
    assert not scan.problems and not scan.limits, scan
    assert dangerous(scan) == []


def test_zip_member_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    import modelcheck.formats.pickle.scanner as mp
    monkeypatch.setattr(mp, "MAX_ZIP_MEMBER", 10)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps(list(range(100)), protocol=2))
    scan = scan_bytes(buf.getvalue())
    assert scan.limits and "not scanned" in scan.limits[0]


def test_zip_member_with_an_empty_name_is_damage_not_a_crash() -> None:
    """A torch-style zip whose central directory names a member "" (ZipInfo.is_dir() raises
    IndexError on it): the scan answers, and still finds the hostile member's globals."""
    # GLOBAL os.system by STACK_GLOBAL, then STOP (protocol 4), written out: never pickled here
    payload = (b"\x80\x04\x95\x1c\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06system"
               b"\x94\x93.")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", payload)
        zf.writestr("archive/x", b"12")
    data = buf.getvalue()
    # rename the second member to "" in the central directory (its local header keeps "x")
    cd = data.rindex(b"PK\x01\x02")
    name_len = int.from_bytes(data[cd + 28:cd + 30], "little")
    data = (data[:cd + 28] + (0).to_bytes(2, "little") + data[cd + 30:cd + 46]
            + data[cd + 46 + name_len:])
    eocd = data.rindex(b"PK\x05\x06")
    size = int.from_bytes(data[eocd + 12:eocd + 16], "little") - name_len
    data = data[:eocd + 12] + size.to_bytes(4, "little") + data[eocd + 16:]
    assert any(i.filename == "" for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    scan = scan_bytes(data)
    assert "os.system" in [g.qualname for g in scan.globals]
