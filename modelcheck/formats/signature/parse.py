"""Parser for MLmodel's ``signature`` (spec §4), collecting every defect as a ``SigProblem``.

It follows ``mlflow.types.schema`` (``Schema.from_json``, ``ColSpec.from_json_dict``,
``TensorInfo``, ``ParamSpec``) without importing it, and keeps going after a defect: a bad
column does not discard the good ones. Problem codes (MC3xx) name the rule that reports them.
"""

from __future__ import annotations

import json
from typing import Any

from modelcheck.formats.signature.checks import check_param_default, describe, suggest_type
from modelcheck.formats.signature.schema import (
    COMPOSITE_TYPES,
    PARAM_TYPES,
    SCALAR_TYPES,
    ColSpec,
    DataType,
    ParamSpec,
    Property,
    Schema,
    Signature,
    SigProblem,
    TensorSpec,
)

SECTIONS = ("inputs", "outputs", "params")
MLFLOW_TYPES = ", ".join(SCALAR_TYPES + COMPOSITE_TYPES)

# codes (one per rule)
MISSING = "MC301"
NOT_STRING = "MC302"
BAD_JSON = "MC303"
EMPTY = "MC304"
COLUMN = "MC305"
REQUIRED_MISSING = "MC306"
LEGACY_OPTIONAL = "MC307"
TENSOR = "MC308"
MIXED = "MC309"
NAMES = "MC310"
PARAM = "MC311"
PARAM_DEFAULT = "MC312"
TOO_NEW = "MC313"

# feature -> first MLflow version that reads/writes it (spec §10)
FEATURES: dict[str, tuple[int, int]] = {
    "params": (2, 6), "array": (2, 10), "object": (2, 10), "required": (2, 10),
    "map": (2, 12), "sparkml_vector": (2, 16), "any": (2, 19), "object params": (2, 20),
    "tensor": (1, 14),
}


class _Ctx:
    """Per-parse state: collected problems and features used."""

    def __init__(self, version: Any) -> None:
        self.problems: list[SigProblem] = []
        self.version = version
        self.features: dict[str, str] = {}  # feature -> first place seen

    def add(self, code: str, section: str | None, where: str, message: str, *,
            level: str | None = None, fix: str | None = None) -> None:
        pointer = "/signature" + (f"/{section}" if section else "")
        self.problems.append(SigProblem(code=code, message=message, section=section,
                                        pointer=pointer, level=level, fix=fix, key=where))

    def use(self, feature: str, where: str) -> None:
        self.features.setdefault(feature, where)


def parse(value: Any, mlflow_version: Any = None) -> Signature:
    """Parse the ``signature`` value of MLmodel; never raises for bad input."""
    ctx = _Ctx(mlflow_version)
    sig = Signature()
    if value is None:
        return sig
    sig.present = True
    if not isinstance(value, dict):
        ctx.add(NOT_STRING, None, "signature",
                f"signature must be a mapping with inputs/outputs/params, found "
                f"{describe(value)}; MLflow keeps it unparsed and pyfunc prediction fails",
                fix="write signature: {inputs: '<JSON>', outputs: '<JSON>', params: null}")
        sig.problems = ctx.problems
        return sig
    for key in value:
        if key not in SECTIONS:
            ctx.add(NOT_STRING, None, f"signature.{key}",
                    f"signature has unknown key {key!r}, which MLflow ignores "
                    f"(expected inputs, outputs, params)", level="warning",
                    fix="rename it to inputs, outputs or params, or remove it")
    loaded: dict[str, Any] = {}
    for sec in SECTIONS:
        raw = value.get(sec)
        sig.raw[sec] = raw
        if not raw:  # MLflow: `if x := d.get(sec)` -> None, "", [], {} mean absent
            continue
        if isinstance(raw, str):
            try:
                data = json.loads(raw)
            except (ValueError, RecursionError) as exc:
                msg = getattr(exc, "msg", str(exc))
                pos = getattr(exc, "pos", None)
                at = f" at character {pos}" if pos is not None else ""
                ctx.add(BAD_JSON, sec, sec, f"signature {sec} is not valid JSON: {msg}{at}",
                        fix=f"rewrite {sec} as a JSON string such as "
                            '\'[{"type": "double", "name": "x", "required": true}]\'')
                continue
        else:
            ctx.add(NOT_STRING, sec, sec,
                    f"signature {sec} must be a string holding JSON, found a YAML "
                    f"{describe(raw)}; MLflow runs json.loads on it and fails",
                    fix=f"quote the value: {sec}: '<JSON text>' (json.dumps of the list)")
            data = raw
        loaded[sec] = data
    for sec in ("inputs", "outputs"):
        if sec in loaded:
            schema = _schema(loaded[sec], sec, ctx)
            setattr(sig, sec, schema)
    if "params" in loaded:
        sig.params = _params(loaded["params"], ctx)
        ctx.use("params", "params")
    _check_container(value, loaded, ctx)
    _check_versions(ctx)
    sig.problems = ctx.problems
    return sig


