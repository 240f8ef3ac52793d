"""Break copies of the real built-in-flavor packages and check modelcheck says where.

The packages under tests/fixtures/mlflow/<version>/ were written by real MLflow
(tests/generate_fixtures.py, tests/gen/flavor_cases.py). Each test copies one to a temp dir,
breaks one thing MLflow's loader depends on, and asserts the finding names the right file:

- the file or directory the flavor's path key names is deleted -> MC209 at MLmodel, naming
  the key (the loader opens ``<package>/<value>``: FileNotFoundError);
- the flavor's library is left out of requirements.txt and conda.yaml -> MC506 at
  requirements.txt (a rebuilt environment does not install it);
- the library's pin disagrees with the version MLmodel records -> MC506 at the pin's line;
- the path key is renamed -> MC218 at MLmodel's flavor line when the loader needs it
  (``flavor_conf["data"]``: KeyError; ``os.path.join(d, conf.get("data"))``: TypeError); a
  loader with a default path (``conf.get("data", "model.cb")``) still loads the file when it is
  at that default, so only renaming the file away as well is reported.

No mlflow is needed: only the committed packages and modelcheck.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelcheck.api import check_package
from modelcheck.results import Finding

ROOT = Path(__file__).parent / "fixtures" / "mlflow"

# native flavor -> (the key MLflow's loader reads the model from, the library's pip name).
# From MLflow's loaders: mlflow/<flavor>/__init__.py `_load_pyfunc`/`load_model`.
NATIVE: dict[str, tuple[str, str]] = {
    "xgboost": ("data", "xgboost"),
    "lightgbm": ("data", "lightgbm"),
    "catboost": ("data", "catboost"),
    "statsmodels": ("data", "statsmodels"),
    "onnx": ("data", "onnx"),
    "pytorch": ("model_data", "torch"),
    "keras": ("data", "keras"),
    "spark": ("model_data", "pyspark"),
    "h2o": ("data", "h2o"),
    "spacy": ("data", "spacy"),
    "prophet": ("data", "prophet"),
    "pmdarima": ("data", "pmdarima"),
    "transformers": ("model_binary", "transformers"),
    "diviner": ("data", "diviner"),
}


def _cases() -> list[tuple[str, str, str]]:
    out = []
    for ver_dir in sorted(p for p in ROOT.iterdir() if (p / "CASES.json").is_file()):
        for name in sorted(json.loads((ver_dir / "CASES.json").read_text())["cases"]):
            meta = yaml.safe_load((ver_dir / name / "MLmodel").read_text())
            flavors = [f for f in meta["flavors"] if f in NATIVE]
            if flavors and NATIVE[flavors[0]][0] in meta["flavors"][flavors[0]]:
                out.append((ver_dir.name, name, flavors[0]))
    return out


CASES = _cases()
IDS = [f"{v}-{c}" for v, c, _ in CASES]


def test_every_native_flavor_has_a_fixture() -> None:
    """The committed tree covers each flavor in the table, on both MLflow lines."""
    for ver in ("3.18.0", "2.17.2"):
        have = {f for v, _, f in CASES if v == ver}
        missing = set(NATIVE) - have
        # transformers on 2.x needs torchvision; see tests/fixtures/mlflow/README.md; MLflow 3
        # has no diviner flavor
        absent = {"transformers", "keras"} | ({"diviner"} if ver.startswith("3.") else set())
        assert not missing - absent, (ver, sorted(missing))


def _copy(tmp_path: Path, ver: str, case: str) -> Path:
    dest = tmp_path / case
    shutil.copytree(ROOT / ver / case, dest)
    return dest


def _findings(pkg: Path) -> list[Finding]:
    return check_package(str(pkg)).findings


def _show(fs: list[Finding]) -> str:
    return "\n".join(f"  {f.code} {f.file}:{f.line} {f.pointer} {f.message}" for f in fs)


def _conf(pkg: Path, flavor: str) -> dict[str, Any]:
    return yaml.safe_load((pkg / "MLmodel").read_text())["flavors"][flavor]


@pytest.mark.parametrize(("ver", "case", "flavor"), CASES, ids=IDS)
def test_deleted_model_file_is_reported_at_mlmodel(
    tmp_path: Path, ver: str, case: str, flavor: str
) -> None:
    pkg = _copy(tmp_path, ver, case)
    key = NATIVE[flavor][0]
    value = _conf(pkg, flavor)[key]
    target = pkg / value
    assert target.exists(), target
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    fs = _findings(pkg)
    hits = [f for f in fs if f.code == "MC209" and f"flavors/{flavor}/{key}" in f.message]
    assert hits, f"deleting {value} ({flavor}.{key}) was not reported:\n{_show(fs)}"
    assert all(f.file == "MLmodel" and f.line for f in hits), _show(hits)
    assert repr(value) in hits[0].message


def _pip_lines(pkg: Path, lib: str) -> list[str]:
    pat = re.compile(rf"^{re.escape(lib)}\s*(==|>=|<=|~=|<|>|$)", re.I)
    return [ln for ln in (pkg / "requirements.txt").read_text().splitlines()
            if pat.match(ln.strip())]


def _edit_both(pkg: Path, old: str, new: str) -> None:
    """Apply one edit to requirements.txt and to conda.yaml's pip list, so they still agree."""
    req = pkg / "requirements.txt"
    req.write_text(req.read_text().replace(old + "\n", new + "\n" if new else "")
                   if (old + "\n") in req.read_text() else req.read_text().replace(old, new))
    conda = pkg / "conda.yaml"
    text = conda.read_text()
    m = re.search(rf"^( +- ){re.escape(old)}\n", text, re.M)
    assert m, (old, text)
    conda.write_text(text[:m.start()] + (f"{m.group(1)}{new}\n" if new else "")
                     + text[m.end():])


