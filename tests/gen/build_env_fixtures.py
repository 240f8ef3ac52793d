# ruff: noqa: E501 - a table of fixture cases, one per line
"""Builds the MC5xx fixture packages: copies of real MLflow-written corpus packages with one edit each.

Run: python tests/gen/build_env_fixtures.py (MODELCHECK_FIXTURE_ROOT=DIR to write elsewhere).
"""
import json
import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("MODELCHECK_CORPUS", REPO.parent / "shared/corpus/realworld"))
BASE = CORPUS / "014_oleh-edu__goitneo-argo"
B2 = CORPUS / "002_gergokoncz__orkney_demand_forecast"
ROOT = Path(os.environ.get("MODELCHECK_FIXTURE_ROOT", REPO / "tests/rules"))
REQ = (BASE / "requirements.txt").read_text()
CONDA = (BASE / "conda.yaml").read_text()
PYENV = (BASE / "python_env.yaml").read_text()
ML = (BASE / "MLmodel").read_text()

def case(code, outcome, name, edits=None, expect=None, base=BASE, remove=()):
    d = ROOT / code / outcome / name
    if d.exists():
        shutil.rmtree(d)
    shutil.copytree(base, d)
    for p in d.rglob("*"):
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    os.chmod(d, 0o755)
    for rel in remove:
        (d / rel).unlink()
    for rel, text in (edits or {}).items():
        (d / rel).write_text(text)
    if expect:
        (d / ".expect.json").write_text(json.dumps(expect, indent=1) + "\n")

def both_pip(old, new):
    return {"requirements.txt": REQ.replace(old, new), "conda.yaml": CONDA.replace(old, new)}

def add_req(line):
    return {"requirements.txt": REQ + "\n" + line,
            "conda.yaml": CONDA.replace("  - scipy==1.15.2\n", f"  - scipy==1.15.2\n  - {line}\n")}

REAL = "real-3.4-sklearn"
for code in [f"MC5{i:02d}" for i in range(1, 25) if i != 0]:
    case(code, "pass", REAL)

# MC501
case("MC501", "fail", "bad-requirement-line", both_pip("pandas==2.2.3", "pandas = 2.2.3"),
     {"count": 2, "messages": ["'pandas = 2.2.3'"], "lines": [4, 10]})
# MC502
case("MC502", "fail", "constraints-file-missing", add_req("-c constraints.txt"),
     {"count": 2, "messages": ["constraints.txt, which is not in the package"], "level": "error"})
case("MC502", "fail", "absolute-include", add_req("-r /home/alice/exp/extra.txt"),
     {"count": 2, "messages": ["absolute path outside the package"]})
case("MC502", "pass", "constraints-present", {**add_req("-c constraints.txt"), "constraints.txt": "numpy<3"})
# MC503
case("MC503", "fail", "extra-in-conda",
     {"conda.yaml": CONDA.replace("  - scipy==1.15.2\n", "  - scipy==1.15.2\n  - flask==3.0.0\n")},
     {"count": 1, "messages": ["'flask==3.0.0' under pip"], "file": "conda.yaml", "lines": [14]})
case("MC503", "fail", "pin-differs", {"requirements.txt": REQ.replace("numpy==2.3.3", "numpy==2.3.2")},
     {"count": 1, "messages": ["'numpy==2.3.2' but conda.yaml line 9 has 'numpy==2.3.3'"]})
case("MC503", "fail", "order-only", {"requirements.txt": "\n".join(sorted(REQ.splitlines()))},
     {"count": 1, "level": "note", "messages": ["different order"]})
case("MC503", "pass", "name-and-spacing-normalised",
     {"requirements.txt": REQ.replace("scikit-learn==1.6.1", "Scikit_Learn == 1.6.1")})
# MC504
case("MC504", "fail", "real-002-python-3.7-vs-3.6.9", base=B2,
     expect={"count": 1, "file": "conda.yaml", "lines": [4], "level": "warning"})
case("MC504", "fail", "example5-user-conda-env",
     {"conda.yaml": CONDA.replace("python=3.13.2", "python=3.9.1")},
     {"count": 1, "messages": ["env_manager=conda"], "level": "warning"})
case("MC504", "fail", "patch-only", {"python_env.yaml": PYENV.replace("3.13.2", "3.13.1")},
     {"count": 1, "level": "note"})