def _check_container(value: dict, loaded: dict[str, Any], ctx: _Ctx) -> None:
    if not loaded:
        ctx.add(EMPTY, None, "signature",
                "signature has no inputs, outputs or params (all null or empty); MLflow "
                "raises 'At least one of inputs, outputs or params must be provided'",
                fix="remove the signature key, or set inputs to the model's input schema")
        return
    v = ctx.version
    if "inputs" not in loaded and v is not None and tuple(v.release[:2]) < (2, 7):
        ctx.add(EMPTY, "inputs", "inputs",
                f"signature inputs is null but mlflow_version is {v}: MLflow before 2.7 "
                "requires inputs whenever a signature is present",
                fix="add the inputs schema, or remove the signature")


def _check_versions(ctx: _Ctx) -> None:
    v = ctx.version
    if v is None:
        return
    have = tuple(v.release[:2])
    for feature, where in ctx.features.items():
        need = FEATURES[feature]
        if have < need:
            first = f"{need[0]}.{need[1]}"
            ctx.add(TOO_NEW, where.split("[", 1)[0].split(".", 1)[0], where,
                    f"signature uses {feature} ({where}), which MLflow {first} introduced, "
                    f"but mlflow_version is {v}: that MLflow could not have written it, and "
                    f"MLflow before {first} cannot load it",
                    fix=f"require mlflow>={first} and set mlflow_version accordingly, or "
                        f"remove the {feature} usage")


# -- schemas --------------------------------------------------------------------------------


def _schema(data: Any, sec: str, ctx: _Ctx) -> Schema | None:
    if not isinstance(data, list):
        ctx.add(BAD_JSON, sec, sec,
                f"signature {sec} must be a JSON list of column or tensor specs, found "
                f"{describe(data)}", fix=f"wrap the specs of {sec} in a JSON list [...]")
        return None
    if not data:
        ctx.add(BAD_JSON, sec, sec,
                f"signature {sec} is an empty list; MLflow raises 'Creating Schema with empty "
                "inputs is not allowed'", fix=f"list at least one spec, or set {sec} to null")
        return None
    specs: list[ColSpec | TensorSpec] = []
    elems: list[tuple[int, dict]] = []
    for i, elem in enumerate(data):
        where = f"{sec}[{i}]"
        if not isinstance(elem, dict):
            ctx.add(BAD_JSON, sec, where,
                    f"signature {where} must be a JSON object with a 'type', found "
                    f"{describe(elem)}", fix='write it as {"type": "...", "name": "..."}')
            continue
        elems.append((i, elem))
        label = _label(sec, i, elem)
        if "type" not in elem:
            kind = "tensor spec" if "tensor-spec" in elem else "column spec"
            ctx.add(COLUMN if kind == "column spec" else TENSOR, sec, where,
                    f"signature {label}: {kind} has no 'type' key; MLflow raises 'Missing keys"
                    " ... Expected to find key `type`'",
                    fix='add "type": "tensor"' if kind == "tensor spec"
                    else f'add "type", one of {MLFLOW_TYPES}')
            continue
        spec = (_tensor(elem, sec, label, where, ctx) if elem["type"] == "tensor"
                else _colspec(elem, sec, label, where, ctx))
        if spec is not None:
            specs.append(spec)
    _schema_rules(elems, sec, ctx)
    return Schema(specs) if specs else None


