"""Requirement-line parsing: positions, kinds, and a parse -> format -> parse round trip."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from modelcheck.formats.requirements.parse import (
    format_requirement,
    parse_requirement_line,
    parse_requirements_text,
)

TEXT = """mlflow==3.18.0
# a comment

numpy>=1 ; python_version<'3.12' --hash=sha256:abc
-r other.txt
-c constraints.txt
--extra-index-url https://x/simple
-e git+https://github.com/a/b.git#egg=b
./local/pkg
pkg @ https://x/y.whl
foo[bar,baz]~=1.2 \\
   ; sys_platform == 'linux'
this is bad ==
--no-such-option"""


def test_kinds_lines_and_options() -> None:
    rf = parse_requirements_text(TEXT, "requirements.txt")
    by_line = {r.line: r for r in rf.lines}
    assert by_line[1].name == "mlflow" and str(by_line[1].specifier) == "==3.18.0"
    assert by_line[4].hashes == ("sha256:abc",) and str(by_line[4].marker) == \
        'python_version < "3.12"'
    assert rf.includes("requirements")[0][1] == "other.txt"
    assert rf.includes("constraints")[0][1] == "constraints.txt"
    assert by_line[7].options == {"extra_index_urls": ["https://x/simple"]}
    assert by_line[8].editable and by_line[8].is_vcs and by_line[8].name == "b"
    assert by_line[9].is_local_path and by_line[9].name is None
    assert by_line[10].url == "https://x/y.whl" and not by_line[10].is_vcs
    assert by_line[11].extras == {"bar", "baz"}  # continuation line keeps its first line
    assert [r.line for r in rf.invalid] == [13, 14]
    assert rf.comment_lines == [2] and rf.blank_lines == [3] and not rf.trailing_newline


def test_conda_entry_and_name_normalisation() -> None:
    r = parse_requirement_line("Scikit_Learn == 1.0", "conda.yaml", 9)
    assert (r.name, r.line, r.canonical()) == ("scikit-learn", 9, "scikit-learn==1.0")
    assert parse_requirement_line("", "conda.yaml", 3).kind == "invalid"


def test_parser_never_opens_included_files(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "other.txt").write_text("evil==1\n")
    rf = parse_requirements_text("-r other.txt\nnumpy", "requirements.txt")
    assert [r.name for r in rf.requirements] == ["numpy"]


_name = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,5}([._-][A-Za-z0-9]{1,4})?", fullmatch=True)
_ver = st.lists(st.integers(0, 30), min_size=1, max_size=3).map(lambda xs: ".".join(map(str, xs)))
_op = st.sampled_from(["==", "!=", ">=", "<=", ">", "<", "~="])
_spec = st.tuples(_op, _ver).filter(lambda t: t[0] != "~=" or "." in t[1]).map("".join)
_marker = st.sampled_from(["", 'python_version < "3.12"', 'sys_platform == "linux"',
                           'python_version >= "3.9" and os_name == "posix"'])


@settings(max_examples=150, deadline=None)
@given(_name, st.lists(_name, max_size=2), st.lists(_spec, max_size=3), _marker)
def test_round_trip(name: str, extras: list[str], specs: list[str], marker: str) -> None:
    line = name + (f"[{','.join(extras)}]" if extras else "") + ",".join(specs)
    if marker:
        line += f"; {marker}"
    first = parse_requirement_line(line, "requirements.txt", 1)
    assert first.kind == "requirement", first.error
    again = parse_requirement_line(format_requirement(first), "requirements.txt", 1)
    assert again.kind == "requirement"
    assert (again.name, again.extras, again.specifier, again.marker_text) == \
        (first.name, first.extras, first.specifier, first.marker_text)
    assert again.canonical() == first.canonical()
