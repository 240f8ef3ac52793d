"""The requirement fast path (plain ``name[extras] specifiers`` lines parsed with packaging
directly, and per-line caching) gives exactly what pip-requirements-parser's full path gives."""

from __future__ import annotations

from pathlib import Path

import pip_requirements_parser as prp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelcheck.formats.requirements.parse import (
    _parse_cached,
    _parse_logical,
    parse_requirement_line,
    parse_requirements_text,
)
from modelcheck.records import as_dict

REPO = Path(__file__).resolve().parent.parent
TRICKY = [
    "numpy", "numpy==1.26.4", "NumPy >= 1.0 , < 2", "scikit_learn[alldeps]==1.5.0",
    "foo[ bar , baz ]~=1.2", "pkg===1.0", "pkg==1.0.*", "pkg!=2", "a-b.c_d>0", "torch==2.1+cpu",
    "foo.zip", "foo.whl", "foo.tar.gz", "foo.zip==1", "x==1.0 --hash=sha256:abc", "x==", "x=1.0",
    "x==1.0]", "foo-", "-foo", "x>=1.0[extra]", "x==1.0 -r other.txt", "pkg==1.0  ", "pkg  ==1",
    "mlflow==3.18.0", "pkg == 1.0 , != 1.1", "pkg<>1", "pkg~1", "9lives==1", "a==1a1.dev0",
]


def _full(line: str):
    return _parse_logical(prp, prp.get_line_parser(), line, 0, "")


@pytest.mark.parametrize("line", TRICKY)
def test_fast_path_matches_full_parser(line: str) -> None:
    fast = _parse_cached(line)
    full = _full(line)
    if fast is None:
        assert full.kind != "requirement"
    else:
        assert as_dict(fast) == as_dict(full)


def test_every_committed_requirement_line_agrees() -> None:
    seen = 0
    for path in sorted(REPO.glob("tests/**/requirements.txt"))[:400]:
        for raw in path.read_text(errors="replace").splitlines():
            line = raw.strip()
            if line and not line.startswith("#") and "\\" not in line:
                fast = _parse_cached(line)
                if fast is not None:
                    seen += 1
                    assert as_dict(fast) == as_dict(_full(line)), line
    assert seen > 100


@pytest.mark.parametrize("line", [
    "-r requirements.txt", "-c constraints.txt", "--requirement=req.txt", "--constraint c.txt",
    "-r  requirements.txt", "-r sub/dir/r-1.txt", "-r a b.txt", "-r=x.txt", "-rreq.txt",
    "-r", "-r -x.txt", "-r 'q.txt'", "-r $HOME/r.txt", "-r ../up.txt",
])
def test_include_fast_path_matches_full_parser(line: str) -> None:
    from modelcheck.formats.requirements.parse import _parse_one

    got = _parse_one(line, 3, "python_env.yaml")
    want = _parse_logical(prp, prp.get_line_parser(), line, 3, "python_env.yaml")
    assert as_dict(got) == as_dict(want)


def test_cached_lines_keep_their_own_place() -> None:
    a = parse_requirement_line("numpy==1.26.4", "conda.yaml", 7)
    b = parse_requirement_line("numpy==1.26.4", "python_env.yaml", 3)
    assert (a.file, a.line, b.file, b.line) == ("conda.yaml", 7, "python_env.yaml", 3)
    rf = parse_requirements_text("\nnumpy==1.26.4\n  pandas\n", "requirements.txt")
    assert [(r.line, r.name) for r in rf.lines] == [(2, "numpy"), (3, "pandas")]
    assert rf.blank_lines == [1]


_name = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,6}[A-Za-z0-9])?", fullmatch=True)
_spec = st.from_regex(r"( ?(==|>=|<=|!=|~=|<|>|===) ?[0-9a-z.*+!-]{1,8}){0,2}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(_name, st.sampled_from(["", "[x]", "[a,b]"]), _spec)
def test_generated_lines_agree(name: str, extras: str, spec: str) -> None:
    line = f"{name}{extras}{spec.replace(' ', '', 1)}"
    fast = _parse_cached(line)
    full = _full(line)
    if fast is None:
        assert full.kind != "requirement"
    else:
        assert as_dict(fast) == as_dict(full), line


_ver = st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,3}", fullmatch=True)
_op = st.sampled_from(["==", "!=", ">=", "<=", "<", ">"])


@settings(max_examples=300, deadline=None)
@given(_name, st.lists(st.tuples(_op, _ver), max_size=3))
def test_pinned_lines_agree(name: str, specs: list[tuple[str, str]]) -> None:
    line = name + ",".join(op + v for op, v in specs)
    fast = _parse_cached(line)
    full = _full(line)
    assert fast is not None and full.kind == "requirement", line
    assert as_dict(fast) == as_dict(full), line
