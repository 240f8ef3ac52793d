"""The fast static scanners report exactly what the previous ones did, on every input.

``modelcheck.formats.pickle.scanner`` reads opcodes at an index instead of through ``BytesIO`` and
pickletools' readers, runs the common opcodes inline and checks its caps at a fence; the
frozen previous scanner (tests/legacy_pickle_scanner.py) is the oracle. Compared: every
global (with opcode and nested location), every call with its symbolic arguments, the
serialized qualnames, computed globals, problems (with byte offsets), limits, protocols and
pickle counts. Inputs: the real pickles of the test fixtures and the real-world corpus, the
hostile fixtures, truncations and byte flips of all of them, hypothesis-generated pickles of
plain data in every protocol, hypothesis mutations, and the caps (opcode count, stack size,
time budget) lowered on both scanners. ``scan_skops`` is compared with its previous version
the same way.

Deliberate changes since the frozen scanner (issue 13), which ``same`` accepts and nothing
else: bytes that only look like a pickle (a ``\x80\x02``-prefixed bytes value, a zip member
not named ``.pkl``) and fail to parse are data, so the frozen scanner's problems located there
(``#bytes@``, ``!member``) and the protocols only they saw are dropped; and joblib arrays whose
dtype holds objects in a structured or sub-array type, or that were written without alignment
padding, are read as joblib reads them: where the frozen scanner failed on such a file, the
new one must pass it and find at least what the frozen one found before failing; and an
lz4-compressed file, once "corrupt", is now a limit (not scanned); and a zip member over the
cap that was only sniffed as a pickle has its head parsed (a limit when it is one, nothing
when it is data), finding at least what the frozen scanner found.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import random
import zipfile
from pathlib import Path
from typing import Any

import legacy_pickle_scanner as old
import pytest
from gen_hostile_fixtures import HOSTILE
from helpers import CORPUS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import modelcheck.formats.pickle.scanner as new
import modelcheck.formats.pickle.values as new_values
from modelcheck.formats.pickle import skops as skops_scan
from modelcheck.formats.requirements import importmap

HERE = Path(__file__).parent
PICKLE_EXTS = {".pkl", ".pt", ".pth", ".pickle", ".joblib", ".bin", ".ckpt"}


def _distinct(paths: list[Path]) -> list[Path]:
    seen: dict[str, Path] = {}
    for p in sorted(paths):
        if p.is_file() and p.stat().st_size > 0:
            seen.setdefault(hashlib.sha256(p.read_bytes()).hexdigest(), p)
    return sorted(seen.values())


ROOTS = [HERE / "rules", HERE / "fixtures", CORPUS]
REAL = _distinct([p for r in ROOTS if r.exists() for p in r.rglob("*")
                  if p.suffix in PICKLE_EXTS])
SKOPS = _distinct([p for r in ROOTS if r.exists() for p in r.rglob("*.skops")])
REAL_BYTES = {str(p): p.read_bytes() for p in REAL}


def _joblib_layout_changed(data: bytes) -> bool:
    """A joblib file the frozen scanner misread (see the docstring): it is no oracle for
    damaged copies of it, whose bytes it reads at other offsets."""
    return b"NumpyArrayWrapper" in data and bool(old.scan_bytes(data).problems) \
        and not new.scan_bytes(data).problems


SMALL = [d for d in REAL_BYTES.values() if len(d) < 64 * 1024
         and not _joblib_layout_changed(d)] or [pickle.dumps([1], 4)]


# -- comparing two scans -------------------------------------------------------------------
def _norm(v: Any, mod: Any, path: set[int], budget: list[int]) -> Any:
    """A plain, comparable picture of a symbolic value (cycles and huge DAGs cut the same
    way on both sides)."""
    budget[0] -= 1
    if budget[0] < 0:
        return "<budget>"
    if v is None or isinstance(v, (bool, int, str, bytes)):
        return (type(v).__name__, v)
    if isinstance(v, float):
        return ("float", repr(v))
    if isinstance(v, bytearray):
        return ("bytearray", bytes(v))
    if id(v) in path:
        return "<cycle>"
    path = path | {id(v)}
    if isinstance(v, mod.GlobalRef):
        return ("ref", v.module, v.name, v.opcode, v.where)
    if isinstance(v, mod.Obj):
        return ("obj", _norm(v.func, mod, path, budget), _norm(v.args, mod, path, budget),
                _norm(v.state, mod, path, budget))
    if isinstance(v, mod._Set):
        return ("set", [_norm(x, mod, path, budget) for x in v.items])
    if isinstance(v, mod.Unknown):
        return "?"
    if isinstance(v, (tuple, list)):
        return (type(v).__name__, [_norm(x, mod, path, budget) for x in v])
    if isinstance(v, dict):
        return ("dict", [(_norm(k, mod, path, budget), _norm(x, mod, path, budget))
                         for k, x in v.items()])
    return ("other", type(v).__name__)


def facts(scan: Any, mod: Any) -> dict[str, Any]:
    budget = [20_000]
    return {
        "globals": [(g.module, g.name, g.opcode, g.where) for g in scan.globals],
        "calls": [(_norm(c.ref, mod, set(), budget), _norm(c.args, mod, set(), budget))
                  for c in scan.calls],
        "qualnames": scan.qualnames, "dynamic": scan.dynamic, "problems": scan.problems,
        "limits": scan.limits, "protocols": sorted(scan.protocols), "pickles": scan.pickles,
        "is_pickle": scan.is_pickle,
    }


def _speculative(problem: str) -> bool:
    """A frozen-scanner problem located in bytes the new scanner parses speculatively."""
    where = problem.split(": ", 1)[0]
    last = where.split("@")[-1] if "#bytes@" in where else ""
    member = where.rsplit("!", 1)[-1] if "!" in where else where
    nested_member = "!" in where or ("/" in member and " " not in member)
    return bool(last) or (nested_member and not member.endswith((".pkl", ".pickle")))


def _deliberate(want: dict[str, Any], got: dict[str, Any], data: bytes) -> dict[str, Any]:
    """The frozen scanner's facts with the deliberate changes applied (see the docstring)."""
    want = dict(want)
    if data[:4] == new.LZ4_MAGIC and not got["problems"]:  # was "corrupt": now unscanned
        assert got["limits"] and "lz4" in got["limits"][0]
        return got
    over = [x for x in want["limits"] if x.endswith(" bytes, over the member cap: not scanned")
            and not x.split(":", 1)[0].endswith((".pkl", ".pickle"))]
    if over:  # a member only sniffed as a pickle, over the cap: now its head is parsed
        rest = [x for x in want["limits"] if x not in over]
        assert [x for x in got["limits"] if "nested-data cap" not in x] == rest
        assert len([x for x in got["limits"] if "nested-data cap" in x]) <= len(over)
        for key in ("globals", "calls"):
            assert all(x in got[key] for x in want[key]), key
        return got
    if want["problems"] != got["problems"]:
        kept = [p for p in want["problems"] if not _speculative(p)]
        if kept != want["problems"] and kept == got["problems"]:
            want["problems"] = kept
            want["protocols"] = got["protocols"] if set(got["protocols"]) <= set(
                want["protocols"]) else want["protocols"]
        elif b"NumpyArrayWrapper" in data and want["problems"] and not got["problems"]:
            for key in ("globals", "qualnames", "dynamic"):
                assert all(x in got[key] for x in want[key]), key
            return got
    return want


