"""MC401-MC406: the stored input example and serving example can be read in the form declared."""

from __future__ import annotations

from collections.abc import Iterator

from modelcheck.package.examples import example_issues, issue_location
from modelcheck.package.model_package import DECODE_KINDS, LIMIT_KINDS, text_fix
from modelcheck.results import Hit, Level
from modelcheck.rule import rule

_TEXT_KINDS = DECODE_KINDS | LIMIT_KINDS
_FIX = {
    "MC401": "restore the example file, or remove saved_input_example_info from MLmodel",
    "MC402": "re-log the model with its input_example, or fix the file (valid JSON, UTF-8 "
             "without a byte-order mark)",
    "MC403": "use one of dataframe, ndarray, sparse_matrix_csr, sparse_matrix_csc, json_object",
    "MC404": "re-save the example with MLflow (mlflow.models.utils._Example / log_model) so the "
             "file matches saved_input_example_info",
    "MC405": "add serving_input_path to saved_input_example_info, restore the file, or delete "
             "the orphan file",
    "MC406": "regenerate serving_input_example.json from the input example "
             "(mlflow.models.convert_input_example_to_serving_input)",
    "MC411": "add the missing columns to the example, or mark them required: false in the "
             "signature",
    "MC412": "fix the example values, or the column type in the signature",
    "MC413": "drop the column from the example, or add it to the signature",
    "MC414": "store values of the declared type (e.g. 1 not 1.5 for a long column), or "
             "change the column type",
    "MC415": "give params values of the declared type, or declare them in the signature",
    "MC416": "store an array of the declared rank, fixed dimensions and element type",
}


def hits(pkg, code: str) -> Iterator[Hit]:
    for i in example_issues(pkg):
        if i.code == code:
            file, line, col = issue_location(pkg, i)
            fix = _FIX.get(code)
            if code in ("MC402", "MC406") and file and not i.pointer:
                t = pkg.text(file)  # read once already: a file that is not UTF-8 text, or
                if t.kind in _TEXT_KINDS:  # over the size limit, gets the fix for its case
                    fix = text_fix(t, pkg.text_cap, f"{file} is not a text file: re-log the "
                                                    "model with its input_example")
            yield Hit(i.message, file=file, pointer=i.pointer, line=line, col=col,
                      level=Level.parse(i.level), fix=fix,
                      key=None if i.name is None else str(i.name))


@rule("MC401", "example-file-missing", Level.ERROR, tags=("example",))
def example_file_missing(pkg):
    """The input example file named in `saved_input_example_info` is missing.

    What it checks
    `saved_input_example_info.artifact_path` (normally `input_example.json`) must name a file
    in the package.

    Why it matters
    `Model.load_input_example` raises (MlflowException on 3.x, FileNotFoundError on 2.17) and
    tools that show or validate the example fail.

    Example
    A package copied without `input_example.json` while MLmodel still declares it.

    How to fix
    Restore the file, or remove `saved_input_example_info` from MLmodel.
    """
    yield from hits(pkg, "MC401")


@rule("MC402", "example-invalid-json", Level.ERROR, tags=("example",))
def example_invalid_json(pkg):
    """The input example file is not JSON, even for MLflow's lenient reader.

    What it checks
    The example file parses with Python's `json.loads` (NaN, Infinity and -Infinity are legal:
    MLflow writes them itself), and is UTF-8 text without a byte-order mark (not binary, not
    UTF-16). A file over modelcheck's size limit (`max-file-bytes`, 16 MiB by default) was
    not checked: that is an error too, never a pass; raise the limit to check it. A file the
    operating system refuses to read is a tool failure (MC902), not this.

    Why it matters
    `Model.load_input_example` and serving validation fail on unparseable JSON.

    Example
    `{"columns": ["a"], "data": [[1,]]}`

    How to fix
    Re-log the model with its example or fix the JSON syntax.
    """
    yield from hits(pkg, "MC402")


@rule("MC403", "example-type-unknown", Level.ERROR, tags=("example",))
def example_type_unknown(pkg):
    """`saved_input_example_info.type` is not a type MLflow can load.

    What it checks
    `type` is one of `dataframe`, `ndarray`, `sparse_matrix_csr`, `sparse_matrix_csc`,
    `json_object`, and `saved_input_example_info` is a mapping.

    Why it matters
    MLflow raises "This version of mlflow can not load example of type ...".

    Example
    `type: DataFrame` or `type: tensor`.

    How to fix
    Use the type MLflow wrote (re-log the model to regenerate it).
    """
    yield from hits(pkg, "MC403")


@rule("MC404", "example-form-mismatch", Level.ERROR, tags=("example",))
def example_form_mismatch(pkg):
    """The example file's shape does not match its declared `type`, orient or `params` flag.

    What it checks
    A `dataframe` example is `{"columns": [...], "data": [[...], ...]}` with rows as wide as
    `columns`; a `tf-serving` ndarray is wrapped in `{"inputs": ...}`; a sparse example has
    consistent `data`/`indices`/`indptr`/`shape`; `params: 'true'` means the file is
    `{"inputs": ..., "params": {...}}`.

    Why it matters
    MLflow cannot rebuild the example (pandas raises on ragged rows; scipy on bad indptr), so
    loading and serving validation fail.

    Example
    A split-orient example whose second row has 3 values for 4 columns.

    How to fix
    Re-save the example with MLflow so the file matches `saved_input_example_info`.
    """
    yield from hits(pkg, "MC404")


@rule("MC405", "serving-example-file", Level.ERROR, tags=("example",))
def serving_example_file(pkg):
    """`serving_input_path` names a missing file, or `serving_input_example.json` is an orphan.

    What it checks
    When `saved_input_example_info.serving_input_path` is set the file exists (error); a
    `serving_input_example.json` without that key is reported as a note.

    Why it matters
    Deployment tooling reads the serving example to smoke-test an endpoint; a missing file
    breaks it, an orphan file is stale data nobody validates.

    Example
    `serving_input_path: serving_input_example.json` with no such file.

    How to fix
    Restore the file (regenerate it from the input example), or delete the orphan.
    """
    yield from hits(pkg, "MC405")


@rule("MC406", "serving-example-mismatch", Level.ERROR, tags=("example",))
def serving_example_mismatch(pkg):
    """`serving_input_example.json` is malformed or describes different data than the example.

    What it checks
    The serving file is a JSON object with exactly one of `dataframe_split`,
    `dataframe_records`, `instances`, `inputs` (or an LLM `messages`/`prompt`/`input`
    payload) - an error otherwise; and its data and params equal `input_example.json`'s
    (sparse examples compared densified, records compared with the split example's rows) - a
    warning otherwise. Its values are then conformed to the signature as served (MC411-MC416,
    located in the serving file). A serving file that is not UTF-8 text, or over modelcheck's
    size limit (`max-file-bytes`: not checked, so not passed), is an error.

    Why it matters
    The scoring server rejects a payload without exactly one input key; a serving example that
    drifted from the stored example tests something other than what was logged.

    Example
    `{"dataframe_split": {...}, "inputs": [...]}`.

    How to fix
    Regenerate it with `mlflow.models.convert_input_example_to_serving_input`.
    """
    yield from hits(pkg, "MC406")