def _label(sec: str, i: int, elem: dict) -> str:
    name = elem.get("name")
    return f"{sec}[{i}]" + (f" ({json.dumps(name)})" if isinstance(name, str) else "")


def _colspec(elem: dict, sec: str, label: str, where: str, ctx: _Ctx) -> ColSpec | None:
    kind = elem["type"]
    legacy = "optional" in elem
    if legacy:
        _legacy_optional(elem, sec, label, where, ctx)
    required = elem.get("required")
    if "required" in elem:
        ctx.use("required", where)
        if required is not None and not isinstance(required, bool):
            ctx.add(COLUMN, sec, where,
                    f"signature {label}: 'required' must be true or false, found "
                    f"{json.dumps(required)}; MLflow uses its truthiness", level="warning",
                    fix='write "required": true or "required": false')
    if isinstance(kind, str) and kind in SCALAR_TYPES:
        extra = [k for k in elem if k not in ("type", "name", "required", "optional")]
        if extra:
            ctx.add(COLUMN, sec, where,
                    f"signature {label}: unknown key(s) {', '.join(map(repr, extra))} on a "
                    f"{kind} column; MLflow builds ColSpec(**spec) and raises TypeError",
                    fix=f"remove {', '.join(map(repr, extra))}; a column takes only type, "
                        "name and required")
    dtype = _datatype(elem, sec, label, where, ctx, top=True)
    if dtype is None:
        return None
    if dtype.kind in COMPOSITE_TYPES and "required" not in elem and not legacy:
        ctx.add(REQUIRED_MISSING, sec, where,
                f"signature {label}: {dtype.kind} column has no 'required' key; MLflow 2.x "
                "reads it as required, MLflow 3.x as optional",
                fix='add "required": true (or false), as MLflow 2.10+ writes it')
    opt = elem.get("optional")
    legacy_optional = legacy and bool(opt) and "required" not in elem
    req = required if isinstance(required, bool) else (
        None if required is None else bool(required))
    return ColSpec(type=dtype, name=elem.get("name"), required=req,
                   legacy_optional=legacy_optional)


def _legacy_optional(elem: dict, sec: str, label: str, where: str, ctx: _Ctx) -> None:
    opt = elem.get("optional")
    if "required" in elem:
        v = ctx.version
        # 3.x readers ignore 'optional' on composite columns; the writer's own MLflow
        # (mlflow_version, usually pinned in requirements) decides the level
        composite = elem.get("type") in COMPOSITE_TYPES and v is not None and tuple(
            v.release[:2]) >= (2, 18)
        ctx.add(LEGACY_OPTIONAL, sec, where,
                f"signature {label}: has both 'optional' and 'required'; MLflow 2.10-2.17 "
                "raises 'Only one of `optional` and `required` can be specified'; 2.18+ "
                + ("ignores 'optional' on this column type" if composite
                   else "raises TypeError on 'optional'"),
                level="warning" if composite else None, fix="remove the 'optional' key")
        return
    new = '"required": false' if opt else '"required": true'
    if elem.get("type") in COMPOSITE_TYPES:
        ctx.add(LEGACY_OPTIONAL, sec, where,
                f"signature {label}: legacy key \"optional\": {json.dumps(opt)}; MLflow 2.18 "
                f"and later ignore it on {elem.get('type')} columns, so whether the column is "
                "required depends on the reader's MLflow version", level="warning",
                fix=f'replace "optional": {json.dumps(opt)} with {new}')
        return
    ctx.add(LEGACY_OPTIONAL, sec, where,
            f"signature {label}: legacy key \"optional\": {json.dumps(opt)} (written by "
            "MLflow 2.4-2.9); MLflow 2.18 and later cannot load it (ColSpec got an unexpected "
            "keyword argument 'optional')", fix=f'replace "optional": {json.dumps(opt)} '
            f"with {new}")


