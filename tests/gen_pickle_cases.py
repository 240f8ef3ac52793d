"""Sound pickles written by the real libraries, which the scanner once took for corrupt or
dangerous (issue 13); the files are committed under tests/data/pickles/, so CI needs none of
these libraries.

Run with numpy, joblib (1.2+) and scikit-learn installed:
``python tests/gen_pickle_cases.py`` (nothing is ever loaded by the tests; this script only
dumps objects it builds itself).
- numpy_scalar_bytes.pkl: numpy int64 scalars whose 8 raw bytes start with ``\\x80\\x02``
  (the value 640), pickled as ``SHORT_BINBYTES`` arguments of ``numpy.core.multiarray.scalar``.
- joblib_*.joblib: joblib files whose arrays are written after the wrapper (joblib's own
  layout): structured and sub-array dtypes holding objects (pickled by joblib), arrays dumped
  to a file object without tell() (alignment None: no padding byte), Fortran order, 0-d.
- bound_methods.pkl: CPython's own pickling of bound methods and classmethods
  (``getattr(obj, "name")``): a fitted scaler's method, ``dict.fromkeys``, a FunctionTransformer
  holding a bound method, like AzureML AutoML models.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

OUT = Path(__file__).parent / "data" / "pickles"


class _NoTell:
    """A write-only stream: joblib then writes no alignment padding."""

    def __init__(self) -> None:
        self.buf = io.BytesIO()

    def write(self, data: bytes) -> int:
        return self.buf.write(data)

    def tell(self) -> int:
        raise io.UnsupportedOperation("no tell")


def build() -> None:
    import joblib
    import numpy as np
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    OUT.mkdir(parents=True, exist_ok=True)
    scalars = {"count": np.int64(640), "other": [np.int64(640 + 256 * k) for k in range(3)]}
    (OUT / "numpy_scalar_bytes.pkl").write_bytes(pickle.dumps(scalars, protocol=4))
    arrays = {
        "structobj": np.array([(1, "x"), (2, None)], dtype=[("a", "<i4"), ("b", "O")]),
        "subarrobj": np.zeros(2, dtype=[("a", "O", (2,))]),
        "fortran": np.asfortranarray(np.arange(12, dtype="<i4").reshape(3, 4)),
        "zero_d": np.array(5.0),
        "magic_bytes": np.frombuffer(b"\x80\x02\x00\x00\x00\x00\x00\x00" * 4, dtype="u1"),
        "strings": np.array(["ab", "cde"]),
    }
    for name, arr in arrays.items():
        joblib.dump({"x": arr, "after": [1, 2]}, OUT / f"joblib_{name}.joblib")
    w = _NoTell()
    joblib.dump({"a": np.arange(6.0), "s": np.array(["q"]), "after": "end"}, w)
    (OUT / "joblib_no_tell.joblib").write_bytes(w.buf.getvalue())
    scaler = StandardScaler().fit(np.arange(12.0).reshape(6, 2))
    methods = {"transform": scaler.transform, "fromkeys": dict.fromkeys,
               "step": FunctionTransformer(func=scaler.inverse_transform)}
    (OUT / "bound_methods.pkl").write_bytes(pickle.dumps(methods, protocol=4))


if __name__ == "__main__":
    build()