case("MC504", "pass", "minor-precision", {"conda.yaml": CONDA.replace("python=3.13.2", "python=3.13")})
# MC505
case("MC505", "fail", "pin-excludes-writer", both_pip("mlflow==3.4.0", "mlflow==2.9.0"),
     {"count": 1, "messages": ["does not admit mlflow_version 3.4.0"]})
case("MC505", "fail", "mlflow-missing",
     {"requirements.txt": REQ.replace("mlflow==3.4.0\n", ""), "conda.yaml": CONDA.replace("  - mlflow==3.4.0\n", "")},
     {"count": 1, "messages": ["no mlflow requirement"]})
case("MC505", "pass", "skinny-pin", both_pip("mlflow==3.4.0", "mlflow-skinny==3.4.0"))
case("MC505", "pass", "writer-2.4.1-pins-2.4",
     {**both_pip("mlflow==3.4.0", "mlflow==2.4"), "MLmodel": ML.replace("mlflow_version: 3.4.0", "mlflow_version: 2.4.1")})
case("MC505", "pass", "dev-build-pins-previous-micro",
     {**both_pip("mlflow==3.4.0", "mlflow==3.4.0"), "MLmodel": ML.replace("mlflow_version: 3.4.0", "mlflow_version: 3.4.1.dev0")})
case("MC505", "pass", "writer-2.2-unpinned",
     {**both_pip("mlflow==3.4.0", "mlflow"), "MLmodel": ML.replace("mlflow_version: 3.4.0", "mlflow_version: 2.2.2")})
# MC506
case("MC506", "fail", "sklearn-pin-differs", both_pip("scikit-learn==1.6.1", "scikit-learn==1.0"),
     {"count": 1, "messages": ["excludes scikit-learn 1.6.1"]})
case("MC506", "fail", "sklearn-missing",
     {"requirements.txt": REQ.replace("scikit-learn==1.6.1\n", ""), "conda.yaml": CONDA.replace("  - scikit-learn==1.6.1\n", "")},
     {"count": 1, "messages": ["no scikit-learn requirement"]})
case("MC506", "pass", "sklearn-unpinned", both_pip("scikit-learn==1.6.1", "scikit-learn"))
# MC507
case("MC507", "fail", "cloudpickle-missing-no-mlflow",
     {"requirements.txt": REQ.replace("cloudpickle==3.1.1\n", "").replace("mlflow==3.4.0\n", ""), "conda.yaml": CONDA.replace("  - cloudpickle==3.1.1\n", "").replace("  - mlflow==3.4.0\n", "")},
     {"count": 1, "level": "warning", "messages": ["no cloudpickle requirement"]})
case("MC507", "fail", "skops-only-via-mlflow", {"MLmodel": ML.replace("serialization_format: cloudpickle", "serialization_format: skops")},
     {"count": 1, "level": "note", "messages": ["does not pin skops"]})
case("MC507", "fail", "skops-missing-skinny", {"MLmodel": ML.replace("serialization_format: cloudpickle", "serialization_format: skops"), **both_pip("mlflow==3.4.0", "mlflow-skinny==3.4.0")},
     {"count": 1, "level": "warning", "messages": ["no skops requirement"]})
# MC508
case("MC508", "fail", "python-float-3.10", {"python_env.yaml": PYENV.replace("python: 3.13.2", "python: 3.10")},
     {"count": 1, "messages": ["float 3.1"], "lines": [1]})
case("MC508", "fail", "unknown-key", {"python_env.yaml": PYENV + "channels:\n- conda-forge\n"},
     {"count": 1, "messages": ["unknown key 'channels'"], "lines": [8]})
case("MC508", "fail", "dependencies-not-list", {"python_env.yaml": PYENV.replace("dependencies:\n- -r requirements.txt", "dependencies: -r requirements.txt").replace("build_-r", "build_")},
     {"messages": ["dependencies must be a list"]})
case("MC508", "pass", "quoted-python", {"python_env.yaml": PYENV.replace("python: 3.13.2", "python: '3.10'")})
# MC509
case("MC509", "fail", "bare-python", {"conda.yaml": CONDA.replace("python=3.13.2", "python")},
     {"count": 1, "messages": ["'python' has no version"], "lines": [4]})
case("MC509", "fail", "python-less-than", {"conda.yaml": CONDA.replace("python=3.13.2", "python<3.14")},
     {"count": 1, "messages": ["comparator"]})
