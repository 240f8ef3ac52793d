"""YAML loading gives the same result with libyaml (ruamel.yaml.clib) as with ruamel's pure
parser, and stays YAML 1.1 (as PyYAML, which MLflow uses) whatever came before."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from modelcheck import yamlio

REPO = Path(__file__).resolve().parent.parent
DOCS = [
    "a: 1\nb: yes\nc: 3.10\nd: 0o12\ne: 012\nf: 3:1.2\ng: ~\n",
    "flavors:\n  python_function:\n    env: {conda: conda.yaml}\n",
    "a: &x 1\nb: *x\n", "  &k: v\n", "a:\t1\n", "a: 1\r\nb: 2\r\n", "a: caf\u00e9\n",
    "a: [1, 2\n", "a: 1\na: 2\n", "- a\n- b: [\n", "%YAML 1.2\n---\na: yes\n",
    "a: !!python/name:os.system\n",
    "a: 1\n---\nb: 2\n", "", "# only a comment\n", "a: '\\x85'\n", "a: \"\\t\"\n",
]


def _pure(text: str) -> yamlio.YamlDoc:
    return yamlio._load(yamlio._parser(pure=True), text)


def _view(doc: yamlio.YamlDoc):
    p = doc.problem
    return (repr(doc.data), p and (p.kind, p.message, p.line, p.col),
            [(d.pointer, d.line, d.first_line) for d in doc.duplicates])


@pytest.mark.parametrize("text", DOCS)
def test_fast_path_matches_pure_parser(text: str) -> None:
    assert _view(yamlio.load_yaml(text)) == _view(_pure(text))


def test_mutated_real_documents_agree() -> None:
    paths = sorted(REPO.glob("tests/rules/MC1*/*/*/MLmodel"))
    texts = [t for t in (p.read_text(errors="replace") for p in paths) if t]
    assert texts
    rnd = random.Random(3)
    chars = list(":-[]{}#&*!|>'\"%@`,? \t\n\r\x00\x85\u2028e0yesno~.\\")
    for _ in range(800):
        t = list(rnd.choice(texts))
        for _ in range(rnd.randint(1, 3)):
            pos = rnd.randrange(len(t))
            if rnd.random() < 0.5:
                t.insert(pos, rnd.choice(chars))
            else:
                t[pos] = rnd.choice(chars)
        text = "".join(t)
        assert _view(yamlio.load_yaml(text)) == _view(_pure(text)), text


def test_a_yaml_12_directive_does_not_leak_into_later_documents() -> None:
    for load in (yamlio.load_yaml, _pure):
        assert load("%YAML 1.2\n---\na: yes\n").data == {"a": True}
        assert load("a: yes\nb: 3:1.2\n").data == {"a": True, "b": 181.2}
