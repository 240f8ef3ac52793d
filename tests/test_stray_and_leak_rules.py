"""Value-level tests of MC117 (run ids), MC130 (e-mail folders in MLmodel paths), MC652
(nested tracking stores) and MC653 (native executables), on the helpers the rules use."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from modelcheck.package.model_package import ModelPackage
from modelcheck.rules import stray_content
from modelcheck.rules.mlmodel_ids import _MLFLOW_RUN_ID
from modelcheck.rules.mlmodel_paths_leak import home_user, mask_email, path_email
from modelcheck.sources.local import LocalSource

BASE = Path(__file__).parent / "rules" / "MC650" / "pass" / "clean"
# mlflow/utils/validation.py _RUN_ID_REGEX, as MLflow compiles it (str pattern: Unicode \w)
MLFLOW_RUN_ID = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")


@pytest.mark.parametrize("rid", [
    "4f7f7ec530f64c0d9f3ce7ad0c505635",  # OSS / Databricks uuid4().hex
    "64a1fab6-897f-4192-a3e3-e33f25f3447f",  # AzureML / Fabric dashed GUID
    "loving_cup_abc123xyz", "AutoML_10130521-b795-4dad-a761-ac7258e79c98_0",
    "regressao-casas_9", "a", "a" * 256, "Run_é",
    "", "-abc", "_abc", "runs:/abc/model", "my run", "a" * 257, "abc/def", "ab.c", "é",
])
def test_run_id_form_is_mlflows(rid: str) -> None:
    assert bool(_MLFLOW_RUN_ID.match(rid)) == bool(MLFLOW_RUN_ID.match(rid))


@pytest.mark.parametrize(("value", "email"), [
    ("/Workspace/Users/alice@corp.com/agents/chain.py", "alice@corp.com"),
    ("/Users/alice.jones@corp.com/exp/model.py", "alice.jones@corp.com"),
    ("/Workspace/Repos/carol@corp.co.uk/app/prompt.txt", "carol@corp.co.uk"),
    ("/Repos/carol+ml@corp.co.uk/app", "carol+ml@corp.co.uk"),
    ("dbfs:/Users/bob.smith%40example.org/ames/model.pkl", "bob.smith@example.org"),
    ("/dbfs/Users/bob@example.org/x", "bob@example.org"),
    ("file:/Workspace/Users/dave@corp.com/Train model", "dave@corp.com"),
    ("C:\\Users\\erin@corp.com\\proj\\x.py", "erin@corp.com"),
    ("/Volumes/main/default/dave@corp.com/data.csv", "dave@corp.com"),
    # not a folder that is an e-mail address
    ("abfss://models@acct.dfs.core.windows.net/ames/train.parquet", None),
    ("wasbs://c@acct.blob.core.windows.net/x/y", None),
    ("git+ssh://git@github.com/org/repo.git@v1.2", None),
    ("https://user%40corp.com@wiki.corp.com/page", None),
    ("alice@corp.com", None),
    ("/Workspace/Users/5f1c2d3e-1111-2222-3333-444455556666/chain.py", None),
    ("dbfs:/databricks/mlflow-tracking/680/logged_models/m-a1/artifacts", None),
    ("/home/alice/exp/model.py", None),
    ("torch==2.1.0+cu121@https://x", None),
])
def test_path_email(value: str, email: str | None) -> None:
    assert path_email(value) == email


def test_mask_email_and_home_user_agree_on_email_folders() -> None:
    assert mask_email("alice@corp.com") == "a…@corp.com"
    # MC128 would name the folder too; it leaves e-mail folders to MC130
    assert home_user("/Users/alice@corp.com/x") == "alice@corp.com"
    assert path_email("/Users/alice@corp.com/x") == "alice@corp.com"


ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(120)


def _pe(off: int = 128) -> bytes:
    head = bytearray(b"MZ" + bytes(off + 200))
    head[60:64] = off.to_bytes(4, "little")
    head[off:off + 4] = b"PE\x00\x00"
    return bytes(head)


@pytest.mark.parametrize(("head", "kind"), [
    (ELF, "ELF"), (_pe(), "PE"), (_pe(64), "PE"),
    (b"\xcf\xfa\xed\xfe" + bytes(60), "Mach-O"), (b"\xfe\xed\xfa\xce" + bytes(60), "Mach-O"),
    (b"\xca\xfe\xba\xbe\x00\x00\x00\x02" + bytes(60), "Mach-O"),  # universal, 2 archs
    (b"\xca\xfe\xba\xbe\x00\x00\x00\x37" + bytes(60), None),  # a Java class file
    (b"MZ" + bytes(200), None),  # MZ without a PE signature
    (b"MZ is a fine name for a text file\n" * 4, None),
    (b"\x80\x04\x95" + bytes(60), None),  # a pickle
    (b"PK\x03\x04" + bytes(60), None), (b"\x89HDF\r\n\x1a\n" + bytes(60), None),
    (b"#!/bin/sh\n" + bytes(60), None), (b"", None),
])
def test_native_kind(head: bytes, kind: str | None) -> None:
    assert stray_content.native_kind(head) == kind


RUN = "4f7f7ec530f64c0d9f3ce7ad0c505635"


@pytest.mark.parametrize(("paths", "roots"), [
    ([f"mlruns/0/{RUN}/meta.yaml", "mlruns/0/meta.yaml"], ["mlruns"]),
    ([f"mlruns/0/{RUN}/artifacts/model/MLmodel"], ["mlruns"]),  # named store, no meta
    ([f"old/7/{RUN}/metrics/rmse"], ["old"]),
    ([f"t/52/models/m-{RUN}/meta.yaml"], ["t"]),
    ([f"mlruns/0/{RUN}/artifacts/m/mlruns/1/{RUN}/meta.yaml"], ["mlruns"]),  # nested: outer
    (["0/meta.yaml"], [""]),
    # look-alikes: TF Serving version folders, a run id without store files, results/<n>/
    (["export/1/saved_model.pb", "export/1/variables/variables.index"], []),
    ([f"runs/{RUN}/artifacts/plot.png", f"x/3/{RUN}/artifacts/a.png"], []),
    (["results/0/summary.yaml", "data/1/meta.yml"], []),
])
def test_store_roots(paths: list[str], roots: list[str]) -> None:
    assert stray_content.store_roots(paths) == roots


@pytest.mark.parametrize(("name", "candidate"), [
    ("bin/ls", True), ("bin/python3.11", True), ("lib/libssl.so.3", True), ("a.dll", True),
    ("model.pkl", False), ("MLmodel", True), ("conda.yaml", False), ("x.py", False),
])
def test_candidate_names(name: str, candidate: bool) -> None:
    assert stray_content._candidate(name) == candidate


def test_header_reads_are_bounded(tmp_path: Path) -> None:
    """Past HEADER_READS candidate files the rule stops reading and says 'at least'."""
    pkg_dir = tmp_path / "pkg"
    shutil.copytree(BASE, pkg_dir)
    (pkg_dir / "bin").mkdir()
    for i in range(stray_content.HEADER_READS + 5):
        (pkg_dir / "bin" / f"tool{i:05d}").write_bytes(ELF)
    hits = list(stray_content.stray_executables.check(ModelPackage(LocalSource(str(pkg_dir)))))
    assert len(hits) == 1
    # MLmodel and friends are candidates too (no extension) but hold no ELF header
    assert "holds at least " in hits[0].message and "native executables" in hits[0].message
    assert str(stray_content.HEADER_READS + 5) not in hits[0].message
