"""MC308: tensor specs of a signature schema."""

from __future__ import annotations

from modelcheck.formats.signature.parse import TENSOR
from modelcheck.package.signature import signature_hits
from modelcheck.results import Level
from modelcheck.rule import rule


@rule("MC308", "signature-tensor-invalid", Level.ERROR, tags=("signature",))
def signature_tensor_invalid(pkg):
    """A tensor spec MLflow cannot load: missing tensor-spec/dtype/shape, bad dtype or shape.

    What it checks
    Every `{"type": "tensor", ...}` spec: a `tensor-spec` object with `dtype` and `shape`;
    `dtype` a string numpy understands (checked statically against numpy's dtype grammar:
    names, type codes with byte order and size, `datetime64[unit]`) and not a sized string
    type (`U10`, `<U7`, `S5`); `shape` a list of integers >= -1. Names only numpy 1 knows
    (`float_`, `unicode_`) and a null dtype (numpy reads float64) are warnings.

    Why it matters
    `Model.load` builds `np.dtype(dtype)` and `tuple(shape)`: an unknown dtype or a null shape
    raises `TypeError`, sized string dtypes are refused by MLflow, and nonsense dimensions
    (`-5`, `"a"`) load but make every request fail shape enforcement.

    Example
    `{"type": "tensor", "tensor-spec": {"dtype": "float33", "shape": null}}`

    How to fix
    Use a numpy dtype name such as `float32`, `int64`, `bool`, `str`, `bytes`, `object`, and a
    shape such as `[-1, 4]` (-1 for the variable batch dimension).
    """
    yield from signature_hits(pkg, TENSOR)
