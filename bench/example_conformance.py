"""Time modelcheck's conformance check of a 10,000 x 50 DataFrame example (and MLflow's own).

    python bench/example_conformance.py

Prints modelcheck's time (parse + conformance) and, when /work/venvs/mlflow3 exists, the time
MLflow 3 takes to parse and enforce the same serving payload (``_parse_json_data`` +
``_validate_prediction_input``), measured in a subprocess, and the ratio.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from modelcheck.package.examples import conform, read_example
from modelcheck.package.model_package import parse_json_lenient
from modelcheck.package.signature import parse_signature

ROWS, COLS = 10_000, 50
MLFLOW = Path("/work/venvs/mlflow3/bin/python")
TYPES = ["long", "double", "string", "boolean", "datetime"]


def build() -> tuple[dict, str]:
    rng = random.Random(1)
    types = [TYPES[j % len(TYPES)] for j in range(COLS)]
    gen = {"long": lambda: rng.randint(0, 1000), "double": lambda: rng.random(),
           "string": lambda: rng.choice(["a", "bb", "ccc"]), "boolean": lambda: rng.random() < .5,
           "datetime": lambda: f"2024-01-{rng.randint(10, 28)}T00:00:00"}
    cols = [f"c{j}" for j in range(COLS)]
    rows = [[gen[t]() for t in types] for _ in range(ROWS)]
    specs = [{"type": t, "name": c, "required": True} for c, t in zip(cols, types, strict=True)]
    sig = {"inputs": json.dumps(specs), "outputs": None, "params": None}
    return sig, json.dumps({"columns": cols, "data": rows})


class _Pkg:
    def __init__(self, text: str) -> None:
        self.text = text

    def json(self, rel: str):
        return parse_json_lenient(self.text)


MLFLOW_SCRIPT = r"""
import json, sys, time, logging
logging.disable(logging.CRITICAL)
from mlflow.models import Model, ModelSignature
from mlflow.pyfunc import _validate_prediction_input
from mlflow.pyfunc.scoring_server import _parse_json_data
sig = json.load(open(sys.argv[1])); body = open(sys.argv[2]).read()
s = ModelSignature.from_dict(sig); m = Model(signature=s)
payload = '{"dataframe_split": ' + body + '}'
t = time.perf_counter()
p = _parse_json_data(payload, m, m.get_input_schema())
_validate_prediction_input(p.data, p.params, s.inputs, s.params)
print(time.perf_counter() - t)
"""


def main() -> int:
    sig, body = build()
    info = {"artifact_path": "input_example.json", "type": "dataframe", "pandas_orient": "split"}
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        s = parse_signature(sig)
        data, params, issues = read_example(_Pkg(body), info)
        issues += conform(data, params, info, s.inputs, s.params, True)
        best = min(best, time.perf_counter() - t)
    assert not [i for i in issues if i.level == "error"], issues[:3]
    print(f"modelcheck: {ROWS}x{COLS} example checked in {best:.3f}s "
          f"({len(body) / 1e6:.1f} MB JSON, {len(issues)} issues)")
    if MLFLOW.exists():
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "sig.json").write_text(json.dumps(sig))
            (Path(d) / "body.json").write_text(body)
            r = subprocess.run([str(MLFLOW), "-c", MLFLOW_SCRIPT, f"{d}/sig.json",
                                f"{d}/body.json"], capture_output=True, text=True)
            if r.returncode == 0:
                ml = float(r.stdout.strip().splitlines()[-1])
                print(f"mlflow 3 enforcement of the same payload: {ml:.3f}s "
                      f"(ratio mlflow/modelcheck = {ml / best:.1f}x)")
            else:
                print("mlflow run failed:", r.stderr[-500:], file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