def _datatype(obj: dict, sec: str, label: str, where: str, ctx: _Ctx, *,
              top: bool = False) -> DataType | None:
    """The DataType of a column / item / value / property mapping (which has 'type')."""
    kind = obj["type"]
    if not isinstance(kind, str) or kind not in SCALAR_TYPES + COMPOSITE_TYPES:
        if kind == "tensor":
            ctx.add(COLUMN, sec, where,
                    f"signature {label}: 'tensor' is not allowed inside an array, map or "
                    "object; only column types are", fix="use a column type such as "
                    '{"type": "array", "items": {"type": "double"}}')
            return None
        hint = suggest_type(kind)
        ctx.add(COLUMN, sec, where,
                f"signature {label}: unknown type {json.dumps(kind)}"
                + (f" (did you mean \"{hint}\"?)" if hint else "")
                + f"; MLflow types are {MLFLOW_TYPES}",
                fix=f'use "{hint}"' if hint else f"use one of {MLFLOW_TYPES}")
        return None
    if kind in ("array", "object", "map", "any", "sparkml_vector"):
        ctx.use(kind, where)
    if kind == "array":
        inner = _nested(obj, "items", sec, label, where, ctx)
        return DataType("array", items=inner) if inner else None
    if kind == "map":
        inner = _nested(obj, "values", sec, label, where, ctx)
        return DataType("map", values=inner) if inner else None
    if kind == "object":
        props = _properties(obj, sec, label, where, ctx)
        return DataType("object", properties=props) if props is not None else None
    return DataType(kind)


def _nested(obj: dict, key: str, sec: str, label: str, where: str,
            ctx: _Ctx) -> DataType | None:
    kind = obj["type"]
    here = f"{where}.{key}"
    if key not in obj:
        ctx.add(COLUMN, sec, here,
                f"signature {label}: {kind} has no '{key}'; MLflow raises 'Missing keys in "
                f"{kind.capitalize()} JSON'",
                fix=f'add "{key}": {{"type": "string"}} (the element type)')
        return None
    inner = obj[key]
    if not isinstance(inner, dict):
        ctx.add(COLUMN, sec, here,
                f"signature {label}: {kind} '{key}' must be an object like "
                f'{{"type": "string"}}, found {describe(inner)}',
                fix=f'write "{key}": {{"type": {json.dumps(_inner_name(inner))}}}')
        return None
    if "type" not in inner:
        ctx.add(COLUMN, sec, here,
                f"signature {label}: {kind} '{key}' has no 'type'",
                fix=f'add "type" inside "{key}"')
        return None
    return _datatype(inner, sec, f"{label} {key}", here, ctx)


def _inner_name(inner: Any) -> str:
    return inner if isinstance(inner, str) else "string"


def _properties(obj: dict, sec: str, label: str, where: str,
                ctx: _Ctx) -> dict[str, Property] | None:
    here = f"{where}.properties"
    props = obj.get("properties")
    if "properties" not in obj:
        ctx.add(COLUMN, sec, here,
                f"signature {label}: object has no 'properties'; MLflow raises 'Missing keys "
                "in Object JSON'", fix='add "properties": {"field": {"type": "string"}}')
        return None
    if not isinstance(props, dict):
        ctx.add(COLUMN, sec, here,
                f"signature {label}: object 'properties' must be a JSON object, found "
                f"{describe(props)}", fix='write "properties": {"field": {"type": "string"}}')
        return None
    if not props:
        ctx.add(COLUMN, sec, here,
                f"signature {label}: object has empty 'properties'; MLflow raises 'Creating "
                "Object with empty properties is not allowed'",
                fix="list at least one property, or use type map/any")
        return None
    out: dict[str, Property] = {}
    ok = True
    for name, prop in props.items():
        pwhere = f"{here}.{name}"
        plabel = f"{label} property {json.dumps(name)}"
        if not isinstance(prop, dict):
            ctx.add(COLUMN, sec, pwhere,
                    f"signature {plabel}: must be an object like {{\"type\": \"string\"}}, "
                    f"found {describe(prop)}", fix='write {"type": "...", "required": true}')
            ok = False
            continue
        if "type" not in prop:
            ctx.add(COLUMN, sec, pwhere,
                    f"signature {plabel}: property has no 'type'; MLflow raises 'Missing keys "
                    "in Property'", fix='add "type" to the property')
            ok = False
            continue
        req = prop.get("required", True)
        if not isinstance(req, bool):
            ctx.add(COLUMN, sec, pwhere,
                    f"signature {plabel}: 'required' must be true or false, found "
                    f"{json.dumps(req)}", level="warning", fix='write "required": true')
        if prop["type"] == "sparkml_vector":
            ctx.add(COLUMN, sec, pwhere,
                    f"signature {plabel}: sparkml_vector cannot be an object property; MLflow "
                    "raises 'Expected values to be instance of Property'",
                    fix='use {"type": "array", "items": {"type": "double"}}')
            ok = False
            continue
        dtype = _datatype(prop, sec, plabel, pwhere, ctx)
        if dtype is None:
            ok = False
            continue
        out[name] = Property(name=name, type=dtype, required=bool(req))
    return dict(sorted(out.items())) if ok or out else None


