"""Read a package's stored input example in every form MLflow has written (1.x to 3.x).

``example_issues(pkg)`` (cached per package) reads ``saved_input_example_info``, the example
file and ``serving_input_example.json``, builds a normalized view (a column-wise
:class:`~modelcheck.formats.examples.conformance.Frame`, tensors, params) and returns every
:class:`Issue` found: reading problems (MC401-MC406) and conformance to the signature (MC411-MC417).
"""

from __future__ import annotations

from itertools import chain, repeat
from typing import TYPE_CHECKING, Any

from modelcheck.formats.examples.conformance import ROW, Frame, Issue, PerColumn, conform_frame
from modelcheck.formats.examples.values import ABSENT
from modelcheck.formats.signature.schema import Schema, TensorSpec
from modelcheck.package.signature import signature_of

if TYPE_CHECKING:
    from modelcheck.package.model_package import ModelPackage

TYPES = ("dataframe", "ndarray", "sparse_matrix_csr", "sparse_matrix_csc", "json_object")
SERVING_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
LLM_KEYS = ("messages", "prompt", "input")
INFO = "/saved_input_example_info"
# Text kinds of an example file that is not UTF-8 text (binary, UTF-16, ...); the OS's refusals
# ("unreadable") are the engine's MC902
_NOT_TEXT = frozenset({"binary", "encoding", "utf-16", "utf-32"})


def example_issues(pkg: ModelPackage) -> list[Issue]:
    return pkg.memo("example_issues", lambda: _issues(pkg))


def _issues(pkg: ModelPackage) -> list[Issue]:
    info = pkg.meta.get("saved_input_example_info")
    out: list[Issue] = []
    if not pkg.meta:  # MLmodel missing or broken: MC1xx says so, nothing here is knowable
        return out
    if info is None:
        if pkg.is_file("serving_input_example.json"):
            out.append(Issue("MC405", "note", "serving_input_example.json exists but MLmodel has "
                             "no saved_input_example_info: MLflow ignores the file", ""))
        return out
    if not isinstance(info, dict):
        out.append(Issue("MC403", "error", f"saved_input_example_info must be a mapping, found "
                         f"{type(info).__name__}", INFO))
        return out
    v3 = pkg.mlflow_version is None or pkg.mlflow_version.major >= 3
    path = info.get("artifact_path")
    raw = pkg.read(path) if isinstance(path, str) and path and pkg.is_file(path) else None
    if raw is not None and raw.ok and raw.data is not None and \
            raw.data.startswith(b"\xef\xbb\xbf"):
        out.append(Issue("MC402", "error", f"{path} starts with a UTF-8 byte-order mark: "
                         "MLflow reads it with json.load, which raises 'Unexpected UTF-8 BOM', "
                         "so the example cannot be loaded", "", path, 1, col=1))
        return out
    body, params, issues = read_example(pkg, info)
    out += issues
    out += _serving(pkg, info, body, params)
    if body is _NOTHING:
        return out
    sig = signature_of(pkg)
    # a section MLflow cannot load (an MC3xx error) enforces nothing: comparing the example
    # with what is left of it would report the dropped specs a second time
    broken = {p.section for p in sig.problems
              if p.code in _LOAD_FAILURES and (p.level or "error") == "error"}
    if "params" in broken:
        params = None
    out += conform(body, params, info, None if "inputs" in broken else sig.inputs,
                   sig.params, v3)
    return out


_LOAD_FAILURES = frozenset({"MC302", "MC303", "MC304", "MC305", "MC307", "MC308", "MC309",
                            "MC310", "MC311", "MC312"})


class _Nothing:
    pass


_NOTHING: Any = _Nothing()