def same(data: bytes, deadline: float | None = None) -> None:
    try:
        want = facts(old.scan_bytes(data, deadline=deadline), old)
    except (NotImplementedError, IndexError):
        # the frozen scanner crashes inside zipfile on some damaged zips (a header naming an
        # unknown version, a member named ""): no oracle here. The new scanner must answer,
        # and answer the same whether it reads the bytes or a copy behind a memoryview
        got = facts(new.scan_bytes(data, deadline=deadline), new_values)
        view = memoryview(bytearray(data))
        assert facts(new.scan_bytes(view, deadline=deadline), new_values) == got
        return
    got = facts(new.scan_bytes(data, deadline=deadline), new_values)
    if got != want:
        want = _deliberate(want, got, data)
    assert got == want


# -- real and hostile pickles, and deterministic damage to them -----------------------------
@pytest.mark.parametrize("key", sorted(REAL_BYTES), ids=lambda k: k.split("/")[-2])
def test_real_pickles(key: str) -> None:
    same(REAL_BYTES[key])


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_pickles(name: str) -> None:
    same(HOSTILE[name]())


def _damaged(data: bytes, seed: int) -> list[bytes]:
    rnd = random.Random(seed)
    n = len(data)
    if n < 2:
        return []  # nothing to cut or flip without emptying it
    out = [data[:k] for k in {1, 2, 3, n // 3, n // 2, n - 2, n - 1}
           | {rnd.randrange(1, n) for _ in range(12)} if 0 < k < n]
    for _ in range(25):
        i = rnd.randrange(n)
        out.append(data[:i] + bytes([rnd.randrange(256)]) + data[i + 1:])
    for _ in range(5):
        i = rnd.randrange(n)
        out.append(data[:i] + data[i + rnd.randrange(1, 4):])
    return out


@pytest.mark.parametrize("seed", range(len(SMALL)))
def test_truncated_and_flipped_real_pickles(seed: int) -> None:
    for data in _damaged(SMALL[seed], seed):
        same(data)


def test_truncated_and_flipped_hostile_pickles() -> None:
    for seed, name in enumerate(sorted(HOSTILE)):
        for data in _damaged(HOSTILE[name](), seed):
            same(data)


# -- the caps, lowered on both scanners -----------------------------------------------------
@pytest.mark.parametrize(("cap", "values"), [
    ("MAX_OPCODES", [1, 2, 5, 17, 100, 300, 1000]),
    ("MAX_STACK", [0, 1, 2, 3, 7, 20, 64, 200]),
])
def test_caps(monkeypatch: pytest.MonkeyPatch, cap: str, values: list[int]) -> None:
    cases = [*SMALL, *(h() for h in HOSTILE.values()),
             pickle.dumps(list(range(400)), protocol=0),
             pickle.dumps({"a": [(i, str(i)) for i in range(200)]}, protocol=2),
             pickle.dumps([1, 2], protocol=4) * 3]
    for value in values:
        monkeypatch.setattr(old, cap, value)
        monkeypatch.setattr(new, cap, value)
        for data in cases:
            same(data)


def test_time_budget() -> None:
    # deadline 0: the clock trips at the first check, opcode 4096, in both scanners
    for data in [pickle.dumps(list(range(50000)), protocol=p) for p in (0, 2, 4)]:
        same(data, deadline=0.0)
    for data in SMALL:
        same(data, deadline=0.0)


def test_concatenated_and_nested() -> None:
    a = pickle.dumps({"x": [1, 2, 3]}, protocol=4)
    b = pickle.dumps([b"\x80\x04" + a], protocol=3)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", a + a)
        zf.writestr("archive/odd.bin", b)
    for data in (a + a, a + b"junk", a + a[:-3], b, buf.getvalue(), b + b"\x80\x02]q\x00",
                 HOSTILE["nested_in_bytes"]() + a):
        same(data)


def test_joblib_arrays() -> None:
    state = (b"}(" + b"X\x05\x00\x00\x00shape" + b"K\x03\x85" + b"X\x05\x00\x00\x00dtype"
             + b"cnumpy\ndtype\nX\x02\x00\x00\x00f8\x85R"
             + b"X\x1b\x00\x00\x00numpy_array_alignment_bytes" + b"K\x10" + b"u")
    head = b"\x80\x04cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81" + state + b"b"
    body = head + b"\x03\x00\x00\x00" + b"\x80\x05\x00\x00\x00\x00\x00\x00" * 3 + b"."
    obj_state = state.replace(b"X\x02\x00\x00\x00f8", b"X\x02\x00\x00\x00|O")
    obj = (b"\x80\x04cjoblib.numpy_pickle\nNumpyArrayWrapper\n)\x81" + obj_state + b"b"
           + b"\x00" + pickle.dumps(["a", "b"], protocol=4) + b".")
    for data in (body, obj, *_damaged(body, 1), *_damaged(obj, 2)):
        same(data)


# -- hypothesis -----------------------------------------------------------------------------
plain = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=20) | st.binary(max_size=20),
    lambda kids: st.lists(kids, max_size=5) | st.tuples(kids, kids)
    | st.dictionaries(st.text(max_size=5), kids, max_size=5) | st.frozensets(st.integers()),
    max_leaves=30)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(plain, st.integers(0, 5))
