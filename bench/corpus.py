"""Generate synthetic-but-realistic package corpora from real MLflow-written templates.

Each package starts as a copy of a package written by real MLflow (the committed fixtures),
then gets a signature of ``cols`` columns, an input example (and serving example) of ``rows``
rows, and ``reqs`` requirements, kept consistent across conda.yaml and requirements.txt. A
share of packages is broken on purpose (one defect each, of several kinds).

    python bench/corpus.py OUT --count 1000 [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [
    REPO / "tests/fixtures/mlflow/3.18.0/sklearn_sig_example",
    REPO / "tests/fixtures/mlflow/2.17.2/sklearn_sig_example",
    REPO / "examples/iris-sklearn",
    REPO / "tests/rules/MC101/pass/real-sklearn-2.5",
]
TYPES = ("double", "long", "string", "boolean", "float", "integer")
EXTRA_REQS = ["numpy", "pandas", "scipy", "requests", "pyarrow", "joblib", "threadpoolctl",
              "packaging", "pyyaml", "protobuf", "cloudpickle", "psutil", "tqdm", "rich",
              "click", "jinja2", "markupsafe", "urllib3", "idna", "certifi", "six", "attrs"]
BREAKAGES = ("missing-model-file", "bad-signature-type", "example-missing-column",
             "env-disagree", "yaml-syntax", "python-float")


def templates() -> list[Path]:
    found = [p for p in TEMPLATE_DIRS if (p / "MLmodel").is_file()]
    if not found:
        raise SystemExit("no template packages found (tests/fixtures/mlflow or examples/)")
    return found


def _value(t: str, rnd: random.Random):
    if t in ("double", "float"):
        return round(rnd.uniform(-100, 100), 3)
    if t in ("long", "integer"):
        return rnd.randint(-1000, 1000)
    if t == "boolean":
        return rnd.random() < 0.5
    return rnd.choice(["a", "bb", "ccc", "setosa", "virginica"])


def _signature_yaml(cols: list[tuple[str, str]]) -> str:
    spec = json.dumps([{"type": t, "name": n, "required": True} for n, t in cols])
    return f"signature:\n  inputs: '{spec}'\n  outputs: '[{{\"type\": \"tensor\", " \
           f"\"tensor-spec\": {{\"dtype\": \"int64\", \"shape\": [-1]}}}}]'\n  params: null\n"


def make_package(src: Path, dst: Path, *, cols: int, rows: int, reqs: int,
                 rnd: random.Random, breakage: str | None = None) -> None:
    shutil.copytree(src, dst)
    for p in dst.rglob("*"):
        p.chmod(0o644 if p.is_file() else 0o755)
    columns = [(f"f{i}", TYPES[i % len(TYPES)]) for i in range(cols)]
    mlmodel = (dst / "MLmodel").read_text()
    head, sep, _rest = mlmodel.partition("signature:\n")
    if sep:  # drop the old signature block (indented lines after it)
        tail_lines = _rest.splitlines(keepends=True)
        while tail_lines and tail_lines[0].startswith(" "):
            tail_lines.pop(0)
        mlmodel = head + "".join(tail_lines)
    if "saved_input_example_info" not in mlmodel:
        mlmodel += ("saved_input_example_info:\n  artifact_path: input_example.json\n"
                    "  pandas_orient: split\n  serving_input_path: serving_input_example.json\n"
                    "  type: dataframe\n")
    mlmodel += _signature_yaml(columns)
    data = [[_value(t, rnd) for _, t in columns] for _ in range(rows)]
    names = [n for n, _ in columns]
    example = {"columns": names, "data": data}
    serving = {"dataframe_split": example}
    reqs_list = ["mlflow==3.18.0", "scikit-learn==1.9.1"] + [
        f"{name}=={rnd.randint(1, 9)}.{rnd.randint(0, 30)}.{rnd.randint(0, 9)}"
        for name in rnd.sample(EXTRA_REQS, min(reqs, len(EXTRA_REQS)))]
    reqs_list += [f"extra-pkg-{i}==1.0.{i}" for i in range(max(0, reqs - len(EXTRA_REQS)))]
    conda = ("channels:\n- conda-forge\ndependencies:\n- python=3.11.7\n- pip<=23.2.1\n- pip:\n"
             + "".join(f"  - {r}\n" for r in reqs_list) + "name: mlflow-env\n")
    py_env = "python: 3.11.7\nbuild_dependencies:\n- pip==23.2.1\n- setuptools==65.5.0\n" \
             "- wheel\ndependencies:\n- -r requirements.txt\n"

    if breakage == "missing-model-file":
        for f in ("model.pkl", "model.skops"):
            (dst / f).unlink(missing_ok=True)
    elif breakage == "bad-signature-type":
        mlmodel = mlmodel.replace('"type": "double"', '"type": "float64"', 1)
    elif breakage == "example-missing-column":
        example = {"columns": names[1:], "data": [r[1:] for r in data]}
        serving = {"dataframe_split": example}
    elif breakage == "env-disagree":
        conda = conda.replace("python=3.11.7", "python=3.9.1")
    elif breakage == "yaml-syntax":
        mlmodel = mlmodel.replace("flavors:", "flavors: [", 1)
    elif breakage == "python-float":
        py_env = py_env.replace("python: 3.11.7", "python: 3.10")

    (dst / "MLmodel").write_text(mlmodel)
    (dst / "input_example.json").write_text(json.dumps(example))
    (dst / "serving_input_example.json").write_text(json.dumps(serving, indent=2))
    (dst / "requirements.txt").write_text("\n".join(reqs_list))
    (dst / "conda.yaml").write_text(conda)
    (dst / "python_env.yaml").write_text(py_env)


def generate(out: Path, count: int, *, seed: int = 1, cols: tuple[int, int] = (5, 200),
             rows: tuple[int, int] = (1, 1000), reqs: tuple[int, int] = (3, 30),
             broken_share: float = 0.2) -> list[Path]:
    rnd = random.Random(seed)
    tpls = templates()
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for i in range(count):
        dst = out / f"pkg{i:05d}"
        if dst.exists():
            shutil.rmtree(dst)
        # realistic skew: most signatures and examples are small
        c = min(cols[1], max(cols[0], int(rnd.lognormvariate(2.8, 0.8))))
        r = min(rows[1], max(rows[0], int(rnd.lognormvariate(1.5, 1.5))))
        q = rnd.randint(*reqs)
        brk = rnd.choice(BREAKAGES) if rnd.random() < broken_share else None
        make_package(tpls[i % len(tpls)], dst, cols=c, rows=r, reqs=q, rnd=rnd, breakage=brk)
        made.append(dst)
    return made


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    made = generate(args.out, args.count, seed=args.seed)
    print(f"wrote {len(made)} packages under {args.out}")


if __name__ == "__main__":
    main()