def read_example(pkg: ModelPackage, info: dict[str, Any]) -> tuple[Any, Any, list[Issue]]:
    """(data part, params or None, reading issues); data is _NOTHING when unreadable."""
    out: list[Issue] = []
    typ = info.get("type")
    path = info.get("artifact_path")
    if typ not in TYPES:
        out.append(Issue("MC403", "error", f"saved_input_example_info.type is {typ!r}; MLflow "
                         f"only loads {', '.join(TYPES)} ('can not load example of type')",
                         INFO + "/type"))
    if not isinstance(path, str) or not path:
        out.append(Issue("MC401", "error", "saved_input_example_info has no artifact_path "
                         f"(found {path!r})", INFO + "/artifact_path"))
        return _NOTHING, None, out
    doc = pkg.json(path)
    if doc.kind in ("missing", "dir", "outside"):
        out.append(Issue("MC401", "error", f"the input example file {path} named by "
                         f"saved_input_example_info.artifact_path is missing ({doc.problem})",
                         INFO + "/artifact_path"))
        return _NOTHING, None, out
    if doc.kind == "unreadable":  # the OS refused it: a tool failure (MC902), not a defect
        return _NOTHING, None, out
    if doc.kind in ("too-large", "budget"):  # not checked: never a pass (an error, by the cap)
        out.append(Issue("MC402", "error", f"{doc.problem}", "", path))
        return _NOTHING, None, out
    if doc.kind in _NOT_TEXT:
        out.append(Issue("MC402", "error", f"{path} cannot be read as UTF-8 text: "
                         f"{doc.problem}; MLflow opens it as UTF-8 and cannot load it", "",
                         path, 1))
        return _NOTHING, None, out
    if not doc.ok:
        out.append(Issue("MC402", "error", f"{path} cannot be parsed even by MLflow's lenient "
                         f"reader: {doc.problem}", "", path, doc.line, col=doc.col))
        return _NOTHING, None, out
    data, params = doc.data, None
    want_params = str(info.get("params")).lower() == "true"
    if want_params:
        if not (isinstance(data, dict) and "inputs" in data and "params" in data):
            out.append(Issue("MC404", "error", "saved_input_example_info has params: 'true' but "
                             f"{path} is not {{\"inputs\": ..., \"params\": {{...}}}}", ""))
            return _NOTHING, None, out
        data, params = data["inputs"], data["params"]
        if not isinstance(params, dict):
            out.append(Issue("MC404", "error", f"{path}: params must be an object, found "
                             f"{type(params).__name__}", "/params"))
            params = None
    if typ == "ndarray" and info.get("format") == "tf-serving":
        if not (isinstance(data, dict) and set(data) == {"inputs"}):
            out.append(Issue("MC404", "error", "format: tf-serving examples are stored as "
                             f"{{\"inputs\": ...}}; {path} is not", ""))
            return _NOTHING, params, out
        data = data["inputs"]
    err = _form_error(typ, info, data)
    if err:
        out.append(Issue("MC404", "error", f"{path}: {err}", err_pointer(want_params)))
        return _NOTHING, params, out
    return data, params, out


def err_pointer(wrapped: bool) -> str:
    return "/inputs" if wrapped else ""


def _form_error(typ: Any, info: dict[str, Any], data: Any) -> str | None:
    if typ == "dataframe":
        orient = info.get("pandas_orient", "split")
        if orient == "records":
            if not (isinstance(data, list) and all(map(isinstance, data, repeat(dict)))):
                return "pandas_orient records needs a list of objects"
            return None
        if not isinstance(data, dict) or not isinstance(data.get("data"), list):
            return f"a dataframe example ({orient}) must be an object with a 'data' list"
        extra = set(data) - {"columns", "data", "index"}
        if extra:
            return f"unexpected keys {sorted(extra)} in a split-orient dataframe"
        cols = data.get("columns")
        if cols is not None and not isinstance(cols, list):
            return "'columns' must be a list"
        rows = data["data"]
        # map() runs isinstance/len in C: no Python step per row of a clean example
        if not all(map(isinstance, rows, repeat(list))):
            return "every row of 'data' must be a list"
        width = len(cols) if cols is not None else (len(rows[0]) if rows else 0)
        if all(map(width.__eq__, map(len, rows))):
            return None
        for i, r in enumerate(rows):
            if len(r) != width:
                return (f"row {i} has {len(r)} values but "
                        + (f"there are {width} columns" if cols is not None
                           else f"row 0 has {width}"))
        return None
    if typ in ("sparse_matrix_csr", "sparse_matrix_csc"):
        return _sparse_error(typ, data)
    if typ == "ndarray" and not isinstance(data, (list, dict, int, float, str, bool)):
        return "an ndarray example must be a (nested) list or an object of named arrays"
    return None


