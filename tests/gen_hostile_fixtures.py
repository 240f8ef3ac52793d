"""Hostile pickles written as raw opcodes, and the MC6xx fixture packages built from them.

NOTHING here is ever unpickled: the payloads are byte strings assembled by hand (the commands
they would run are harmless stand-ins such as ``id``). ``python tests/gen_hostile_fixtures.py``
rebuilds tests/rules/MC6xx/ from the real corpus package 014 (and 002/003 where a real
cloudpickled PythonModel is needed).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import sys
import zipfile
import zlib
from pathlib import Path

CORPUS = Path("/work/shared/corpus/realworld")
BASE = CORPUS / "014_oleh-edu__goitneo-argo"
OUT = Path(__file__).parent / "rules"
PICKLES = Path(__file__).parent / "data" / "pickles"  # written by gen_pickle_cases.py


def su(s: str) -> bytes:  # SHORT_BINUNICODE
    b = s.encode("utf-8")
    return b"\x8c" + bytes([len(b)]) + b


def bu(s: str) -> bytes:  # BINUNICODE
    b = s.encode("utf-8")
    return b"X" + struct.pack("<I", len(b)) + b


def framed(body: bytes, proto: int = 4) -> bytes:
    return bytes([0x80, proto]) + b"\x95" + struct.pack("<Q", len(body)) + body


def os_system_p0() -> bytes:
    return b"cos\nsystem\n(S'id'\ntR."


def posix_system_p2() -> bytes:
    return b"\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."


def memo_built_stack_global() -> bytes:
    body = (su("os") + b"\x94" + b"0" + su("system") + b"\x94" + b"0"
            + b"h\x00" + b"h\x01" + b"\x93" + su("id") + b"\x85" + b"R" + b".")
    return framed(body, 4)


def long_memo_stack_global() -> bytes:
    body = (bu("subprocess") + b"r" + struct.pack("<I", 7) + b"0"
            + bu("check_output") + b"r" + struct.pack("<I", 9) + b"0"
            + b"j" + struct.pack("<I", 7) + b"j" + struct.pack("<I", 9) + b"\x93"
            + b"]" + su("id") + b"a" + b"\x85R.")
    return b"\x80\x04" + body


def proto0_unicode_binstring_operands() -> bytes:
    # STACK_GLOBAL needs protocol 4, but the unpickler accepts any str operands, including
    # protocol-0 UNICODE ('V') and protocol-1 SHORT_BINSTRING ('U', decoded as ASCII str).
    return b"\x80\x04Vnt\nU\x06system\x93U\x02id\x85R."


def getattr_chain() -> bytes:
    # builtins.getattr(builtins.__import__('os'), 'system')('id')
    return (b"\x80\x02cbuiltins\ngetattr\ncbuiltins\n__import__\nX\x02\x00\x00\x00os\x85R"
            b"X\x06\x00\x00\x00system\x86RX\x02\x00\x00\x00id\x85R.")


def copyreg_reconstructor() -> bytes:
    return b"ccopy_reg\n_reconstructor\n(cos\nsystem\nc__builtin__\nobject\nNtR."


def inst_os() -> bytes:
    return b"(S'id'\nios\nsystem\n."


def obj_os() -> bytes:
    return b"\x80\x02(cos\nsystem\nX\x02\x00\x00\x00ido."


def unicode_lookalike() -> bytes:
    # full-width "ｏｓ" folds (NFKC) to "os"
    return framed(su("\uff4f\uff53") + su("system") + b"\x93" + su("id") + b"\x85R.", 4)


def attribute_traversal() -> bytes:
    # posixpath imports os, so posixpath.os.system is os.system (protocol 4 dotted names)
    return framed(su("posixpath") + su("os.system") + b"\x93" + su("id") + b"\x85R.", 4)


def builtin_eval_py2() -> bytes:
    return b"\x80\x02c__builtin__\neval\nX\x0b\x00\x00\x00print('hi')\x85R."


def nested_in_bytes() -> bytes:
    inner = posix_system_p2()
    return (b"\x80\x02ctorch.storage\n_load_from_bytes\nC" + bytes([len(inner)]) + inner
            + b"\x85R.")


def nested_in_binbytes_data() -> bytes:
    inner = memo_built_stack_global()
    return b"\x80\x03]B" + struct.pack("<I", len(inner)) + inner + b"a."


def computed_global() -> bytes:
    # module name produced by a call (str.lower('OS')) at load time
    return (b"\x80\x04cbuiltins\nstr.lower\n" + su("OS") + b"\x85R" + su("system") + b"\x93"
            + su("id") + b"\x85R.")


def methodcaller_chain() -> bytes:
    return (b"\x80\x04\x8c\x08operator\x8c\x0cmethodcaller\x93\x8c\x06system\x8c\x02id\x86R"
            b".")


def second_pickle_after_stop() -> bytes:
    return b"\x80\x02]q\x00." + posix_system_p2()


def protocol5_framed_binunicode8() -> bytes:
    body = (b"\x8d" + struct.pack("<Q", 2) + b"os" + b"\x8d" + struct.pack("<Q", 6)
            + b"system" + b"\x93" + su("id") + b"\x85R.")
    return framed(body, 5)


def pickle_in_zip_member(name: str = "archive/weird.bin") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/version", "3\n")
        zf.writestr(name, memo_built_stack_global())
    return buf.getvalue()


def joblib_zlib() -> bytes:
    return zlib.compress(posix_system_p2())


# -- getattr gadgets: getattr is how CPython pickles bound methods, so each of these must be
# caught by what it reaches, not by the name getattr alone
def _getattr(target: bytes, name: bytes) -> bytes:
    """``builtins.getattr(<target>, <name>)``: both operands are opcode fragments."""
    return su("builtins") + su("getattr") + b"\x93" + target + name + b"\x86R"


def _odict() -> bytes:  # collections.OrderedDict(): a harmless object
    return su("collections") + su("OrderedDict") + b"\x93)R"


def getattr_builtins_eval() -> bytes:
    # inspect imports builtins: getattr(inspect.builtins, "eval")("print(1)")
    target = su("inspect") + su("builtins") + b"\x93"
    return framed(_getattr(target, su("eval")) + su("print(1)") + b"\x85R.", 4)


def getattr_of_getattr() -> bytes:
    # getattr(getattr(numpy.lib, "npyio"), "load")("x.npy"): each name alone looks harmless
    inner = _getattr(su("numpy") + su("lib") + b"\x93", su("npyio"))
    return framed(_getattr(inner, su("load")) + su("x.npy") + b"\x85R.", 4)


def getattr_dotted_danger() -> bytes:
    # getattr(torch.serialization, "load") reaches torch.serialization.load
    target = su("torch") + su("serialization") + b"\x93"
    return framed(_getattr(target, su("load")) + su("x.pt") + b"\x85R.", 4)


def getattr_computed_name() -> bytes:
    # the attribute name is computed at load time: str.lower("SYSTEM")
    name = su("builtins") + su("str.lower") + b"\x93" + su("SYSTEM") + b"\x85R"
    return framed(_getattr(_odict(), name) + b".", 4)


def getattr_result_called() -> bytes:
    # a harmless-looking bound method, called while loading with an attacker's string
    return framed(_getattr(_odict(), su("pop")) + su("id") + b"\x85R.", 4)


def getattr_result_mapped() -> bytes:
    # list(map(getattr(obj, "pop"), ["id"])): called through map, consumed by list
    body = (su("builtins") + su("list") + b"\x93" + su("builtins") + su("map") + b"\x93"
            + _getattr(_odict(), su("pop")) + b"]" + su("id") + b"a\x86R\x85R.")
    return framed(body, 4)


def getattr_dunder() -> bytes:
    # getattr(OrderedDict, "__subclasses__")(): walks to every loaded class
    target = su("collections") + su("OrderedDict") + b"\x93"
    return framed(_getattr(target, su("__subclasses__")) + b")R.", 4)


HOSTILE = {
    "os_system_p0": os_system_p0,
    "posix_system_p2": posix_system_p2,
    "memo_built_stack_global": memo_built_stack_global,
    "long_memo_stack_global": long_memo_stack_global,
    "proto0_unicode_binstring_operands": proto0_unicode_binstring_operands,
    "getattr_chain": getattr_chain,
    "copyreg_reconstructor": copyreg_reconstructor,
    "inst_os": inst_os,
    "obj_os": obj_os,
    "unicode_lookalike": unicode_lookalike,
    "attribute_traversal": attribute_traversal,
    "builtin_eval_py2": builtin_eval_py2,
    "nested_in_bytes": nested_in_bytes,
    "nested_in_binbytes_data": nested_in_binbytes_data,
    "computed_global": computed_global,
    "methodcaller_chain": methodcaller_chain,
    "second_pickle_after_stop": second_pickle_after_stop,
    "protocol5_framed_binunicode8": protocol5_framed_binunicode8,
    "pickle_in_zip_member": pickle_in_zip_member,
    "joblib_zlib": joblib_zlib,
    "getattr_builtins_eval": getattr_builtins_eval,
    "getattr_of_getattr": getattr_of_getattr,
    "getattr_dotted_danger": getattr_dotted_danger,
    "getattr_computed_name": getattr_computed_name,
    "getattr_result_called": getattr_result_called,
    "getattr_result_mapped": getattr_result_mapped,
    "getattr_dunder": getattr_dunder,
}


# -- fixture packages -------------------------------------------------------------------------
def _copy(src: Path, dst: Path, skip: tuple[str, ...] = ()) -> Path:
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, ignore=lambda d, names: [n for n in names if n in skip],
                    symlinks=True)
    for root, dirs, files in os.walk(dst):
        for n in dirs + files:
            p = os.path.join(root, n)
            if not os.path.islink(p):
                os.chmod(p, 0o755 if os.path.isdir(p) else 0o644)
    os.chmod(dst, 0o755)
    return dst


def _case(code: str, outcome: str, name: str, src: Path = BASE,
          skip: tuple[str, ...] = ()) -> Path:
    return _copy(src, OUT / code / outcome / name, skip)


def _expect(d: Path, **kw) -> None:
    (d / ".expect.json").write_text(json.dumps(kw, indent=1) + "\n")


def _edit(p: Path, old: str, new: str) -> None:
    text = p.read_text()
    assert old in text, (p, old)
    p.write_text(text.replace(old, new, 1))


def _skops(types: list[tuple[str, str]], fn: tuple[str, str] | None = None) -> bytes:
    content: dict = {"__class__": "dict", "__module__": "builtins", "__loader__": "DictNode",
                     "content": {}}
    for i, (mod, cls) in enumerate(types):
        content["content"][f"k{i}"] = {"__class__": cls, "__module__": mod,
                                       "__loader__": "ObjectNode", "__id__": i + 2}
    if fn:
        content["content"]["f"] = {"__class__": "function", "__module__": fn[0],
                                   "__loader__": "FunctionNode",
                                   "content": {"module_path": fn[0], "function": fn[1]}}
    schema = {"__class__": "SGDClassifier",
              "__module__": "sklearn.linear_model._stochastic_gradient",
              "__loader__": "ObjectNode", "__id__": 1, "content": content, "protocol": 2,
              "_skops_version": "0.10.0"}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("schema.json", json.dumps(schema))
    return buf.getvalue()


DIVINER = Path(__file__).parent / "fixtures" / "mlflow" / "2.17.2" / "diviner_pmdarima_plain"


def _b64(payload: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(payload).decode()


def build_diviner() -> None:
    """diviner's GroupedPmdarima (model.div: JSON of base64 pickles, unpickled on load), from
    the real package MLflow 2.17.2 wrote (tests/generate_fixtures.py)."""
    _case("MC620", "pass", "diviner_grouped_pmdarima", DIVINER)
    d = _case("MC620", "fail", "diviner_template_runs_a_command", DIVINER)
    doc = json.loads((d / "model.div").read_text())
    doc["_model_template"] = _b64(posix_system_p2())
    (d / "model.div").write_text(json.dumps(doc))
    _expect(d, count=1, file="model.div", level="error",
            messages=["posix.system", "/_model_template"])
    d = _case("MC620", "fail", "diviner_group_key_runs_a_command", DIVINER)
    doc = json.loads((d / "model.div").read_text())
    groups = doc["model"]
    first = next(iter(groups))
    doc["model"] = {_b64(os_system_p0()): groups[first],
                    **{k: v for k, v in groups.items() if k != first}}
    (d / "model.div").write_text(json.dumps(doc))
    _expect(d, count=1, file="model.div", level="error",
            messages=["os.system", "/model/[0] (the key)"])
    d = _case("MC623", "fail", "diviner_truncated_template", DIVINER)
    doc = json.loads((d / "model.div").read_text())
    doc["_model_template"] = _b64(memo_built_stack_global()[:-6])
    (d / "model.div").write_text(json.dumps(doc))
    _expect(d, count=1, file="model.div", level="error", messages=["/_model_template"])


def build() -> None:
    build_diviner()
    mlm = "MLmodel"
    # MC601 module not provided: real corpus 002 (pickle references mytransformers)
    _case("MC601", "fail", "pickle_references_unshipped_module",
          CORPUS / "002_gergokoncz__orkney_demand_forecast")
    _case("MC601", "pass", "sklearn_cloudpickle")
    # MC602 shadowing
    d = _case("MC602", "fail", "code_json_py")
    _edit(d / mlm, "    code: null", "    code: code")
    (d / "code").mkdir()
    (d / "code" / "json.py").write_text("def helper():\n    return 1\n")
    (d / "code" / "decorator.py").write_text("X = 1\n")
    _expect(d, count=2, messages=["json", "decorator"])
    d = _case("MC602", "pass", "code_project_module")
    _edit(d / mlm, "    code: null", "    code: code")
    (d / "code").mkdir()
    (d / "code" / "iris_helpers.py").write_text("def helper():\n    return 1\n")
    # MC610 unsafe entries
    d = _case("MC610", "fail", "symlink_to_etc_passwd")
    os.symlink("/etc/passwd", d / "notes.txt")
    os.symlink("../../../../../../../../etc/hostname", d / "host.txt")
    _expect(d, count=2, level="error")
    _case("MC610", "pass", "plain_files")
    d = _case("MC610", "pass", "symlink_inside")
    os.symlink("model.pkl", d / "model_link.pkl")
    # MC611 limits: an over-long path
    d = _case("MC611", "fail", "path_too_long")
    deep = d / "artifacts" / ("a" * 60) / ("b" * 60) / ("c" * 60)
    deep.mkdir(parents=True)
    (deep / "extra.txt").write_text("x\n")
    _case("MC611", "pass", "small_package")
    # MC620 dangerous imports: one package per hostile family
    for name in ("os_system_p0", "memo_built_stack_global", "getattr_chain",
                 "nested_in_bytes", "unicode_lookalike", "attribute_traversal"):
        d = _case("MC620", "fail", name)
        (d / "model.pkl").write_bytes(HOSTILE[name]())
        _expect(d, file="model.pkl", level="error")
    d = _case("MC620", "fail", "zip_member_other_name")
    (d / "artifacts").mkdir()
    (d / "artifacts" / "checkpoint.pt").write_bytes(pickle_in_zip_member())
    d = _case("MC620", "fail", "nonstandard_extension")
    (d / "weights.dat").write_bytes(HOSTILE["long_memo_stack_global"]())
    _expect(d, file="weights.dat", messages=["subprocess.check_output"])
    for name in ("getattr_builtins_eval", "getattr_of_getattr", "getattr_computed_name",
                 "getattr_result_called"):
        d = _case("MC620", "fail", name)
        (d / "model.pkl").write_bytes(HOSTILE[name]())
        _expect(d, file="model.pkl", level="error", messages=["builtins.getattr"])
    d = _case("MC620", "fail", "stray_file_still_scanned")
    (d / "artifacts").mkdir()
    (d / "artifacts" / "old.pkl").write_bytes(HOSTILE["getattr_dunder"]())
    _expect(d, count=1, file="artifacts/old.pkl", level="error",
            messages=["does not reference", "__subclasses__"])
    d = _case("MC620", "pass", "bound_methods")
    (d / "model.pkl").write_bytes((PICKLES / "bound_methods.pkl").read_bytes())
    d = _case("MC620", "fail", "joblib_compressed")
    (d / "scaler.joblib").write_bytes(joblib_zlib())
    _case("MC620", "pass", "sklearn_cloudpickle")
    _case("MC620", "pass", "cloudpickle_python_model",
          CORPUS / "003_ts-azure-services__local-mlflow-aml-endpoint")
    _case("MC620", "pass", "torch_state_dict_nested",
          CORPUS / "005_xiyuhao__RigNetModelServing")
    # MC621 serialized code outside python_model
    d = _case("MC621", "fail", "cloudpickled_function_artifact")
    (d / "artifacts").mkdir()
    src = CORPUS / "003_ts-azure-services__local-mlflow-aml-endpoint" / "python_model.pkl"
    (d / "artifacts" / "transform.pkl").write_bytes(src.read_bytes())
    _expect(d, messages=["WrappedLRModel.predict"], level="warning")
    _case("MC621", "pass", "plain_sklearn")
    _case("MC621", "pass", "python_model_is_mc624",
          CORPUS / "003_ts-azure-services__local-mlflow-aml-endpoint")
    # MC622 summary
    d = _case("MC622", "fail", "sklearn_pickle")
    _expect(d, count=1, messages=["sklearn.linear_model._stochastic_gradient (SGDClassifier)"])
    _case("MC622", "pass", "no_pickles", skip=("model.pkl",))
    # MC623 corrupt
    d = _case("MC623", "fail", "truncated")
    data = (BASE / "model.pkl").read_bytes()
    (d / "model.pkl").write_bytes(data[: len(data) // 2])
    _expect(d, count=1, messages=["truncated"])
    d = _case("MC623", "fail", "empty")
    (d / "model.pkl").write_bytes(b"")
    _case("MC623", "pass", "complete")
    for name in ("numpy_scalar_bytes.pkl", "joblib_structobj.joblib", "joblib_no_tell.joblib"):
        d = _case("MC623", "pass", name.split(".")[0])
        (d / "model.pkl").write_bytes((PICKLES / name).read_bytes())
    d = _case("MC623", "fail", "stray_truncated")
    (d / "artifacts").mkdir()
    (d / "artifacts" / "old_model.pkl").write_bytes(data[: len(data) // 2])
    _expect(d, count=1, level="warning", file="artifacts/old_model.pkl",
            messages=["does not read it"])
    d = _case("MC623", "fail", "lz4_not_scanned")
    (d / "model.pkl").write_bytes(b"\x04\x22\x4d\x18" + bytes(range(64)))
    _expect(d, count=1, level="error", messages=["lz4", "not trusted"])
    # MC624 pickled python_model
    _case("MC624", "fail", "cloudpickle_python_model",
          CORPUS / "003_ts-azure-services__local-mlflow-aml-endpoint")
    _case("MC624", "pass", "sklearn")
    # MC625 LFS pointer
    d = _case("MC625", "fail", "model_pkl_pointer")
    (d / "model.pkl").write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:"
        "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 14732812\n")
    _expect(d, count=1, messages=["14732812"])
    _case("MC625", "pass", "real_pickle")
    # MC626 capability
    _case("MC626", "fail", "pickle_payload")
    _case("MC626", "pass", "no_pickle", skip=("model.pkl",))
    d = _case("MC626", "pass", "stray_pickle_only", skip=("model.pkl",))
    (d / "notes").mkdir()
    (d / "notes" / "scratch.pkl").write_bytes((BASE / "model.pkl").read_bytes())
    # MC627 / MC628 skops
    sk = "    pickled_model: model.pkl\n    serialization_format: cloudpickle"
    d = _case("MC627", "fail", "schema_os_system", skip=("model.pkl",))
    _edit(d / mlm, sk, "    pickled_model: model.skops\n    serialization_format: skops")
    (d / "model.skops").write_bytes(_skops([("numpy", "ndarray"), ("mylib.custom", "Thing")],
                                           ("os", "system")))
    _expect(d, count=2, messages=["os.system", "mylib.custom.Thing"])
    d = _case("MC627", "pass", "sklearn_types", skip=("model.pkl",))
    _edit(d / mlm, sk, "    pickled_model: model.skops\n    serialization_format: skops")
    (d / "model.skops").write_bytes(_skops([("numpy", "ndarray"), ("builtins", "dict")]))
    d = _case("MC628", "fail", "trusts_builtins_eval")
    _edit(d / mlm, "    sklearn_version: 1.6.1",
          "    sklearn_version: 1.6.1\n    skops_trusted_types:\n"
          "    - sklearn.linear_model._stochastic_gradient.SGDClassifier\n    - builtins.eval")
    _expect(d, count=1, messages=["builtins.eval"])
    d = _case("MC628", "pass", "trusts_estimator")
    _edit(d / mlm, "    sklearn_version: 1.6.1",
          "    sklearn_version: 1.6.1\n    skops_trusted_types:\n"
          "    - sklearn.linear_model._stochastic_gradient.SGDClassifier")
    # MC640 secrets (AWS's documented example key id; a fake token)
    d = _case("MC640", "fail", "aws_key_in_code")
    _edit(d / mlm, "    code: null", "    code: code")
    (d / "code").mkdir()
    (d / "code" / "settings.py").write_text(
        'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"\n'
        'DB = "postgresql://svc:s3cr3t-pw@db.internal:5432/prod"\n'
        'PLACEHOLDER = "postgresql://user:${DB_PASSWORD}@host/db"\n')
    _expect(d, count=2, lines=[1, 2], messages=["AWS access key id", "database password"])
    _case("MC640", "pass", "no_secrets")
    # MC650 junk / MC651 duplicates
    d = _case("MC650", "fail", "pycache_and_ds_store")
    (d / "__pycache__").mkdir()
    (d / "__pycache__" / "helpers.cpython-311.pyc").write_bytes(b"\xa7\r\r\n" + b"\0" * 12)
    (d / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (d / "conda.yaml~").write_text("backup\n")
    _expect(d, count=3)
    _case("MC650", "pass", "clean")
    d = _case("MC651", "fail", "second_model_copy")
    (d / "MLProject").mkdir()
    shutil.copy(BASE / "model.pkl", d / "MLProject" / "model.pkl")
    _expect(d, count=1, file="MLProject/model.pkl")
    _case("MC651", "pass", "single_copy")


if __name__ == "__main__":
    sys.exit(build())
