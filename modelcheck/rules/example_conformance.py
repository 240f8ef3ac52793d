"""MC411-MC416: the stored example conforms to the signature as MLflow enforces it."""

from __future__ import annotations

from modelcheck.results import Level
from modelcheck.rule import rule
from modelcheck.rules.example_reading import hits


@rule("MC411", "example-missing-input", Level.ERROR, tags=("example", "signature"))
def example_missing_input(pkg):
    """The input example lacks a required signature column (or has too few unnamed columns).

    What it checks
    Every required input named in the signature is a column (or key) of the example; for an
    unnamed column signature the example has at least as many columns as the signature.
    Optional (`required: false`) columns may be absent. A missing `required` on an
    array/object/map column means optional for MLflow 3.x writers and required for 2.x.

    Why it matters
    MLflow rejects the example ("Model is missing inputs [...]"), so `log_model`'s serving
    validation fails and the example documents an input the model cannot take.

    Example
    Signature `a: long, b: double`; example `{"columns": ["a"], "data": [[1]]}`.

    How to fix
    Add the column to the example, or mark it `required: false` in the signature.
    """
    yield from hits(pkg, "MC411")


@rule("MC412", "example-value-rejected", Level.ERROR, tags=("example", "signature"))
def example_value_rejected(pkg):
    """An example column holds values MLflow refuses to convert to the declared type.

    What it checks
    Each column is typed as pandas would build it from the JSON, then cast as MLflow's
    scoring server does (`astype`, base64 decoding for `binary`, `to_datetime` for
    `datetime`, `_enforce_array/object/map` for nested types): text in a `double` column,
    null in a required or optional `long` column, non-base64 text in `binary`, a datetime
    string pandas cannot read (text without digits, a timezone, an invalid ISO date; non-ISO
    text such as "Jan 1 2024" or "2024/01/02" is read by pandas on the DataFrame path but not
    by numpy on the `inputs` path) or in a different format than the first one (MLflow 3 /
    pandas 3), a required object property missing. A `dataframe_records`, `dataframe_split`
    or tensor `instances` payload in `serving_input_example.json` that is not the stored
    example is checked the same way; findings point at the line and column of the first
    offending value.
    A `json_object` example (stored from a dict, a list or a scalar) is also checked as
    `Model.load_input_example` returns it to `predict` (which MLflow itself runs when saving,
    to capture the modules `predict` imports): unconverted, typed by pandas (ints are int64,
    floats float64, text `str`), so only safe widening passes: ints for an `integer` or
    `float` column, floats for `float`, text for numbers, booleans or (pandas 3) datetimes
    are rejected there even though the serving path would cast them.

    Why it matters
    Serving the example fails with "Failed to convert column ... " or "Failed to enforce
    schema"; the logged example does not work with its own model.

    Example
    Signature `x: long`; example `{"columns": ["x"], "data": [[1], [null]]}`.

    How to fix
    Fix the values, or declare the column with a type that holds them (e.g. `double` for
    integers with missing values).
    """
    yield from hits(pkg, "MC412")


@rule("MC413", "example-extra-column", Level.NOTE, tags=("example", "signature"))
def example_extra_column(pkg):
    """The example has a column the signature does not declare (MLflow drops it).

    What it checks
    Columns of the example that are not inputs of a named column signature.

    Why it matters
    MLflow silently drops them before calling the model; the example suggests the model uses
    data it never sees.

    Example
    Signature `a: long`; example columns `a`, `debug_id`.

    How to fix
    Remove the column from the example, or add it to the signature.
    """
    yield from hits(pkg, "MC413")


@rule("MC414", "example-lossy-cast", Level.WARNING, tags=("example", "signature"))
def example_lossy_cast(pkg):
    """MLflow accepts an example value but changes it on the way to the model.

    What it checks
    Values MLflow converts with loss: floats truncated for `long`/`integer` columns or int
    tensors, text or numbers turned into booleans by truthiness, numbers read as epoch
    nanoseconds for `datetime`, booleans or numeric strings turned into numbers, int32
    overflow, numbers stringified, datetime params given as a bare year.

    Why it matters
    The model receives different data than the example shows, which usually means the
    signature's type is not the type the data really has.

    Example
    Signature `x: long`; example value `1.5` reaches the model as `1`.

    How to fix
    Store values of the declared type, or change the signature's type.
    """
    yield from hits(pkg, "MC414")


@rule("MC415", "example-params", Level.ERROR, tags=("example", "signature"))
def example_params(pkg):
    """Params stored with the example fail the signature's ParamSchema (or are undeclared).

    What it checks
    Each param stored with the example (`params: 'true'`) validates like
    `_enforce_params_schema`: scalar types (an int is fine for `double`, a float is not
    fine for `long`, bool is never a number), `shape: [-1]` params are lists, datetime params
    parse. Params the signature does not declare are a note: MLflow ignores them.

    Why it matters
    MLflow raises "Invalid parameters found" when the example is served.

    Example
    Param `max_tokens: long`; example params `{"max_tokens": 10.5}`.

    How to fix
    Store values of the declared type, or declare the param in the signature.
    """
    yield from hits(pkg, "MC415")


@rule("MC416", "example-tensor-mismatch", Level.ERROR, tags=("example", "signature"))
def example_tensor_mismatch(pkg):
    """A tensor example has the wrong rank, fixed dimensions or element type, or is ragged.

    What it checks
    Each tensor input (or named tensor of a dict example) is rebuilt as
    `np.array(data, dtype)`: its rank must equal the spec's, every fixed (non -1) dimension
    must match, the nested lists must be rectangular (unless the spec allows ragged object
    arrays), and the elements must convert to the dtype (text in a float tensor fails).
    A sparse (csr/csc) example loads as a scipy matrix, which is not converted at all: its
    shape and the dtype of its values (int64, or float64 once one is a float) must match the
    spec exactly; a `json_object` example stays JSON, which a tensor signature refuses.

    Why it matters
    MLflow rejects the example ("Shape of input ... does not match expected shape").

    Example
    Spec `float32 (-1, 4)`; example `[[1.0, 2.0, 3.0]]`.

    How to fix
    Store an array with the declared shape and element type.
    """
    yield from hits(pkg, "MC416")
