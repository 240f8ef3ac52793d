"""Static re-implementation of MLflow's schema enforcement for stored input examples.

``conform(example, signature, v3)`` returns :class:`Issue` objects for what MLflow would do
with the example when serving it (``_parse_json_data`` then ``_validate_prediction_input``):
``error`` where MLflow rejects it, ``warning`` where MLflow accepts it but a value the model
receives differs from the example (lossy cast), ``note`` for what MLflow silently drops
(extra columns, undeclared params). ``v3`` picks MLflow 3.x semantics, else 2.x.

Column-based signatures work column by column over the example's column-wise values
(:mod:`modelcheck.conform_values`, :mod:`modelcheck.conform_nested`); tensors in
:mod:`modelcheck.conform_tensors`; params in :mod:`modelcheck.conform_params`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelcheck.conform_nested import enforce_column
from modelcheck.conform_values import NOTE, cast_scalar, json_cast, kind_of
from modelcheck.signature import SCALAR_TYPES, ColSpec, Schema


@dataclass
class Issue:
    code: str  # MC4xx rule that reports it
    level: str  # "error" | "warning" | "note"
    message: str
    pointer: str = ""  # JSON pointer inside the example file
    name: Any = None  # column / tensor / param name
    line: int | None = None  # line in the example file, where known


@dataclass
class Frame:
    """Column-wise view of a tabular example."""

    names: list[Any]  # column labels (str, or int positions when unnamed)
    columns: list[list[Any]]
    named: bool
    pointers: list[str]  # pointer of each column in the file
    via_numpy: bool = False  # json_object "inputs": values go through np.array(v, dtype) first


def _label(name: Any) -> str:
    return repr(name) if isinstance(name, str) else f"#{name}"


def conform_frame(frame: Frame, schema: Schema, v3: bool) -> list[Issue]:
    out: list[Issue] = []
    specs = [s for s in schema.specs if isinstance(s, ColSpec)]
    pairs: list[tuple[ColSpec, int]] = []
    if schema.has_names:
        index = {n: i for i, n in enumerate(frame.names)}
        missing = [s.name for s in specs if s.is_required(3 if v3 else 2)
                   and s.name not in index]
        if missing:
            out.append(Issue("MC411", "error",
                             f"the example is missing required input column(s) "
                             f"{', '.join(map(_label, missing))} (MLflow rejects it: "
                             f"'Model is missing inputs {missing}')", "", missing[0]))
        known = {s.name for s in specs}
        extra = [n for n in frame.names if n not in known]
        for n in extra:
            i = index[n]
            out.append(Issue("MC413", "note",
                             f"column {_label(n)} is not in the signature: MLflow drops it "
                             "before calling the model", frame.pointers[i], n))
        pairs = [(s, index[s.name]) for s in specs if s.name in index]
    else:
        if len(frame.columns) < len(specs):
            out.append(Issue("MC411", "error",
                             f"the signature declares {len(specs)} unnamed input columns but "
                             f"the example has only {len(frame.columns)}", ""))
            return out
        pairs = list(zip(specs, range(len(specs)), strict=False))
    for spec, i in pairs:
        values = frame.columns[i]
        if not values:
            continue
        t = spec.type
        required = spec.is_required(3 if v3 else 2)
        if t.kind in SCALAR_TYPES:
            if frame.via_numpy:
                err, lossy = json_cast(values, t.kind, v3)
            else:
                err, lossy = cast_scalar(values, t.kind, v3, kind_of(values))
        else:
            err, lossy = enforce_column(values, t, required, v3)
        col = _label(frame.names[i]) if frame.named else f"#{i}"
        if err:
            out.append(Issue("MC412", "error",
                             f"column {col}: expected {t}, {err}", frame.pointers[i],
                             frame.names[i]))
        elif lossy and lossy.startswith(NOTE):
            out.append(Issue("MC414", "note", f"column {col} ({t}): {lossy[len(NOTE):]}",
                             frame.pointers[i], frame.names[i]))
        elif lossy:
            out.append(Issue("MC414", "warning",
                             f"column {col} ({t}): MLflow accepts it but changes the value: "
                             f"{lossy}", frame.pointers[i], frame.names[i]))
    return out
