"""Static re-implementation of MLflow's schema enforcement for stored input examples.

``conform(example, signature, v3)`` returns :class:`Issue` objects for what MLflow would do
with the example when serving it (``_parse_json_data`` then ``_validate_prediction_input``):
``error`` where MLflow rejects it, ``warning`` where MLflow accepts it but a value the model
receives differs from the example (lossy cast), ``note`` for what MLflow silently drops
(extra columns, undeclared params). ``v3`` picks MLflow 3.x semantics, else 2.x.

Column-based signatures work column by column over the example's column-wise values
(:mod:`modelcheck.formats.examples.values`, :mod:`modelcheck.formats.examples.nested`); tensors in
:mod:`modelcheck.formats.examples.tensors`; params in :mod:`modelcheck.formats.examples.params`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from modelcheck.formats.examples.nested import enforce_column
from modelcheck.formats.examples.values import (
    NOTE,
    cast_scalar,
    clean_cast,
    clean_strict,
    json_cast,
    kind_of,
    strict_series,
)
from modelcheck.formats.signature.schema import SCALAR_TYPES, ColSpec, Schema
from modelcheck.records import Record


class Issue(Record):
    """One way an input example does not conform to the signature."""

    _fields = ("code", "level", "message", "pointer", "name", "line", "at", "file", "col", "at_key")

    def __init__(self, code: str, level: str, message: str, pointer: str = "", name: Any = None,
                 line: int | None = None, at: tuple[Any, ...] | None = None,
                 file: str | None = None, col: int | None = None, at_key: bool = False) -> None:
        self.code = code  # MC4xx rule that reports it
        self.level = level  # "error" | "warning" | "note"
        self.message = message
        self.pointer = pointer  # JSON pointer inside the example file
        self.name = name  # column / tensor / param name
        self.line = line  # line in the example file, where known
        self.at = at  # path of the offending value/row/key in the file
        self.file = file  # the file holding ``at`` (None: the stored example)
        self.col = col
        self.at_key = at_key  # ``at`` names an object member: point at its name, not its value


class Frame(Record):
    """Column-wise view of a tabular example."""

    _fields = ("names", "columns", "named", "pointers", "via_numpy", "cells", "heads",
               "heads_are_keys", "root", "strict", "when", "reshaped")

    def __init__(self, names: list[Any], columns: Sequence[Sequence[Any]], named: bool,
                 pointers: Sequence[str], via_numpy: bool = False,
                 cells: Sequence[tuple[Any, ...]] | None = None,
                 heads: Sequence[tuple[Any, ...]] | None = None, heads_are_keys: bool = False,
                 root: tuple[Any, ...] = (), strict: bool = False, when: str = "",
                 reshaped: str = "") -> None:
        self.names = names  # column labels (str, or int positions when unnamed)
        self.columns = columns
        self.named = named
        self.pointers = pointers  # pointer of each column in the file
        # json_object "inputs": values go through np.array(v, dtype) first
        self.via_numpy = via_numpy
        self.cells = cells  # path of each column's cells, ROW = row index
        # path of each column's name (a key when heads_are_keys, else a value such as columns[j])
        self.heads = heads
        self.heads_are_keys = heads_are_keys
        self.root = root  # where the example's data starts
        # the columns are pandas' own inference, checked by _enforce_mlflow_datatype with no
        # cast first (a json_object example loaded and passed to predict: formats.examples.loaded)
        self.strict = strict
        self.when = when  # prefix of every message ("when ...: "), naming the path
        self.reshaped = reshaped  # how building the DataFrame changed the example's shape

    def cell(self, i: int, row: int | None) -> tuple[Any, ...] | None:
        """The path of column ``i``'s cell in ``row`` (of the column itself when row is None)."""
        if self.cells is None:
            return None
        t = self.cells[i]
        if row is None:
            return t[:t.index(ROW)] if ROW in t else t
        return tuple(row if x is ROW else x for x in t)


ROW: Any = object()  # placeholder for the row index in Frame.cells


class PerColumn(Sequence[Any]):
    """A Frame's per-column pointers or paths, each made when asked for: only a reported
    column needs one, and building them all for a clean example cost more than checking it."""

    __slots__ = ("make", "n")

    def __init__(self, make: Callable[[int], Any], n: int) -> None:
        self.make = make
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self.make(j) for j in range(self.n)[i]]
        if not -self.n <= i < self.n:
            raise IndexError(i)
        return self.make(i % self.n)


def _label(name: Any) -> str:
    return repr(name) if isinstance(name, str) else f"#{name}"


def _decorated(out: list[Issue], frame: Frame) -> list[Issue]:
    """The issues of a frame built by pandas from a dict (``reshaped``) or on the loaded path
    (``when``): the reshaping warning added, every message prefixed with the path."""
    if frame.reshaped and not any(i.level == "error" for i in out):
        out.append(Issue("MC414", "warning", "MLflow accepts it but the model receives "
                         f"another shape: {frame.reshaped}", "", at=frame.root))
    if frame.when:
        for i in out:
            i.message = f"{frame.when}: {i.message}"
    return out


