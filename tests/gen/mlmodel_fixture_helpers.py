"""Fixture builder helpers: copy a real corpus package, edit one thing."""
import json
import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("MODELCHECK_CORPUS", REPO.parent / "shared/corpus/realworld"))
BASES = {"v2": CORPUS / "009_lucashelfs__simple_mlops", "v3": CORPUS / "014_oleh-edu__goitneo-argo",
         "pyfunc": CORPUS / "003_ts-azure-services__local-mlflow-aml-endpoint",
         "code": CORPUS / "005_xiyuhao__RigNetModelServing"}
ROOT = Path(os.environ.get("MODELCHECK_FIXTURE_ROOT", REPO / "tests/rules"))
FIXTURES = REPO / "tests/fixtures/mlflow"

def make(code, outcome, case, base="v2", edit=None, raw=None, files=None, remove=(), expect=None):
    d = ROOT / code / outcome / case
    if d.exists():
        shutil.rmtree(d)
    shutil.copytree(BASES[base], d)
    ml = d / "MLmodel"
    if raw is not None:
        if isinstance(raw, bytes):
            ml.write_bytes(raw)
        else:
            ml.write_text(raw)
    elif edit is not None:
        text = ml.read_text()
        new = edit(text)
        assert new != text, (code, case)
        ml.write_text(new)
    for rel, content in (files or {}).items():
        p = d / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            p.mkdir(exist_ok=True)
        elif isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
    for rel in remove:
        p = d / rel
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    if expect:
        (d / ".expect.json").write_text(json.dumps(expect))
    return d

def sub(old, new, count=1):
    def f(t):
        assert old in t, old
        return t.replace(old, new, count)
    return f
