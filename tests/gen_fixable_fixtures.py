"""Write tests/fixtures/fixable/: real MLflow packages broken in the ways ``--fix`` repairs.

Each case starts from a package real MLflow wrote (tests/fixtures/mlflow/<version>/<case>, see
tests/generate_fixtures.py) and changes its text files the way people and tools break them:
a legacy ``optional`` column, byte-order marks, a conda ``prefix:``, ``sklearn``, standard-
library names and ``pip`` in the requirements, junk files, and environment files that disagree
with MLmodel. The model files are copied untouched. Run ``python tests/gen_fixable_fixtures.py``
to regenerate; ``tests/test_fix_cli.py`` checks the committed copies are what this writes.

Git ignores ``__pycache__/`` and ``*.pyc``, so that junk is not committed: ``add_ignored_junk``
adds it to a copy (the tests call it).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REAL = HERE / "fixtures" / "mlflow"
OUT = HERE / "fixtures" / "fixable"
BOM = b"\xef\xbb\xbf"


def _sub(path: Path, old: str, new: str, count: int = 1) -> None:
    data = path.read_bytes().decode("utf-8")
    if data.count(old) < count:
        raise SystemExit(f"{path}: {old!r} not found {count} time(s)")
    path.write_bytes(data.replace(old, new, count).encode("utf-8"))


def _append(path: Path, text: str) -> None:
    path.write_bytes(path.read_bytes() + text.encode("utf-8"))


def safe_all(d: Path) -> None:
    """Every safe fix at once, on MLflow 3.18's sklearn package with a signature and example."""
    _sub(d / "MLmodel", '"name": "sepal_width", "required": true', '"name": "sepal_width", '
         '"optional": true')
    req = d / "requirements.txt"
    _sub(req, "scikit-learn==1.9.1", "sklearn")
    _append(req, "\npickle\npip==23.2.1")
    req.write_bytes(BOM + req.read_bytes())
    ex = d / "input_example.json"
    ex.write_bytes(BOM + ex.read_bytes())
    conda = d / "conda.yaml"
    _sub(conda, "  - scikit-learn==1.9.1\n", "  - sklearn\n")
    _sub(conda, "  - scipy==1.17.1\n", "  - scipy==1.17.1\n  - pickle\n  - pip==23.2.1\n")
    _append(conda, "prefix: /home/alice/miniconda3/envs/train\n")
    (d / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1\x00\x00\x10\x00")


def optional_217(d: Path) -> None:
    """MLflow 2.17's package with the legacy key alone and beside `required` (2.17 reads
    `required`, so both fixes are safe), with CRLF line endings in requirements.txt."""
    _sub(d / "MLmodel", '"name": "sepal_length", "required": true', '"name": "sepal_length", '
         '"optional": false')
    _sub(d / "MLmodel", '"name": "sepal_width", "required": true', '"name": "sepal_width", '
         '"required": false, "optional": true')
    req = d / "requirements.txt"
    req.write_bytes(req.read_bytes().replace(b"\n", b"\r\n"))
    _sub(req, "scikit-learn==", "sklearn\r\nscikit-learn==")


def env_disagree(d: Path) -> None:
    """Environment files edited by hand after MLflow 3.18 wrote them (the unsafe fixes): another
    Python, another mlflow and scikit-learn pin, an extra line only in the conda pip list, and
    a comment that must survive."""
    _sub(d / "python_env.yaml", "python: 3.11.7", "python: 3.10.4")
    conda = d / "conda.yaml"
    _sub(conda, "- python=3.11.7\n", "- python=3.10.4  # pinned by hand\n")
    _sub(conda, "  - mlflow==3.18.0\n", "  - mlflow==2.9.0\n")
    _sub(conda, "  - scikit-learn==1.9.1\n", "  - scikit-learn==1.0\n")
    _sub(conda, "  - scipy==1.17.1\n", "  - scipy==1.17.1\n  - flask==3.0.0\n")
    req = d / "requirements.txt"
    _sub(req, "mlflow==3.18.0", "mlflow==2.9.0")
    _sub(req, "scikit-learn==1.9.1", "scikit-learn==1.0")


CASES = {
    "safe_all": ("3.18.0/sklearn_sig_example", safe_all),
    "optional_217": ("2.17.2/sklearn_sig_example", optional_217),
    "env_disagree": ("3.18.0/sklearn_pickle", env_disagree),
}


def write_case(name: str, dest: Path) -> Path:
    src, breaker = CASES[name]
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(REAL / src, dest)
    breaker(dest)
    return dest


def add_ignored_junk(pkg: Path) -> None:
    """The junk git does not commit: a byte-code cache."""
    cache = pkg / "__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "helpers.cpython-311.pyc").write_bytes(b"\xa7\r\r\n" + b"\x00" * 12)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name in CASES:
        write_case(name, OUT / name)
        print(f"wrote {OUT / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