def conform_frame(frame: Frame, schema: Schema, v3: bool) -> list[Issue]:
    out: list[Issue] = []
    specs = [s for s in schema.specs if isinstance(s, ColSpec)]
    pairs: list[tuple[ColSpec, int]] = []
    if schema.has_names:
        index = {n: i for i, n in enumerate(frame.names)}
        # absent first: is_required (a method call) only for the rare absent column
        missing = [s.name for s in specs if s.name not in index
                   and s.is_required(3 if v3 else 2)]
        if missing:
            out.append(Issue("MC411", "error",
                             f"the example is missing required input column(s) "
                             f"{', '.join(map(_label, missing))} (MLflow rejects it: "
                             f"'Model is missing inputs {missing}')", "", missing[0],
                             at=frame.root))
        known = {s.name for s in specs}
        extra = [n for n in frame.names if n not in known]
        for n in extra:
            i = index[n]
            out.append(Issue("MC413", "note",
                             f"column {_label(n)} is not in the signature: MLflow drops it "
                             "before calling the model", frame.pointers[i], n,
                             at=frame.heads[i] if frame.heads else None,
                             at_key=frame.heads_are_keys))
        pairs = [(s, index[s.name]) for s in specs if s.name in index]
    else:
        if len(frame.columns) < len(specs):
            out.append(Issue("MC411", "error",
                             f"the signature declares {len(specs)} unnamed input columns but "
                             f"the example has only {len(frame.columns)}", "",
                             at=frame.root))
            return _decorated(out, frame) if frame.when or frame.reshaped else out
        pairs = list(zip(specs, range(len(specs)), strict=False))
    columns, cast = frame.columns, not (frame.via_numpy or frame.strict)
    for spec, i in pairs:
        values = columns[i]
        if not values:
            continue
        kind = spec.type.kind
        if cast and (kind == "string" or clean_cast(values, kind, set(map(type, values)))):
            continue  # the common clean column, proven without a call per value
        if frame.strict and clean_strict(values, kind, set(map(type, values))):
            continue
        issue = _column_issue(frame, spec, i, values, v3)
        if issue is not None:
            out.append(issue)
    return _decorated(out, frame) if frame.when or frame.reshaped else out


def _column_issue(frame: Frame, spec: ColSpec, i: int, values: Sequence[Any], v3: bool
                  ) -> Issue | None:
    """What MLflow does with column ``i`` of the example (None: it takes it unchanged)."""
    t = spec.type
    required = spec.is_required(3 if v3 else 2)

    # a list in a scalar column (a one-row dict) is one cell: after convert_data_type an
    # ndarray, so the column is object and _enforce_mlflow_datatype checks it as it is
    strict = frame.strict or (frame.via_numpy and any(isinstance(v, list) for v in values))

    def check(vals: Sequence[Any]) -> tuple[str | None, str | None]:
        if t.kind in SCALAR_TYPES:
            if strict:
                return strict_series(vals, t.kind, v3, to_numpy=False)
            if frame.via_numpy:
                return json_cast(vals, t.kind, v3)
            return cast_scalar(vals, t.kind, v3, kind_of(vals))
        if frame.via_numpy and t.kind == "array" and any(v is None for v in vals):
            # convert_data_type: np.array(_enforce_array(None, ...)) is a 0-d object array,
            # which _enforce_schema's _enforce_array then fails on (3.x: "len() of unsized
            # object"; 2.x refuses the null while converting)
            return ("null in an array column: on the inputs path MLflow cannot convert it "
                    "(use [] for an empty list)"), None
        return enforce_column(vals, t, required, v3)

    err, lossy = check(values)
    col = _label(frame.names[i]) if frame.named else f"#{i}"
    if err:
        issue = Issue("MC412", "error", f"column {col}: expected {t}, {err}",
                      frame.pointers[i], frame.names[i])
    elif lossy and lossy.startswith(NOTE):
        issue = Issue("MC414", "note", f"column {col} ({t}): {lossy[len(NOTE):]}",
                      frame.pointers[i], frame.names[i])
    elif lossy:
        issue = Issue("MC414", "warning",
                      f"column {col} ({t}): MLflow accepts it but changes the value: "
                      f"{lossy}", frame.pointers[i], frame.names[i])
    else:
        return None
    row = first_row(values, (lambda v: check(v)[0] is not None) if err
                    else (lambda v: check(v)[1] is not None))
    issue.at = frame.cell(i, row)
    if row is not None and len(values) > 1 and t.kind in SCALAR_TYPES:
        issue.message += f" (first at row {row})"
    return issue


def first_row(values: list[Any], bad: Any) -> int | None:
    """The first row whose inclusion makes ``bad(values[:n])`` true (binary search over
    prefixes: every check here fails from the first offending value on). Runs only for a
    column that is reported, so a clean example costs nothing."""
    if len(values) == 1:
        return 0
    lo, hi = 1, len(values)
    if not bad(values):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if bad(values[:mid]):
            hi = mid
        else:
            lo = mid + 1
    return lo - 1