def _sparse_error(typ: str, d: Any) -> str | None:
    keys = ("data", "indices", "indptr", "shape")
    if not isinstance(d, dict) or any(not isinstance(d.get(k), list) for k in keys):
        return f"a {typ} example must hold lists {', '.join(keys)}"
    shape, indptr, indices = d["shape"], d["indptr"], d["indices"]
    if len(shape) != 2 or not all(type(x) is int and x >= 0 for x in shape):
        return f"shape must be [rows, cols], found {shape}"
    major, minor = (shape[0], shape[1]) if typ.endswith("csr") else (shape[1], shape[0])
    if len(indptr) != major + 1:
        return f"indptr has {len(indptr)} entries, expected {major + 1}"
    if len(indices) != len(d["data"]):
        return f"indices has {len(indices)} entries but data has {len(d['data'])}"
    if indptr and (indptr[0] != 0 or indptr[-1] != len(indices)
                   or any(a > b for a, b in zip(indptr, indptr[1:], strict=False))):
        return "indptr must start at 0, never decrease and end at len(data)"
    if any(type(i) is not int or not 0 <= i < minor for i in indices):
        return f"an index is outside 0..{minor - 1}"
    return None


# ---- conformance ------------------------------------------------------------------------------

def conform(body: Any, params: Any, info: dict[str, Any], inputs: Schema | None,
            pspecs: Any, v3: bool, loaded: bool = True) -> list[Issue]:
    """Issues of the example on the served path and, unless ``loaded`` is False (a serving
    payload), on the loaded path (formats.examples.loaded): MLflow runs both."""
    from modelcheck.formats.examples.params import check_value, lossy_value

    out: list[Issue] = []
    typ = info.get("type")
    base = "/inputs" if str(info.get("params")).lower() == "true" else ""
    if inputs is not None and inputs.specs and typ in TYPES:
        # a json_object dict with a unified-LLM key is served as it is stored, unparsed
        # (_parse_json_data: is_unified_llm_input): the loaded path below is its served path
        raw = typ == "json_object" and isinstance(body, dict) and any(k in body for k in LLM_KEYS)
        if inputs.is_tensor:
            out += _tensors(body, typ, inputs, base)
        elif not (raw and loaded):
            frame = to_frame(body, typ, info, inputs, base)
            if isinstance(frame, Issue):
                out.append(frame)
            elif frame is not None:
                out += conform_frame(frame, inputs, v3)
        if loaded and typ in _LOADED_DIFFERS:
            out = _merge(out, _loaded(body, typ, inputs, base, v3))
    if isinstance(params, dict) and params and not pspecs:
        # MLflow's _enforce_params_schema drops every param at once when no ParamSchema exists
        names = ", ".join(repr(k) for k in params)
        out.append(Issue("MC415", "note", f"the example stores params ({names}) but the "
                         "model's signature declares no params schema: "
                         "MLflow ignores all of them when predicting", "/params", None,
                         at=("params",), at_key=True))
    elif isinstance(params, dict):
        specs = {p.name: p for p in (pspecs or [])}
        for k, v in params.items():
            ptr = f"/params/{k}"
            at = ("params", k)
            if k not in specs:
                out.append(Issue("MC415", "note", f"param {k!r} is not declared in the "
                                 "signature's params: MLflow ignores it", ptr, k, at=at,
                                 at_key=True))
                continue
            err = check_value(v, specs[k])
            if err:
                out.append(Issue("MC415", "error", f"param {k!r} ({specs[k].type}"
                                 f"{'[]' if specs[k].shape else ''}): {err}", ptr, k, at=at))
            elif loss := lossy_value(v, specs[k]):
                out.append(Issue("MC414", "warning", f"param {k!r}: MLflow accepts it but "
                                 f"changes the value: {loss}", ptr, k, at=at))
    return out


