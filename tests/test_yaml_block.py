"""The direct block-YAML reader agrees with the ruamel path wherever it answers at all.

For every document it accepts, the data (values and their types) and the position of every
node must be exactly what ruamel (libyaml when installed) gives; everything else must be left
to ruamel (read_block returns None). Documents come from every YAML file in the repository
and the real-world corpus, from PyYAML's ``safe_dump`` of generated data at widths that fold
long strings, and from random edits of those.
"""

from __future__ import annotations

import glob
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_yaml_pyyaml_agreement import GENERATED, TRICKY

from modelcheck.formats.yaml import loader as yamlio
from modelcheck.formats.yaml.block import read_block

yaml = pytest.importorskip("yaml")

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "realworld"


def _block(text: str) -> Any:
    return read_block(text)


def _ruamel(text: str) -> yamlio.YamlDoc:
    pure = yamlio._NOT_PLAIN.search(text) is not None
    return yamlio._load(yamlio._parser(pure=pure), text)


def _same_data(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same_data(a[k], b[k]) for k in a) \
            and all(type(k) is type(j) for k, j in zip(a, b, strict=True))
    if isinstance(a, list):
        return len(a) == len(b) and all(_same_data(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def _same_nodes(a: Any, b: Any, path: str = "") -> None:
    assert type(a).__name__ == type(b).__name__, path
    assert (a.start_mark.line, a.start_mark.column) == \
        (b.start_mark.line, b.start_mark.column), path
    kind = type(a).__name__
    if kind == "ScalarNode":
        assert a.value == b.value, path
    elif kind == "MappingNode":
        assert len(a.value) == len(b.value), path
        for (k1, v1), (k2, v2) in zip(a.value, b.value, strict=True):
            _same_nodes(k1, k2, f"{path}/key:{k1.value}")
            _same_nodes(v1, v2, f"{path}/{k1.value}")
    else:
        assert len(a.value) == len(b.value), path
        for i, (x, y) in enumerate(zip(a.value, b.value, strict=True)):
            _same_nodes(x, y, f"{path}/{i}")


def agree(text: str) -> bool:
    """True when the reader answered (and agreed); False when it left the text to ruamel."""
    got = _block(text)
    if got is None:
        return False
    ref = _ruamel(text)
    assert ref.problem is None and not ref.duplicates, (text, ref.problem)
    assert _same_data(got[0], ref.data), (text, got[0], ref.data)
    _same_nodes(got[1], ref.node)
    doc = yamlio.load_yaml(text)  # and load_yaml hands out the reader's result
    assert _same_data(doc.data, ref.data) and doc.ok
    agree_crlf(text)
    return True


def agree_crlf(text: str) -> None:
    """The text with CR LF line breaks (as written on Windows) reads as the ruamel path reads
    it: load_yaml takes it through the reader, the LF text's values and positions."""
    crlf = text.replace("\n", "\r\n")
    assert _block(crlf) is None  # the reader itself takes no CR
    ref = _ruamel(crlf)
    doc = yamlio.load_yaml(crlf)
    assert ref.problem is None and doc.ok, (crlf, ref.problem)
    assert _same_data(doc.data, ref.data), (crlf, doc.data, ref.data)
    _same_nodes(doc.node, ref.node)
    assert type(doc.node).__module__ == "modelcheck.formats.yaml.block"  # not ruamel's


def _yaml_files() -> list[str]:
    pats = ["**/MLmodel", "**/*.yaml", "**/*.yml"]
    found = [f for p in pats for f in glob.glob(str(REPO / "tests" / p), recursive=True)]
    found += [f for p in pats for f in glob.glob(str(REPO / "examples" / p), recursive=True)]
    found += [f for p in pats for f in glob.glob(str(CORPUS / p), recursive=True)]
    return sorted(found)


def test_every_yaml_file_here_reads_the_same() -> None:
    files = _yaml_files()
    answered = 0
    for f in files:
        text = Path(f).read_bytes().decode("utf-8", "replace")
        answered += agree(text)
    assert len(files) > 100 and answered > 0.6 * len(files)  # the reader takes most of them


def test_mlflow_written_files_are_all_taken() -> None:
    fixtures = REPO / "tests" / "fixtures" / "mlflow"
    files = sorted(fixtures.glob("*/*/MLmodel")) + sorted(fixtures.glob("*/*/conda.yaml"))
    assert files
    for f in files:
        assert agree(f.read_text()), f


LEFT_TO_RUAMEL = [
    "a: 1\n\nb: 2\n",  # blank line
    "a: 1  # note\n",  # comment
    "a: 1\na: 2\n",  # duplicate key
    "yes: 1\ntrue: 2\n",  # two texts, one key
    "a:\nb: 1\n",  # empty value
    "a: &x 1\nb: *x\n",  # anchor and alias
    "a: \"q\"\n",  # double quotes
    "a: [1, 2]\n",  # flow sequence
    "a: {b: 1}\n",  # flow mapping
    "a: |\n  text\n",  # block scalar
    "a: !!str 1\n",  # tag
    "a: 2024-01-01\n",  # timestamp
    "a: 0x1F\n",  # hex int
    "a: .inf\n",  # special float
    "a: 1_000\n",  # underscores
    "a: b: c\n",  # mapping in a plain scalar
    "a: plain\n  continued\n",  # plain scalar over two lines
    "a:\n    b: 1\n  c: 2\n",  # bad dedent
    "---\na: 1\n",  # document marker
    "%YAML 1.1\n---\na: 1\n",  # directive
    "- a\n- b\n",  # sequence root
    "a: 'x' y\n",  # text after a quoted scalar
    "a: 'open\nb: 1\n",  # quoted scalar running past its owner's indentation
    "a:\n- x\n  y\n",  # stray deeper line
    "a: 1 \n",  # trailing space
    "a:\tb\n",  # tab
    "a: caf\u00e9\n",  # non-ASCII
    "a: '\n  x'\n",  # break right after the quote
    "'k': 1\n",  # quoted key
    "a: 1\r\nb: 2\r\n",  # CR LF (load_yaml reads it as LF: see agree_crlf)
    "a: 1\rb: 2\r",  # CR alone: a line break to ruamel, left to it
    "a: 1\r\nb: 2\r\nc: '\r'\n",  # a CR that is not part of a CR LF
    "a:\n- - x\n",  # nested sequence on one line
]


@pytest.mark.parametrize("text", LEFT_TO_RUAMEL)
def test_outside_the_subset_goes_to_ruamel(text: str) -> None:
    assert _block(text) is None
    doc = yamlio.load_yaml(text)  # still read (or refused) exactly as before
    ref = _ruamel(text) if doc.ok or doc.problem.kind != "depth" else doc
    assert (doc.problem is None) == (ref.problem is None)


TAKEN = [
    "a: 1\nb: -2\nc: 1.5\nd: yes\ne: null\nf: ~\ng: 'q''s'\nh: -r requirements.txt\n",
    "dependencies:\n- python=3.11\n- pip:\n  - mlflow==2.1\n  - x[y]>=1,<2\nname: env\n",
    "a:\n  b:\n    c: http://x.y/z?q=1\n  d:\n  - 1\n  - e: f\n    g: h\n",
    "sig: '[{\"a\": 1}, {\"b\":\n  2}, {\"c\":\n    3}]'\nnext: 1\n",
    "y: y\nn: n\nOn: off\n3.10: 1e5\n",
    "a: b&c\nd: x*y\nurl: http://h/a&b=*\n",  # & and * inside plain scalars are text
]


@pytest.mark.parametrize("text", TAKEN)
def test_the_subset_is_taken_and_agrees(text: str) -> None:
    assert agree(text)


_keys = st.sampled_from(["a", "name", "flavors", "python_function", "x_1", "model.pkl", "on",
                         "y", "n", "1", "3.10", "null", "k-2", "True"])
_scalars = st.one_of(
    st.sampled_from(["1", "-1", "0", "1.5", "-0.5", "1e5", "3.10", "yes", "No", "y", "null",
                     "~", "", "x", "-r req.txt", "pip<=23.2", "a: b", "a:b", "http://h/p",
                     "it's", "'q'", "[1]", "{}", "#x", "&a", "*a", "!t", "%p", "@a", "`b",
                     "|", ">", "- x", "?x", ",x", "2024-01-01", "0x1F", "1_0", ".inf",
                     "a  b", " lead", "trail ", "=", "<<"]),
    st.text(alphabet="ab cd:-'\"#,[]{}.01", max_size=30),
    st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(), st.none())
_data = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, min_size=1, max_size=4),
                            st.dictionaries(_keys, inner, min_size=1, max_size=4)),
    max_leaves=20)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(_keys, _data, min_size=1, max_size=5),
       st.sampled_from([20, 40, 80]), st.sampled_from([2, 4]))