def test_plain_data_every_protocol(value: Any, proto: int) -> None:
    same(pickle.dumps(value, protocol=proto))


@settings(max_examples=400, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SMALL), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255),
                                                  st.sampled_from("fidt")), max_size=4))
def test_mutated_real_pickles(data: bytes, edits: list[tuple[int, int, str]]) -> None:
    b = bytearray(data)
    for at, byte, kind in edits:
        i = at % (len(b) or 1)
        if kind == "f" and b:
            b[i] = byte
        elif kind == "i":
            b.insert(i, byte)
        elif kind == "d" and b:
            del b[i]
        elif kind == "t":
            del b[i:]
    same(bytes(b))


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.sampled_from([b"", b"\x80\x02", b"\x80\x04", b"\x80\x05\x95\x10\x00\x00\x00\x00\x00"
                        b"\x00\x00", b"(", b"c"]),
       st.binary(max_size=60))
def test_random_opcode_streams(prefix: bytes, body: bytes) -> None:
    same(prefix + body)


# -- skops ----------------------------------------------------------------------------------
def legacy_scan_skops(data: bytes) -> skops_scan.SkopsScan:
    """FROZEN: scan_skops as it was before the walk skipped leaves (commit 882a9e0)."""
    out = skops_scan.SkopsScan()
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        info = zf.getinfo("schema.json")
    except KeyError:
        out.problem = "the zip has no schema.json, so skops cannot load it"
        return out
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        out.problem = f"not a valid skops zip ({exc})"
        return out
    if info.file_size > skops_scan.MAX_SCHEMA_BYTES:
        out.problem = f"schema.json is {info.file_size} bytes, over the scan cap"
        return out
    try:
        schema = json.loads(zf.read(info).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile, OSError, EOFError,
            NotImplementedError, RuntimeError, RecursionError) as exc:
        out.problem = f"schema.json is not valid JSON ({str(exc)[:120]})"
        return out
    if not isinstance(schema, dict):
        out.problem = "schema.json is not a JSON object"
        return out
    out.protocol = schema.get("protocol")
    seen: dict[str, None] = {}
    stack: list[Any] = [schema]
    count = 0
    while stack:
        node = stack.pop()
        count += 1
        if count > skops_scan.MAX_NODES:
            out.problem = (f"schema.json has more than {skops_scan.MAX_NODES} nodes: rest not "
                           "scanned")
            break
        if isinstance(node, list):
            stack.extend(reversed(node))
            continue
        if not isinstance(node, dict):
            continue
        mod, cls = node.get("__module__"), node.get("__class__")
        inner = node.get("content")
        is_function = isinstance(inner, dict) and "module_path" in inner
        if isinstance(mod, str) and isinstance(cls, str) and not is_function:
            seen.setdefault(f"{mod}.{cls}")
        mp, fn = node.get("module_path"), node.get("function")
        if isinstance(mp, str) and isinstance(fn, str):
            seen.setdefault(f"{mp}.{fn}")
        stack.extend(reversed(list(node.values())))
    out.types = list(seen)
    return out