# example types whose loaded path (Model.load_input_example, then predict) is not the served one
_LOADED_DIFFERS = frozenset({"json_object", "sparse_matrix_csr", "sparse_matrix_csc"})


def _loaded(body: Any, typ: str, inputs: Schema, base: str, v3: bool) -> list[Issue]:
    """Issues of the example loaded with Model.load_input_example and passed to predict, where
    that path differs from the served one: json_object (no cast) and sparse (a scipy matrix)."""
    from modelcheck.formats.examples.loaded import WHEN, loaded_frame, sparse_error

    b: tuple[Any, ...] = ("inputs",) if base else ()
    if typ in ("sparse_matrix_csr", "sparse_matrix_csc"):
        err = sparse_error(body, inputs)
        code = "MC416" if inputs.is_tensor else "MC412"
        return [Issue(code, "error", f"{WHEN.split(' (')[0]}: {err}", base, at=b)] if err else []
    if typ != "json_object":
        return []
    if inputs.is_tensor:  # _enforce_tensor_schema takes ndarrays (or a DataFrame), not JSON
        return [Issue("MC416", "error", f"{WHEN}: a tensor signature needs numpy arrays, "
                      f"and the example stays a {type(body).__name__}", base, at=b)]
    frame = loaded_frame(body, inputs, base, b)
    return [frame] if isinstance(frame, Issue) else conform_frame(frame, inputs, v3)


def _merge(served: list[Issue], loaded: list[Issue]) -> list[Issue]:
    """Both paths' issues, each finding once: a loaded-path issue is added unless the served
    path reports the same code and level for the same column; a served-path warning is dropped
    for a column the loaded path rejects."""
    if not loaded:
        return served
    seen = {(i.code, i.name, i.level) for i in served}
    rejected = {i.name for i in loaded if i.level == "error"}
    out = [i for i in served if not (i.level == "warning" and i.name in rejected)]
    return out + [i for i in loaded if (i.code, i.name, i.level) not in seen]


def to_frame(body: Any, typ: str, info: dict[str, Any], schema: Schema, base: str
             ) -> Frame | Issue | None:
    b: tuple[Any, ...] = ("inputs",) if base else ()
    if typ == "dataframe":
        if isinstance(body, list):  # records
            return records_frame(body, base, b, via_numpy=False)
        rows = body["data"]
        names = body.get("columns")
        width = len(names) if names is not None else (len(rows[0]) if rows else 0)
        # columns as tuples: every check reads a column as a sequence, never changes it
        cols = list(zip(*rows, strict=False)) if rows else [() for _ in range(width)]
        named = names is not None
        labels = list(names) if named else list(range(width))
        return Frame(labels, cols, named, PerColumn(lambda j: f"{base}/data/*/{j}", width),
                     cells=PerColumn(lambda j: (*b, "data", ROW, j), width),
                     heads=PerColumn(lambda j: (*b, "columns", j), width) if named else None,
                     root=(*b, "columns") if named else (*b, "data"))
    if typ in ("sparse_matrix_csr", "sparse_matrix_csc"):
        return None
    # json_object / ndarray examples with a column signature: the "inputs" path
    if schema.has_names:
        names = [s.name for s in schema.specs]
        if isinstance(body, dict):
            from modelcheck.formats.examples.loaded import dict_frame

            return dict_frame(body, schema, base, b, served=True)
        if isinstance(body, list) and body and all(isinstance(r, dict) for r in body):
            return records_frame(body, base, b, via_numpy=True)
        if len(names) == 1 and isinstance(body, list):
            return Frame(names, [body], True, [base], via_numpy=True, cells=[(*b, ROW)],
                         root=b)
        return Issue("MC412", "error", f"the signature has named columns "
                     f"{', '.join(map(repr, names))} but the example is a "
                     f"{type(body).__name__}", base, at=b)
    if isinstance(body, (list, str, int, float, bool)) or body is None:
        vals = body if isinstance(body, list) else [body]
        return Frame([0], [vals], False, [base], via_numpy=True,
                     cells=[(*b, ROW) if isinstance(body, list) else b], root=b)
    return Issue("MC412", "error", "an unnamed column signature expects a list or a single "
                 f"value, found {type(body).__name__}", base, at=b)


