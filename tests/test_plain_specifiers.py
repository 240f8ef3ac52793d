"""PlainSpecifierSet (the requirement fast path's specifier sets) answers exactly as
packaging's SpecifierSet: text, iteration, operators, versions, equality and ``contains`` for
any version (pre, post, dev and local releases included) and any prerelease setting."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from modelcheck.formats.requirements.parse import parse_requirement_line
from modelcheck.formats.requirements.plain import PlainSpecifierSet, specifier_set

release = st.lists(st.integers(0, 12), min_size=1, max_size=4).map(
    lambda xs: ".".join(map(str, xs)))
clause = st.tuples(st.sampled_from(["==", "!=", ">=", "<=", "<", ">"]), release).map("".join)
spec_text = st.lists(clause, min_size=0, max_size=3, unique_by=lambda c: c[:2].strip("0123456789")
                     ).map(",".join)  # distinct operators: what specifier_set makes plain
suffix = st.sampled_from(["", "a1", "b2", "rc0", ".post1", ".dev0", "rc1.post2.dev3", "+local",
                          ".post0+ubuntu.1", "a0+x"])
version = st.tuples(release, suffix).map("".join)


@settings(max_examples=1500, deadline=None)
@given(spec_text, version, st.sampled_from([None, True, False]))
def test_contains_agrees_with_packaging(text: str, v: str, pre: bool | None) -> None:
    plain, real = PlainSpecifierSet(text), SpecifierSet(text)
    assert plain.contains(v, prereleases=pre) == real.contains(v, prereleases=pre)
    assert plain.contains(Version(v), prereleases=pre) == real.contains(Version(v),
                                                                       prereleases=pre)


@settings(max_examples=300, deadline=None)
@given(spec_text, spec_text)
def test_text_iteration_and_equality_agree(a: str, b: str) -> None:
    plain, real = PlainSpecifierSet(a), SpecifierSet(a)
    assert str(plain) == str(real) and bool(plain) == bool(real) and len(plain) == len(real)
    assert sorted((s.operator, s.version, str(s)) for s in plain) == \
        sorted((s.operator, s.version, str(s)) for s in real)
    assert (plain == PlainSpecifierSet(b)) == (real == SpecifierSet(b))
    assert (plain == SpecifierSet(b)) == (real == SpecifierSet(b)) == (plain == b)
    assert plain.prereleases == real.prereleases  # anything else: packaging's own answer


def test_unparsable_candidates_and_other_attributes_go_to_packaging() -> None:
    plain = PlainSpecifierSet("==1.0")
    assert plain.contains("not a version") == SpecifierSet("==1.0").contains("not a version")
    assert list(plain.filter(["1.0", "2.0"])) == ["1.0"]
    assert hash(plain) == hash(SpecifierSet("==1.0.0"))
    import copy
    import pickle

    for twin in (copy.deepcopy(plain), pickle.loads(pickle.dumps(plain))):
        assert type(twin) is PlainSpecifierSet and twin == plain and str(twin) == "==1.0"


def test_repeated_operators_get_packaging_s_set() -> None:
    assert isinstance(specifier_set("==1.0,==1"), SpecifierSet)
    assert isinstance(specifier_set(">=1,<2"), PlainSpecifierSet)
    assert isinstance(specifier_set(""), PlainSpecifierSet)


def test_the_fast_path_builds_plain_sets() -> None:
    r = parse_requirement_line("scikit-learn==1.5.2", 3, "requirements.txt")
    assert isinstance(r.specifier, PlainSpecifierSet) and str(r.specifier) == "==1.5.2"
    assert r.specifier.contains("1.5.2.0", prereleases=True)
    complex_line = parse_requirement_line("numpy~=1.26", 4, "requirements.txt")
    assert isinstance(complex_line.specifier, SpecifierSet)  # packaging's grammar read it