# -- tensors ---------------------------------------------------------------------------------


def _tensor(elem: dict, sec: str, label: str, where: str, ctx: _Ctx) -> TensorSpec | None:
    from modelcheck.formats.signature.dtypes import check_dtype

    ctx.use("tensor", where)
    info = elem.get("tensor-spec")
    if "tensor-spec" not in elem or not isinstance(info, dict):
        found = "none" if "tensor-spec" not in elem else describe(info)
        ctx.add(TENSOR, sec, where,
                f"signature {label}: tensor spec needs a 'tensor-spec' object with dtype and "
                f"shape, found {found}",
                fix='add "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}')
        return None
    missing = [k for k in ("dtype", "shape") if k not in info]
    if missing:
        ctx.add(TENSOR, sec, where,
                f"signature {label}: 'tensor-spec' lacks {' and '.join(missing)}; MLflow "
                "raises 'Missing keys in TensorSpec JSON'",
                fix='write "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}')
        return None
    dtype, shape = info["dtype"], info["shape"]
    ok = True
    if dtype is None:
        ctx.add(TENSOR, sec, where,
                f"signature {label}: dtype is null, which numpy reads as float64",
                level="warning", fix='write the dtype explicitly, e.g. "float64"')
        dtype = "float64"
    elif not isinstance(dtype, str):
        ctx.add(TENSOR, sec, where,
                f"signature {label}: dtype must be a numpy dtype name string, found "
                f"{describe(dtype)}", fix='use a name such as "float32", "int64" or "str"')
        ok = False
    else:
        verdict, why = check_dtype(dtype)
        if verdict == "unknown":
            ctx.add(TENSOR, sec, where,
                    f"signature {label}: unknown numpy dtype {json.dumps(dtype)}; "
                    "numpy.dtype() raises TypeError at load",
                    fix='use a numpy dtype name such as "float32", "int64", "bool", "str", '
                        '"object"')
            ok = False
        elif verdict == "sized":
            ctx.add(TENSOR, sec, where,
                    f"signature {label}: {why}; MLflow does not support size information in "
                    "flexible numpy dtypes", fix=why.rsplit("; ", 1)[-1] if why else None)
            ok = False
        elif verdict == "numpy1":
            ctx.add(TENSOR, sec, where,
                    f"signature {label}: dtype {json.dumps(dtype)}: {why}; loading fails "
                    "where numpy 2 is installed", level="warning",
                    fix="use the numpy 2 name (float64, complex128, str, bytes, bool...)")
    dims = _shape(shape, sec, label, where, ctx)
    if dims is None or not ok:
        return None
    return TensorSpec(dtype=dtype, shape=dims, name=elem.get("name"))


def _shape(shape: Any, sec: str, label: str, where: str, ctx: _Ctx) -> tuple[int, ...] | None:
    if not isinstance(shape, list):
        extra = "; MLflow raises TypeError" if shape is None or isinstance(
            shape, (int, float, bool)) else ""
        ctx.add(TENSOR, sec, where,
                f"signature {label}: shape must be a JSON list of ints, found "
                f"{describe(shape)}{extra}", fix="write the shape as a list, e.g. [-1, 4] "
                "(-1 for a variable dimension)")
        return None
    bad = [d for d in shape if isinstance(d, bool) or not isinstance(d, int) or d < -1]
    if bad:
        ctx.add(TENSOR, sec, where,
                f"signature {label}: shape {json.dumps(shape)} has entries that are not "
                f"integers >= -1: {', '.join(json.dumps(d) for d in bad)}",
                fix="use non-negative integers, or -1 for a variable dimension")
        return None
    return tuple(shape)