def records_frame(body: list[dict[str, Any]], base: str, b: tuple[Any, ...],
                  via_numpy: bool) -> Frame:
    first: dict[str, int] = {}
    for i, r in enumerate(body):
        for k in r:
            first.setdefault(k, i)
    names = list(first)
    # a missing key on the inputs path is not converted (values.ABSENT); pandas fills it later
    gap = ABSENT if via_numpy else None
    cols = [[r.get(n, gap) for r in body] for n in names]
    return Frame(names, cols, True, [f"{base}/*/{n}" for n in names], via_numpy=via_numpy,
                 cells=[(*b, ROW, n) for n in names],
                 heads=[(*b, first[n], n) for n in names], heads_are_keys=True, root=b)


def _tensors(body: Any, typ: str, schema: Schema, base: str) -> list[Issue]:
    from modelcheck.formats.examples.tensors import check_tensor, offending_element

    out: list[Issue] = []
    b: tuple[Any, ...] = ("inputs",) if base else ()
    specs = [s for s in schema.specs if isinstance(s, TensorSpec)]
    if typ in ("sparse_matrix_csr", "sparse_matrix_csc"):
        return out

    def one(data: Any, s: TensorSpec, ptr: str, at: tuple[Any, ...], label: str) -> None:
        err, lossy = check_tensor(data, s.dtype, tuple(s.shape))
        if not (err or lossy):
            return
        elem = offending_element(data, s.dtype, bool(err))
        where = at + elem if elem is not None else at
        if err:
            out.append(Issue("MC416", "error", f"{label} ({s.dtype} {list(s.shape)}): {err}",
                             ptr, s.name, at=where))
        else:
            out.append(Issue("MC414", "warning", f"{label} ({s.dtype}): values change: "
                             f"{lossy}", ptr, s.name, at=where))

    if schema.has_names and len(specs) >= 1 and isinstance(body, dict):
        for s in specs:
            if s.name not in body:
                out.append(Issue("MC416", "error", f"tensor input {s.name!r} is missing from "
                                 "the example", base, s.name, at=b))
                continue
            one(body[s.name], s, f"{base}/{s.name}", (*b, s.name), f"tensor {s.name!r}")
        return out
    if schema.has_names and len(specs) > 1:
        out.append(Issue("MC416", "error", "the signature has named tensors "
                         f"{[s.name for s in specs]} but the example is a "
                         f"{type(body).__name__}, not an object of named arrays", base, at=b))
        return out
    s = specs[0]
    data, at = body, b
    if isinstance(body, dict):
        if s.name in body and len(specs) == 1 and schema.has_names:
            data, at = body[s.name], (*b, s.name)
    one(data, s, base, at, "tensor input")
    return out


# ---- serving_input_example.json -------------------------------------------------------------

def conform_payload(key: str, data: Any, params: Any, inputs: Schema | None, pspecs: Any,
                    v3: bool, file: str | None = None) -> list[Issue]:
    """A serving payload's data as the scoring server parses it (``infer_and_parse_data``):
    ``dataframe_split``/``dataframe_records`` build a DataFrame and cast its columns like a
    stored DataFrame example; ``inputs`` and ``instances`` go through ``_cast_schema_type``
    like a json_object example, except that ``instances`` given as a list of records is
    first turned into one list per column (``parse_instances_data``)."""
    tensor = inputs is not None and inputs.is_tensor
    transposed = False
    if key in ("dataframe_split", "dataframe_records"):
        info: dict[str, Any] = {"type": "dataframe",
                                "pandas_orient": "records" if key.endswith("records") else "split"}
        err = _form_error("dataframe", info, data)
        if err:
            return [Issue("MC406", "error", f"{key}: {err}", f"/{key}", file=file, at=(key,))]
    else:
        info = {"type": "ndarray" if tensor else "json_object"}
        records = isinstance(data, list) and bool(data) and all(isinstance(r, dict) for r in data)
        if key == "instances" and records and not tensor:
            # parse_instances_data converts each value on its own, then np.array per column:
            # not modelled, so not checked (the MC406 comparison with the example still runs)
            return []
        if (key == "instances" and tensor and isinstance(data, list) and data
                and all(isinstance(r, dict) for r in data)):
            cols: dict[str, list[Any]] = {}
            for r in data:
                for k, v in r.items():
                    cols.setdefault(k, []).append(v)
            data = cols
            transposed = True
    out = conform(data, params, info, inputs, pspecs, v3, loaded=False)
    for i in out:
        if not i.pointer.startswith("/params"):
            i.pointer = f"/{key}{i.pointer}"
            if i.at is not None:
                at = i.at
                if transposed and len(at) >= 2:  # (name, row, ...) back to (row, name, ...)
                    at = (at[1], at[0], *at[2:])
                i.at = (key, *at)
        i.file = file
    return out