def _skops_zip(schema: Any, raw: bytes | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("schema.json", raw if raw is not None else json.dumps(schema))
    return buf.getvalue()


def same_skops(data: bytes) -> None:
    want = legacy_scan_skops(data)
    got = skops_scan.scan_skops(data)
    assert (got.types, got.problem, got.protocol) == (want.types, want.problem, want.protocol)


@pytest.mark.parametrize("path", SKOPS, ids=lambda p: p.parent.name)
def test_real_skops(path: Path) -> None:
    same_skops(path.read_bytes())


def test_skops_node_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    schemas = [json.loads(zipfile.ZipFile(p).read("schema.json")) for p in SKOPS[:2]]
    schemas.append({"a": [[[{"__module__": "os", "__class__": "system"}]] * 3, 1, "x"] * 4})
    for cap in (0, 1, 2, 3, 5, 10, 40, 100, 1000):
        monkeypatch.setattr(skops_scan, "MAX_NODES", cap)
        for schema in schemas:
            same_skops(_skops_zip(schema))


def test_skops_broken() -> None:
    for data in (b"", b"PK\x03\x04junk", _skops_zip(None, b"{not json"), _skops_zip([1, 2]),
                 _skops_zip(None, b"\xff\xfe"), _skops_zip("text"), _skops_zip({})):
        same_skops(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from(
        ["__module__", "__class__", "content", "module_path", "function", "os", "x", ""]),
    lambda kids: st.lists(kids, max_size=5) | st.dictionaries(st.sampled_from(
        ["__module__", "__class__", "content", "module_path", "function", "protocol",
         "__loader__", "key", "x"]), kids, max_size=6),
    max_leaves=40)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.dictionaries(st.sampled_from(["__module__", "__class__", "content", "protocol",
                                        "module_path", "function", "k"]),
                       json_values, max_size=6))
def test_skops_generated_schemas(schema: dict[str, Any]) -> None:
    same_skops(_skops_zip(schema))


# -- importmap.provided: the inverse table against the per-call closure ---------------------
def legacy_provided(module: str, dists: set[str]) -> bool:
    """FROZEN: importmap.provided before the inverse table (commit 882a9e0)."""
    closure = set(dists)
    frontier = list(dists)
    while frontier:
        for extra in importmap.BRINGS_ALONG.get(frontier.pop(), ()):
            if extra not in closure:
                closure.add(extra)
                frontier.append(extra)
    return any(d in closure for d in importmap.distributions_for(module))


_DISTS = sorted({*importmap.BRINGS_ALONG, "foo", "bar-baz",
                 *(d for v in importmap.BRINGS_ALONG.values() for d in v),
                 *(d for v in importmap.IMPORT_TO_DISTS.values() for d in v)})
_MODULES = sorted({*importmap.IMPORT_TO_DISTS, "foo", "numpy.core", "Foo_Bar.x", "yaml.cyaml"})


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.sampled_from(_MODULES), st.sets(st.sampled_from(_DISTS), max_size=12))
def test_provided_matches_closure(module: str, dists: set[str]) -> None:
    assert importmap.provided(module, dists) == legacy_provided(module, dists)