def _schema_rules(elems: list[tuple[int, dict]], sec: str, ctx: _Ctx) -> None:
    if not elems:
        return
    named = [i for i, e in elems if e.get("name") is not None]
    unnamed = [i for i, e in elems if e.get("name") is None]
    tensors = [i for i, e in elems if e.get("type") == "tensor"]
    columns = [i for i, e in elems if "type" in e and e.get("type") != "tensor"]
    if named and unnamed:
        ctx.add(MIXED, sec, sec,
                f"signature {sec} mixes named and unnamed specs (unnamed: "
                f"{_idx(sec, unnamed)}); MLflow raises 'Creating Schema with a combination "
                "of named and unnamed inputs is not allowed'",
                fix="give every spec a name, or remove all names")
    if tensors and columns:
        ctx.add(MIXED, sec, sec,
                f"signature {sec} mixes tensor specs ({_idx(sec, tensors)}) with column specs "
                f"({_idx(sec, columns)}); MLflow does not allow combining ColSpec and "
                "TensorSpec", fix="use only column specs or only tensor specs")
    if len(tensors) > 1:
        nameless = [i for i in tensors if elems_name(elems, i) is None]
        if nameless:
            ctx.add(MIXED, sec, sec,
                    f"signature {sec} has {len(tensors)} tensor specs but "
                    f"{_idx(sec, nameless)} unnamed; MLflow requires names when there are "
                    "several tensors", fix="name every tensor spec")
    if not named:
        optional = [i for i, e in elems if e.get("required") is False
                    or (e.get("optional") is True and "required" not in e)]
        if optional:
            ctx.add(MIXED, sec, sec,
                    f"signature {sec} has unnamed optional column(s) {_idx(sec, optional)}; "
                    "MLflow raises 'Creating Schema with unnamed optional inputs is not "
                    "supported'", fix='name all columns, or make them "required": true')
    _names(elems, sec, ctx)


def elems_name(elems: list[tuple[int, dict]], i: int) -> Any:
    return next(e.get("name") for j, e in elems if j == i)


def _idx(sec: str, idx: list[int]) -> str:
    shown = ", ".join(f"{sec}[{i}]" for i in idx[:6])
    return shown + (f" and {len(idx) - 6} more" if len(idx) > 6 else "")


def _names(elems: list[tuple[int, dict]], sec: str, ctx: _Ctx) -> None:
    seen: dict[str, int] = {}
    for i, e in elems:
        if "name" not in e or e["name"] is None:
            continue
        name = e["name"]
        where = f"{sec}[{i}]"
        if name == "":
            ctx.add(NAMES, sec, where,
                    f"signature {where}: empty name \"\"; MLflow treats it as unnamed "
                    f"(index {i}) when matching input columns", level="warning",
                    fix="give the spec a real name")
            continue
        if not isinstance(name, (str, int)) or isinstance(name, bool):
            ctx.add(NAMES, sec, where,
                    f"signature {where}: name must be a string, found {describe(name)}",
                    level="warning", fix="use a string name")
        key = json.dumps(name, sort_keys=True)
        if key in seen:
            ctx.add(NAMES, sec, where,
                    f"signature {where}: duplicate name {key} (also {sec}[{seen[key]}]); "
                    "MLflow keeps only one of them when it maps inputs by name",
                    fix="rename one of the specs so every name is unique")
        else:
            seen[key] = i


# -- params ----------------------------------------------------------------------------------


def _params(data: Any, ctx: _Ctx) -> list[ParamSpec] | None:
    sec = "params"
    if not isinstance(data, list):
        ctx.add(BAD_JSON, sec, sec,
                f"signature params must be a JSON list of param specs, found "
                f"{describe(data)}", fix='write \'[{"name": "p", "type": "double", '
                '"default": 1.0, "shape": null}]\'')
        return None
    out: list[ParamSpec] = []
    seen: dict[str, int] = {}
    for i, elem in enumerate(data):
        where = f"params[{i}]"
        if not isinstance(elem, dict):
            ctx.add(PARAM, sec, where,
                    f"signature {where} must be a JSON object with name, type and default, "
                    f"found {describe(elem)}",
                    fix='write {"name": "p", "type": "double", "default": 1.0, "shape": null}')
            continue
        spec = _param(elem, i, ctx)
        if "name" in elem:
            key = str(elem["name"])
            if key in seen:
                ctx.add(PARAM, sec, where,
                        f"signature {where}: duplicate param name {json.dumps(key)} (also "
                        f"params[{seen[key]}]); MLflow raises 'Duplicated parameters found in "
                        "schema'", fix="rename or remove one of the params")
            else:
                seen[key] = i
        if spec is not None:
            out.append(spec)
    return out


