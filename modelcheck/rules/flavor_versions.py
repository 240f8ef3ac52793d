"""MC216-MC217: flavor library versions and the sklearn serialization format."""

from __future__ import annotations

from modelcheck.formats.flavors import (
    FLAVOR_LIBRARIES,
    SKLEARN_FORMATS,
    library_version_text,
)
from modelcheck.formats.yaml.loader import join_pointer
from modelcheck.results import Hit, Level
from modelcheck.rule import rule


@rule("MC216", "flavor-version-invalid", Level.WARNING, tags=("flavors", "env"))
def flavor_version_invalid(pkg):
    """A flavor's library version (`sklearn_version`, `xgb_version`, ...) is not PEP 440.

    What it checks
    The version key of each known flavor (e.g. `sklearn_version`, `pytorch_version`,
    python_function `cloudpickle_version`) is a string that parses as a PEP 440 version;
    local labels such as `2.3.0+cu121` are fine, and so is the `-tf` suffix of the Keras
    bundled in TensorFlow <= 2.2 (`keras_version: 2.3.0-tf`, which MLflow writes itself). An
    unquoted `1.10` is the YAML number 1.1.

    Why it matters
    The value records which library version wrote the model file; it is compared with the
    requirements to catch version drift, and loaders warn on a mismatch. A malformed value
    hides that and signals a hand edit.

    Example
    `sklearn_version: 1.10` (read as 1.1) or `xgb_version: latest`.

    How to fix
    Write the installed library version as a quoted string, e.g. `'1.5.2'`.
    """
    from packaging.version import Version

    for name, conf in pkg.flavors.items():
        if name not in FLAVOR_LIBRARIES:
            continue
        key, pip_name = FLAVOR_LIBRARIES[name]
        if conf.get(key) is None:
            continue
        value = conf[key]
        ptr = join_pointer("flavors", name, key)
        if isinstance(value, bool) or not isinstance(value, str):
            yield Hit(f"{key} is the {type(value).__name__} {value!r}, not a version string (an "
                      "unquoted 1.10 is the YAML number 1.1)", file="MLmodel",
                      line=pkg.line(ptr), pointer=ptr,
                      fix=f"quote the installed {pip_name} version, e.g. '1.10.0'")
            continue
        try:
            Version(library_version_text(name, key, value))
        except ValueError:  # InvalidVersion, or an int too long to parse
            yield Hit(f"{key} {value!r} is not a PEP 440 version of {pip_name}", file="MLmodel",
                      line=pkg.line(ptr), pointer=ptr,
                      fix=f"write the {pip_name} version that saved the model, e.g. '1.5.2'")


@rule("MC217", "flavor-sklearn-serialization", Level.ERROR, tags=("flavors", "sklearn"))
def flavor_sklearn_serialization(pkg):
    """sklearn `serialization_format` is unknown or does not match the model file's extension.

    What it checks
    `flavors.sklearn.serialization_format` is one of `pickle`, `cloudpickle`, `skops`
    (error otherwise), and `pickled_model` has the matching extension: `.pkl` for
    pickle/cloudpickle, `.skops` for skops (warning otherwise).

    Why it matters
    `mlflow.sklearn` picks the deserializer from `serialization_format` and raises
    "Unrecognized serialization format" for other values. A mismatched extension means the
    file or the key was changed by hand: loading a pickle with skops (or the reverse) fails.

    Example
    `serialization_format: skops` with `pickled_model: model.pkl`.

    How to fix
    Re-save the model, or set the format that matches how the file was written.
    """
    conf = pkg.flavors.get("sklearn")
    if conf is None:
        return
    fmt = conf.get("serialization_format")
    ptr = join_pointer("flavors", "sklearn", "serialization_format")
    if fmt is None:
        return  # MLflow defaults to pickle
    if not isinstance(fmt, str) or fmt not in SKLEARN_FORMATS:
        yield Hit(f"serialization_format is {fmt!r}; mlflow.sklearn accepts only "
                  f"{', '.join(SKLEARN_FORMATS)}", file="MLmodel", line=pkg.line(ptr),
                  pointer=ptr, fix="re-save the model with a supported serialization_format")
        return
    path = conf.get("pickled_model")
    if not isinstance(path, str):
        return
    exts = SKLEARN_FORMATS[fmt]
    known = {e for v in SKLEARN_FORMATS.values() for e in v}
    ext = "." + path.rsplit(".", 1)[-1].lower() if "." in path else ""
    if ext in known and ext not in exts:
        pptr = join_pointer("flavors", "sklearn", "pickled_model")
        yield Hit(f"serialization_format is {fmt!r} but pickled_model {path!r} has the "
                  f"{ext} extension of another format (expected {' or '.join(exts)})",
                  file="MLmodel", line=pkg.line(pptr), pointer=pptr, level=Level.WARNING,
                  fix="re-save the model, or set the serialization_format the file was "
                      "written with")