def test_safe_dump_output_agrees(data: dict, width: int, indent: int) -> None:
    text = yaml.safe_dump(data, width=width, indent=indent, sort_keys=False)
    agree(text)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(_keys, _data, min_size=1, max_size=4), st.data())
def test_edited_documents_agree_or_are_left(data: dict, draw: st.DataObject) -> None:
    text = yaml.safe_dump(data, width=30, sort_keys=False)
    for _ in range(draw.draw(st.integers(1, 3))):
        at = draw.draw(st.integers(0, len(text)))
        cut = draw.draw(st.integers(0, 3))
        put = draw.draw(st.sampled_from(["", " ", "  ", "\n", "- ", ": ", "'", "''", "a",
                                         "\n  ", "\n- ", ":", "-", "x: y\n", "\n\n"]))
        text = text[:at] + put + text[at + cut:]
    agree(text)


def _scalar_doc(scalar: str) -> str:
    return f"v: {scalar}\nw:\n- {scalar}\n"


@pytest.mark.parametrize("scalar", TRICKY)
def test_tricky_scalars_agree_with_the_ruamel_path(scalar: str) -> None:
    agree(_scalar_doc(scalar))


@settings(max_examples=500, deadline=None)
@given(GENERATED)
def test_generated_scalars_agree_with_the_ruamel_path(scalar: str) -> None:
    agree(_scalar_doc(scalar))