def _param(elem: dict, i: int, ctx: _Ctx) -> ParamSpec | None:
    sec = "params"
    where = f"params[{i}]"
    name = elem.get("name")
    label = f"{where}" + (f" ({json.dumps(name)})" if isinstance(name, str) else "")
    has_type = "type" in elem or "dtype" in elem
    missing = [k for k, ok in (("name", "name" in elem), ("type", has_type),
                               ("default", "default" in elem)) if not ok]
    if missing:
        ctx.add(PARAM, sec, where,
                f"signature {label}: missing {', '.join(repr(m) for m in missing)}; MLflow "
                "raises 'Missing keys in ParamSpec JSON. Expected to find keys `name`, "
                "`type`(or `dtype`) and `default`'",
                fix="give every param name, type and default (null is allowed)")
    if not has_type:
        return None
    if "type" not in elem:
        v = ctx.version
        if v is None or tuple(v.release[:2]) != (2, 6):
            ctx.add(PARAM, sec, where,
                    f"signature {label}: uses the legacy key 'dtype' (written by MLflow 2.6); "
                    "MLflow still reads it", level="note", fix='rename "dtype" to "type"')
    ptype = elem.get("type") or elem.get("dtype")
    if ptype == "binary":
        ctx.add(PARAM, sec, where,
                f"signature {label}: type \"binary\" is not supported for params; MLflow "
                "raises 'Binary type is not supported for parameters'",
                fix="use type string (base64 text) instead")
        return None
    if not isinstance(ptype, str) or ptype not in PARAM_TYPES:
        hint = suggest_type(ptype)
        ctx.add(PARAM, sec, where,
                f"signature {label}: unknown param type {json.dumps(ptype)}"
                + (f" (did you mean \"{hint}\"?)" if hint in PARAM_TYPES else "")
                + f"; param types are {', '.join(PARAM_TYPES)}",
                fix=f"use one of {', '.join(PARAM_TYPES)}")
        return None
    dtype: DataType | None = DataType(ptype)
    if ptype == "object":
        ctx.use("object params", where)
        if "type" not in elem:  # Object.from_json_dict(**spec) needs the key 'type' itself
            ctx.add(PARAM, sec, where,
                    f"signature {label}: an object param written with the legacy key 'dtype'; "
                    "MLflow raises 'Missing keys in Object JSON. Expected to find keys "
                    "`properties` and `type`'",
                    fix='rename "dtype" to "type"')
            return None
        dtype = _datatype(elem, sec, label, where, ctx)
    shape_raw = elem.get("shape")
    shape: tuple[int, ...] | None = None
    shape_ok = True
    if shape_raw is not None:
        if isinstance(shape_raw, list) and len(shape_raw) == 1 and shape_raw[0] == -1 \
                and not isinstance(shape_raw[0], bool):
            shape = (-1,)
        else:
            ctx.add(PARAM, sec, where,
                    f"signature {label}: shape must be null (scalar) or [-1] (1-D list), "
                    f"found {json.dumps(shape_raw)}", fix="use shape null or [-1]")
            shape_ok = False
    if missing or dtype is None or not shape_ok:
        return None
    default = elem["default"]
    props = ({k: v.required for k, v in dtype.properties.items()}
             if ptype == "object" else None)
    problem = check_param_default(default, ptype, shape, props)
    if problem:
        ctx.add(PARAM_DEFAULT, sec, where,
                f"signature {label}: default {json.dumps(default)[:80]} does not fit type "
                f"{ptype}{' with shape [-1]' if shape else ''}: {problem}",
                fix="change the default to a value of the declared type, or null")
    return ParamSpec(name=str(name), type=dtype, default=default, shape=shape)