def _serving(pkg: ModelPackage, info: dict[str, Any], body: Any, params: Any) -> list[Issue]:
    out: list[Issue] = []
    sp = info.get("serving_input_path")
    if sp is None:
        if pkg.is_file("serving_input_example.json"):
            out.append(Issue("MC405", "note", "serving_input_example.json exists but "
                             "saved_input_example_info has no serving_input_path", ""))
        return out
    if not isinstance(sp, str) or not pkg.is_file(sp):
        out.append(Issue("MC405", "error", f"serving_input_path names {sp!r}, which is not a "
                         "file in the package", INFO + "/serving_input_path"))
        return out
    doc = pkg.json(sp)
    if doc.kind == "unreadable":  # the OS refused it: a tool failure (MC902), not a defect
        return out
    if doc.kind in ("too-large", "budget"):  # not checked: never a pass
        return [Issue("MC406", "error", f"{doc.problem}", "", sp)]
    if doc.kind in _NOT_TEXT:
        return [Issue("MC406", "error", f"{sp} cannot be read as UTF-8 text: {doc.problem}",
                      "", sp, 1)]
    if not doc.ok:
        return [Issue("MC406", "error", f"{sp} cannot be parsed: {doc.problem}", "", sp)]
    s = doc.data
    if not isinstance(s, dict):
        return [Issue("MC406", "error", f"{sp} must be a JSON object, found "
                      f"{type(s).__name__}", "", sp)]
    keys = [k for k in SERVING_KEYS if k in s]
    llm = not keys and any(k in s for k in LLM_KEYS)
    if not llm and len(keys) != 1:
        return [Issue("MC406", "error", f"{sp} must hold exactly one of "
                      f"{', '.join(SERVING_KEYS)}; found {keys or sorted(s)}", "", sp)]
    if body is _NOTHING:
        return out
    if llm:
        if isinstance(body, dict):
            want = {**body, **(params or {})}
            if not _same(want, s):
                out.append(Issue("MC406", "warning", f"{sp} does not hold the same data as "
                                 f"{info.get('artifact_path')}", "", sp))
        return out
    data = s[keys[0]]
    typ = info.get("type")
    if typ in ("sparse_matrix_csr", "sparse_matrix_csc"):
        want: Any = _densify(typ, body)
    elif (typ == "dataframe" and isinstance(body, dict) and body.get("columns") is not None
          and keys[0] in ("dataframe_records", "instances")):
        want = [dict(zip(body["columns"], r, strict=False)) for r in body["data"]]
    else:
        want = body
    differs = want is not None and not _same(want, data)
    if differs:
        out.append(Issue("MC406", "warning", f"{sp}[{keys[0]!r}] does not hold the same data "
                         f"as {info.get('artifact_path')}", f"/{keys[0]}", sp, at=(keys[0],)))
    if differs or keys[0] in ("dataframe_records", "instances"):
        sig = signature_of(pkg)
        v3 = pkg.mlflow_version is None or pkg.mlflow_version.major >= 3
        out += conform_payload(keys[0], data, None, sig.inputs, None, v3, sp)
    if (params or None) != (s.get("params") or None) and not _same(params or {},
                                                                  s.get("params") or {}):
        out.append(Issue("MC406", "warning", f"{sp} params differ from the params stored "
                         f"with {info.get('artifact_path')}", "/params", sp))
    return out


