"""MC525: pip's all-or-nothing hash-checking mode switched on by part of a requirement list."""

from __future__ import annotations

import re

from modelcheck.formats.requirements.parse import ReqLine
from modelcheck.package.envfiles import env_of
from modelcheck.results import Hit, Level
from modelcheck.rule import rule

_URL_HASH = re.compile(r"#(?:.*&)?(sha256|sha384|sha512|md5|sha1|sha224)=", re.I)


def _hashed(r: ReqLine) -> bool:
    return bool(r.hashes) or bool(r.url and _URL_HASH.search(r.url))


def _pinned(r: ReqLine) -> bool:
    return bool(r.url) or any(s.operator in ("==", "===") and "*" not in s.version
                              for s in r.specifier)


@rule("MC525", "requirement-hashes-incomplete", Level.ERROR, tags=("env",))
def requirement_hashes_incomplete(pkg):
    """A `--hash` on some requirements turns on hash checking, which the others then fail.

    What it checks
    In `requirements.txt` and in the `pip:` list of `conda.yaml` (each is one `pip install`),
    once any requirement carries `--hash=...` (or a URL `#sha256=` fragment) or the list has
    `--require-hashes`, every requirement must carry a hash and be pinned with `==`.

    Why it matters
    Hash checking is all or nothing in pip: one hashed line makes pip refuse every line
    without a hash ("Hashes are required in --require-hashes mode, but they are missing from
    some requirements") and every requirement not pinned with `==`, so restoring the model's
    environment (`mlflow models serve`, `env_manager=virtualenv|uv|conda`) fails. MLflow also
    installs dependencies of the listed packages, which then need hashes too: a hashed list
    only works when it is a complete lock.

    Example
    `scikit-learn==1.5.0 --hash=sha256:...` on one line and `mlflow==2.17.2` without a hash
    on the next.

    How to fix
    Remove the `--hash` options (MLflow never writes them), or generate a complete hashed lock
    (`pip-compile --generate-hashes`) covering every requirement and its dependencies.
    """
    env = env_of(pkg)
    lists: list[tuple[str, list[ReqLine]]] = []
    if env.requirements is not None:
        lists.append((env.requirements.file, env.requirements.lines))
    if env.conda is not None and env.conda.pip is not None:
        lists.append((env.conda.file, env.conda.pip))
    for file, lines in lists:
        reqs = [r for r in lines if r.kind == "requirement"]
        trigger = next((r for r in reqs if _hashed(r)), None)
        forced = next((r for r in lines if r.kind == "option"
                       and r.options.get("require_hashes")), None)
        if trigger is None and forced is None:
            continue
        at = trigger if trigger is not None else forced
        assert at is not None
        cause = (f"line {at.line} ({at.name or at.text.split()[0]}) has a --hash"
                 if trigger is not None else f"line {at.line} sets --require-hashes")
        bad = [r for r in reqs if not (_hashed(r) and _pinned(r))]
        if not bad:
            continue
        names = ", ".join(f"{r.name or r.text.strip()[:60]} (line {r.line})" for r in bad[:8])
        more = f" and {len(bad) - 8} more" if len(bad) > 8 else ""
        yield Hit(f"{file} {cause}, which turns on pip's all-or-nothing hash-checking mode, but "
                  f"{len(bad)} requirement{'s' if len(bad) > 1 else ''} lack a hash or an == pin:"
                  f" {names}{more}; pip refuses them and the environment cannot be installed",
                  file=file, line=at.line, pointer=f"/line/{at.line}", key="hash-mode",
                  fix="remove every --hash option, or add a hash (and an == pin) to every "
                      "requirement and its dependencies (pip-compile --generate-hashes)")