PINNED = [(v, c, f) for v, c, f in CASES if _pip_lines(ROOT / v / c, NATIVE[f][1])]


@pytest.mark.parametrize(("ver", "case", "flavor"), PINNED,
                         ids=[f"{v}-{c}" for v, c, _ in PINNED])
def test_flavor_library_left_out_of_requirements(
    tmp_path: Path, ver: str, case: str, flavor: str
) -> None:
    pkg = _copy(tmp_path, ver, case)
    lib = NATIVE[flavor][1]
    for line in _pip_lines(pkg, lib):
        _edit_both(pkg, line, "")
    assert not _pip_lines(pkg, lib)
    fs = _findings(pkg)
    hits = [f for f in fs if f.code == "MC506" and f"no {lib} requirement" in f.message]
    assert hits, f"{lib} removed from requirements was not reported:\n{_show(fs)}"
    assert hits[0].file == "requirements.txt", _show(hits)


@pytest.mark.parametrize(("ver", "case", "flavor"), PINNED,
                         ids=[f"{v}-{c}" for v, c, _ in PINNED])
def test_flavor_library_pin_disagrees_with_mlmodel(
    tmp_path: Path, ver: str, case: str, flavor: str
) -> None:
    pkg = _copy(tmp_path, ver, case)
    lib = NATIVE[flavor][1]
    line = _pip_lines(pkg, lib)[0]
    _edit_both(pkg, line, f"{lib}==0.0.1")
    want = (pkg / "requirements.txt").read_text().splitlines().index(f"{lib}==0.0.1") + 1
    fs = _findings(pkg)
    hits = [f for f in fs if f.code == "MC506" and f"excludes {lib}" in f.message]
    assert hits, f"{lib}==0.0.1 vs MLmodel was not reported:\n{_show(fs)}"
    assert hits[0].file == "requirements.txt" and hits[0].line == want, _show(hits)


# flavor -> the path its load_model falls back to when the key is absent (MLflow 2.17.2 and
# 3.18.0: catboost/statsmodels/h2o/spacy/prophet/pmdarima `flavor_conf.get("data", <default>)`,
# keras `mlflow/keras/load.py` `.get("data", "model")`, transformers `model_io.py`
# `.get("model_binary", "pipeline")`); the other flavors of NATIVE have no default.
LOADER_DEFAULT: dict[str, str] = {
    "catboost": "model.cb", "statsmodels": "model.statsmodels", "h2o": "model.h2o",
    "spacy": "model.spacy", "prophet": "model.pr", "pmdarima": "model.pmd", "keras": "model",
    "transformers": "pipeline", "diviner": "model.div",
}


def _key_hits(fs: list[Finding], flavor: str, key: str) -> list[Finding]:
    return [f for f in fs if f.code == "MC218" and f.file == "MLmodel"
            and f.level.name == "ERROR" and flavor in f.message and repr(key) in f.message]


@pytest.mark.parametrize(("ver", "case", "flavor"), CASES, ids=IDS)
def test_renamed_model_key_is_reported(tmp_path: Path, ver: str, case: str, flavor: str) -> None:
    pkg = _copy(tmp_path, ver, case)
    key = NATIVE[flavor][0]
    ml = pkg / "MLmodel"
    text = ml.read_text()
    block = re.search(rf"^  {flavor}:\n((?:    .*\n)+)", text, re.M)
    assert block and f"    {key}: " in block.group(1), text
    value = yaml.safe_load(text)["flavors"][flavor][key]
    new_block = block.group(1).replace(f"    {key}: ", f"    {key}_file: ", 1)
    ml.write_text(text[:block.start(1)] + new_block + text[block.end(1):])
    assert key not in yaml.safe_load(ml.read_text())["flavors"][flavor]
    fs = _findings(pkg)
    hits = _key_hits(fs, flavor, key)
    default = LOADER_DEFAULT.get(flavor)
    if default != value:  # no default, or the default is not where the model is
        assert hits, f"{flavor}.{key} renamed was not reported:\n{_show(fs)}"
        assert hits[0].line == text[:block.start(1)].count("\n"), _show(hits)
        assert f"{key}_file" in hits[0].message, hits[0].message  # names the look-alike
        return
    # MLflow loads <default> without the key: no finding, until the file is moved away too
    assert not hits, _show(hits)
    (pkg / value).rename(pkg / f"{value}.moved")
    hits = _key_hits(_findings(pkg), flavor, key)
    assert hits and repr(default) in hits[0].message, f"{flavor}: default gone, not reported"
