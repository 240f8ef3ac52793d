"""Build the fixtures of MC650 (conda temp file), MC652 (nested tracking store) and MC653
(stray native executables) under tests/rules/, from the clean MC650 package.

Run from the repository root: python tests/gen/build_stray_content_fixtures.py
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

RULES = Path(__file__).resolve().parent.parent / "rules"
BASE = RULES / "MC650" / "pass" / "clean"
RUN = "4f7f7ec530f64c0d9f3ce7ad0c505635"
MODEL_ID = "m-7ce05f84ec1d40949de61a92d1b567ab"


def elf(n: int = 0) -> bytes:
    """A 64-bit little-endian ELF header, padded (enough for a magic-number test)."""
    return b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + bytes(100 + n)


def pe() -> bytes:
    """A DOS stub whose e_lfanew (offset 60) points at a 'PE\\0\\0' signature."""
    head = bytearray(b"MZ" + bytes(126))
    head[60:64] = (128).to_bytes(4, "little")
    return bytes(head) + b"PE\x00\x00" + bytes(200)


def macho() -> bytes:
    return b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + bytes(120)


def java_class() -> bytes:
    return b"\xca\xfe\xba\xbe\x00\x00\x00\x37" + bytes(120)  # class file version 55


def case(code: str, outcome: str, name: str, files: dict[str, bytes | str],
         expect: dict | None = None, mlmodel: tuple[str, str] | None = None) -> None:
    d = RULES / code / outcome / name
    if d.exists():
        shutil.rmtree(d)
    shutil.copytree(BASE, d)
    for rel, data in files.items():
        p = d / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            p.write_text(data)
        else:
            p.write_bytes(data)
    if mlmodel:
        text = (d / "MLmodel").read_text()
        assert mlmodel[0] in text, mlmodel[0]
        (d / "MLmodel").write_text(text.replace(mlmodel[0], mlmodel[1], 1))
    if expect is not None:
        (d / ".expect.json").write_text(json.dumps(expect, indent=1) + "\n")


def store(root: str, exp: str = "0", run: str = RUN, *, model: bool = True) -> dict:
    files: dict[str, bytes | str] = {
        f"{root}/{exp}/meta.yaml": f"artifact_location: file:///home/alice/proj/{root}/{exp}\n"
                                   f"experiment_id: '{exp}'\nlifecycle_stage: active\n"
                                   "name: Default\n",
        f"{root}/{exp}/{run}/meta.yaml": f"run_id: {run}\nuser_id: alice\n"
                                         "source_name: /home/alice/proj/train.py\n",
        f"{root}/{exp}/{run}/metrics/rmse": "1700000000000 0.71 0\n",
        f"{root}/{exp}/{run}/params/alpha": "0.5",
        f"{root}/{exp}/{run}/tags/mlflow.user": "alice",
    }
    if model:
        files[f"{root}/{exp}/{run}/artifacts/model/MLmodel"] = (BASE / "MLmodel").read_text()
        files[f"{root}/{exp}/{run}/artifacts/model/model.pkl"] = (BASE / "model.pkl").read_bytes()
    return files


def main() -> None:
    # MC650: conda's temp requirements file
    case("MC650", "fail", "conda_temp_requirements",
         {"condaenv.skzux7jr.requirements.txt": "mlflow\ntorch==1.9.0\n"},
         {"count": 1, "messages": ["conda temporary requirements file"],
          "file": "condaenv.skzux7jr.requirements.txt"})
    case("MC650", "pass", "conda_named_files",
         {"condaenv.yaml": "name: env\n", "requirements-condaenv.txt": "numpy\n",
          "condaenv.requirements.txt.md": "notes\n"})

    # MC652: nested tracking stores
    case("MC652", "fail", "mlruns_beside_mlmodel", {**store("mlruns"), "mlruns/.trash/x": "x"},
         {"count": 1, "file": "mlruns", "level": "warning",
          "messages": ["mlruns/ is an MLflow tracking store", "1 experiment(s), 1 run(s), "
                       "1 MLmodel(s)"]})
    case("MC652", "fail", "store_copied_through_code_paths",
         store("code/project/mlruns", exp="1", model=False),
         {"count": 1, "file": "code/project/mlruns",
          "messages": ["copied in through code_paths", "0 MLmodel(s)"]},
         mlmodel=("    code: null", "    code: code"))
    case("MC652", "fail", "mlflow3_logged_models_no_store_name", {
        f"tracking/52/models/{MODEL_ID}/meta.yaml": f"model_id: {MODEL_ID}\n",
        f"tracking/52/models/{MODEL_ID}/artifacts/MLmodel": (BASE / "MLmodel").read_text(),
        "tracking/52/meta.yaml": "experiment_id: '52'\nname: exp\n"},
        {"count": 1, "file": "tracking", "messages": ["1 experiment(s), 0 run(s), 1 MLmodel(s)"]})
    case("MC652", "pass", "tf_serving_versions_and_run_like_names", {
        "export/1/saved_model.pb": b"\x08\x01" + bytes(40),
        "export/1/variables/variables.index": bytes(30),
        f"runs/{RUN}/artifacts/plot.png": b"\x89PNG" + bytes(20),
        "results/0/summary.yaml": "ok: true\n",
        "mlruns.md": "we keep the tracking store elsewhere\n"})
    case("MC652", "pass", "store_named_by_a_pyfunc_artifact",
         store("artifacts/baseline_store", exp="3"),
         mlmodel=("    predict_fn: predict\n",
                  "    predict_fn: predict\n    artifacts:\n      baseline:\n"
                  "        path: artifacts/baseline_store\n        uri: baseline_store\n"))

    # MC653: stray native executables
    copied = {f"bin/{n}": elf(i) for i, n in enumerate(["ls", "cp", "python3.11", "curl",
                                                         "openssl"])}
    copied["bin/pip"] = "#!/usr/bin/env python3\nimport sys\n" + "# pad\n" * 20
    copied["bin/activate"] = "# source me\n" * 20
    case("MC653", "fail", "copied_bin_folder", copied,
         {"count": 1, "file": "bin", "level": "warning",
          "messages": ["bin/ holds 5 native executables or libraries (ELF) and 1 script",
                       "copied environment"]})
    case("MC653", "fail", "lone_windows_exe_at_root", {"helper.exe": pe()},
         {"count": 1, "file": "helper.exe", "level": "note",
          "messages": ["the package root holds 1 native executable or library (PE)"]})
    case("MC653", "fail", "mixed_platform_libs", {
        "vendor/linux/libfast.so.1": elf(), "vendor/mac/libfast.dylib": macho(),
        "vendor/win/fast.dll": pe()},
        {"count": 1, "file": "vendor", "messages": ["ELF/Mach-O/PE", "vendor/"]})
    case("MC653", "pass", "binaries_a_flavor_or_mlflow_names", {
        "code/native/libfast.so": elf(), "extra_files/tool.dylib": macho(),
        "artifacts/bin/helper": elf(), "native/model.so": elf(),
        "tools/Main.class": java_class(), "MZ_notes": "MZ is not a PE header on its own\n" * 4,
        "wheels/fast-1.0-cp311-cp311-linux_x86_64.whl": b"PK\x03\x04" + bytes(100)},
        mlmodel=("  sklearn:\n", "  native_runtime:\n    library: native/model.so\n"
                                 "    code: code\n  sklearn:\n"))


if __name__ == "__main__":
    main()