case("MC509", "fail", "entry-type", {"conda.yaml": CONDA.replace("- pip<=25.0.1\n", "- pip<=25.0.1\n- conda: [numpy]\n")},
     {"count": 1, "messages": ["dependency #3 is a dict"], "lines": [6]})
case("MC509", "pass", "python-greater-equal", {"conda.yaml": CONDA.replace("python=3.13.2", "python>=3.13")})
# MC510
case("MC510", "fail", "real-002-no-python-env", base=B2, expect={"count": 4, "level": "warning"})
case("MC510", "fail", "numpy-conda-dep-with-python-env", {"conda.yaml": CONDA.replace("- pip<=25.0.1\n", "- numpy=1.26\n- pip<=25.0.1\n")},
     {"count": 1, "level": "note", "lines": [5]})
# MC511
case("MC511", "fail", "conflicting-pins", add_req("numpy==1.26.4"),
     {"count": 1, "level": "error", "messages": ["no version of numpy satisfies"]})
case("MC511", "fail", "constraint-conflict", {**add_req("-c constraints.txt"), "constraints.txt": "numpy<2"},
     {"count": 1, "messages": ["constraints.txt line 1"]})
case("MC511", "fail", "duplicate", add_req("numpy>=2"), {"count": 1, "level": "warning"})
case("MC511", "pass", "marker-split", {"requirements.txt": REQ.replace("numpy==2.3.3", "numpy==2.3.3; python_version >= '3.10'\nnumpy==1.26.4; python_version < '3.10'")})
# MC512
case("MC512", "fail", "pickle", add_req("pickle"), {"count": 1, "level": "warning", "messages": ["standard-library"]})
case("MC512", "fail", "backport-enum34-real-010", add_req("enum34==1.1.10"), {"count": 1, "level": "note"})
# MC513
case("MC513", "fail", "tensorflow-intel", add_req("tensorflow-intel==2.15.0"), {"count": 1, "messages": ["Windows"]})
case("MC513", "fail", "cuda-local-label", add_req("torch==2.3.0+cu121"), {"count": 1, "messages": ["+cu121"]})
case("MC513", "pass", "pywin32-with-marker", add_req('pywin32==306; sys_platform == "win32"'))
# MC514
case("MC514", "fail", "example2-requests-range", add_req("requests>=2.0"), {"count": 1, "level": "note"})
# MC515
case("MC515", "fail", "sklearn-name", add_req("sklearn"), {"count": 1, "level": "error"})
# MC516
case("MC516", "fail", "vcs-url", add_req("mylib @ git+https://github.com/acme/mylib.git@main"), {"count": 1, "messages": ["VCS URL"]})
case("MC516", "fail", "editable-local", add_req("-e /home/alice/src/mylib"), {"count": 1})
# MC517
case("MC517", "fail", "marker-excludes", {"requirements.txt": REQ.replace("numpy==2.3.3", "numpy==2.3.3; python_version < '3.10'")},
     {"count": 1, "messages": ["false for Python 3.13.2"]})
case("MC517", "pass", "marker-includes", {"requirements.txt": REQ.replace("numpy==2.3.3", "numpy==2.3.3; python_version >= '3.10'")})
# MC518
case("MC518", "fail", "python-3.7", {"python_env.yaml": PYENV.replace("3.13.2", "3.7.9")}, {"count": 1, "messages": ["2023-06-27"]})
# MC519
case("MC519", "fail", "extra-index", add_req("--extra-index-url https://download.pytorch.org/whl/cu121"), {"count": 1})
# MC520
case("MC520", "fail", "pip-listed", add_req("pip==25.0.1"), {"count": 1})
# MC521
freeze = "\n".join(f"pkg{i}==1.0" for i in range(160))
case("MC521", "fail", "freeze-160", {"requirements.txt": REQ + "\n" + freeze}, {"count": 1})
# MC522
case("MC522", "fail", "prefix", {"conda.yaml": CONDA + "prefix: /Users/alice/miniconda3/envs/train\n"}, {"count": 1, "lines": [15]})
# MC523
case("MC523", "fail", "comment-and-newline", {"requirements.txt": "# pinned by hand\n" + REQ + "\n"}, {"count": 1, "lines": [1]})
# MC524
case("MC524", "fail", "real-002", base=B2, expect={"count": 1, "lines": [9]})