_NUMBERS = (int, float)
_SCALARS = frozenset({int, float, str, bool, type(None)})
_LIST = frozenset({list})


def _same(a: Any, b: Any) -> bool:
    """JSON values equal as MLflow's examples are: NaN equals NaN, 1 equals 1.0, but a bool is
    not a number and a string is not a number."""
    ta = type(a)
    if ta is type(b):
        if ta is list:
            return len(a) == len(b) and _same_lists(a, b)
        if ta is dict:
            return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
        if ta is float and a != a:  # NaN
            return b != b
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    return ta in _NUMBERS and type(b) in _NUMBERS and a == b


def _same_lists(a: list[Any], b: list[Any]) -> bool:
    """_same for two lists of equal length.

    Written for speed: a serving example repeats the input example's rows, and one Python
    call per cell was most of MC406's cost. For a list of scalars, or of lists of scalars (a
    table's rows), when every cell has exactly the type of the cell at the same position on
    the other side, Python's ``==`` (run in C) decides as _same does: on two scalars of one
    type _same is ``==``, except for NaN, and ``==`` in a list is True for two NaNs only
    when they are one object (the lenient JSON reader returns one NaN object). So a True
    from ``==`` is final; anything else (a False, int against float, bools against numbers,
    deeper nesting) is decided by the cell-by-cell walk."""
    types_a = list(map(type, a))
    if types_a == list(map(type, b)):
        if _LIST.issuperset(types_a):  # rows: compare the cells, flattened
            types_a = list(map(type, chain.from_iterable(a)))
            if types_a != list(map(type, chain.from_iterable(b))):
                return all(map(_same, a, b))
        if _SCALARS.issuperset(types_a) and a == b:
            return True
    return all(map(_same, a, b))


def _densify(typ: str, d: dict[str, Any]) -> list[list[float]] | None:
    rows, cols = d["shape"]
    if rows * cols > 1_000_000:
        return None
    dense = [[0.0] * cols for _ in range(rows)]
    ptr, idx, vals = d["indptr"], d["indices"], d["data"]
    for major in range(len(ptr) - 1):
        for k in range(ptr[major], ptr[major + 1]):
            r, c = (major, idx[k]) if typ.endswith("csr") else (idx[k], major)
            dense[r][c] = vals[k]
    return dense


def issue_location(pkg: ModelPackage, issue: Issue) -> tuple[str, int | None, int | None]:
    """(package-relative file, line, column) for an issue. The position of the offending value
    is found only now, for a reported issue, by scanning the file's text to its path."""
    from modelcheck.formats.json_locate import Locator, parse_pointer

    info = pkg.meta.get("saved_input_example_info")
    info = info if isinstance(info, dict) else {}
    if issue.pointer.startswith(INFO):
        return "MLmodel", pkg.line(issue.pointer), None
    if issue.file:
        file = issue.file
    elif issue.code in ("MC405", "MC406"):
        sp = info.get("serving_input_path")
        file = sp if isinstance(sp, str) and sp else "serving_input_example.json"
    else:
        path = info.get("artifact_path")
        file = path if isinstance(path, str) and path else "input_example.json"
    if issue.line is not None:
        return file, issue.line, issue.col
    at = list(issue.at) if issue.at is not None else _pointer_path(issue.pointer, parse_pointer)
    t = pkg.text(file)
    if not t.ok or t.text is None:
        return file, None, None
    loc = pkg.memo(("json-locator", file), lambda: Locator(t.text or ""))
    key = issue.at_key
    while True:
        pos = loc.position(at, key)
        if pos is not None or not at:
            break
        at, key = at[:-1], False  # e.g. a record without the column: point at the record
    return (file, *pos) if pos else (file, None, None)


def _pointer_path(pointer: str, parse: Any) -> list[str]:
    path = parse(pointer)
    return path[:path.index("*")] if "*" in path else path
