"""YAML loading gives the same result with libyaml (ruamel.yaml.clib) as with ruamel's pure
parser, and stays YAML 1.1 (as PyYAML, which MLflow uses) whatever came before."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from modelcheck.formats.yaml import loader as yamlio

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


# -- the direct constructor (yamlio.construct) builds what ruamel's safe constructor builds --
_SCALARS = ["yes", "No", "ON", "off", "y", "n", "true", "False", "~", "null", "Null", "", "0",
            "-0", "+12", "012", "0o17", "0x1F", "0b101", "1_000", "3:10", "190:20:30.15",
            "1e5", "1.5e+3", "1.5E-3", "6.8523015e+5", "3.10", "-0.0", "+.5", "1.", ".5", ".",
            "-.inf", ".Inf", ".NaN", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "<<", "=",
            "abc", "'quoted'", '"12"', "!!str 12", "!!int 12", "!!int '0x1f'", "!!float 3",
            "!!float '1e3'", "!!bool maybe", "!!null x", "!!binary aGk=", "!custom x",
            "!!str [1]", "- 1", "1 # c", "9" * 30, "0.1e999"]


def _doc_strategy():
    from hypothesis import strategies as st

    leaf = st.sampled_from(_SCALARS)

    def block(children):
        key = st.sampled_from(["a", "b", "yes", "1", "1.0", "~", "true", "<<", "=", "012"])
        return st.one_of(
            st.lists(st.tuples(key, children), max_size=4).map(
                lambda kv: {"map": kv}),
            st.lists(children, max_size=4).map(lambda items: {"seq": items}),
        )

    return st.recursive(leaf, block, max_leaves=12)


def _render(tree, indent: int = 0) -> str:
    pad = " " * indent
    if isinstance(tree, str):
        return tree
    if "map" in tree:
        if not tree["map"]:
            return "{}"
        out = []
        for k, v in tree["map"]:
            body = _render(v, indent + 2)
            sep = "\n" + " " * (indent + 2) if isinstance(v, dict) and body not in "{}[]" \
                else " "
            out.append(f"{pad}{k}:{sep}{body.lstrip() if sep == ' ' else body}")
        return "\n".join(out)
    if not tree["seq"]:
        return "[]"
    return "\n".join(f"{pad}- {_render(v, indent + 2).lstrip()}" for v in tree["seq"])


def _construct_both(text: str):
    from ruamel.yaml.error import YAMLError

    out = []
    for pure in (False, True):
        y = yamlio._parser(pure=pure)
        results = []
        for fast in (True, False):
            try:
                node = yamlio._compose(y, text)
            except (YAMLError, ValueError):
                return None
            if node is None or yamlio._check_tree(node, []):
                return None
            try:
                data = (yamlio.construct(y, node) if fast
                        else y.constructor.construct_document(node))
                results.append(("ok", repr(data), _types(data)))
            except Exception as exc:  # the same error either way
                results.append(("error", type(exc).__name__, str(exc)))
        out.append(results)
    return out


def _types(data):
    if isinstance(data, dict):
        return [(type(k).__name__, _types(v)) for k, v in data.items()]
    if isinstance(data, list):
        return [_types(v) for v in data]
    return type(data).__name__


def test_direct_constructor_matches_ruamel_on_generated_documents() -> None:
    import warnings

    from hypothesis import given, settings

    @settings(max_examples=400, deadline=None, derandomize=True)
    @given(_doc_strategy())
    def check(tree) -> None:
        text = _render(tree) + "\n"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            both = _construct_both(text)
        if both is not None:
            for fast, ruamel in both:
                assert fast == ruamel, text

    check()


def test_direct_constructor_is_used_for_plain_documents() -> None:
    texts = [p.read_text() for p in sorted(REPO.glob("tests/fixtures/mlflow/*/*/MLmodel"))]
    texts += ["a: 1\nb: [yes, ~, 1.5, -0.0, '012']\nc: {d: +3}\n"]
    built = 0
    for text in texts:
        y = yamlio._parser()
        node = yamlio._compose(y, text)
        data = yamlio._fast_construct(node)
        assert data == y.constructor.construct_document(yamlio._compose(y, text))
        built += 1
    assert built > 3
