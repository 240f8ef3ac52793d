"""Exact specifier satisfiability against brute force and packaging's own ``contains``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.specifiers import Specifier, SpecifierSet
from packaging.version import Version

from modelcheck.formats.requirements.specifiers import satisfiable


@pytest.mark.parametrize(("text", "sat"), [
    (">=1,<2", True),
    ("==1.0,!=1.0", False),
    (">=2.0,<1.0", False),
    ("!=1.0,<1.0.post0,>=1.0", False),  # the gap after 1.0+local: no real version
    (">1.0,<=1.0.post1", False),  # >V excludes V's post-releases
    (">1.0,!=1.0.post1", True),
    ("==1.*,>1,<1.0.0.1", True),
    ("~=2.2,!=2.2.*", True),
    ("<0.dev0", False),
    ("==1.0+a,<=1.0", True),
    ("==1.0+a,!=1.0+a", False),
    ("===foo", True),
    ("===foo,>=1", False),
    ("==0.0,==1.1.1", False),
    (">1.0a1,<1.0a2", True),
])
def test_known_cases(text: str, sat: bool) -> None:
    v = satisfiable(SpecifierSet(text))
    assert v.satisfiable is sat
    if sat and v.witness is not None and "===" not in text:
        assert SpecifierSet(text).contains(v.witness, prereleases=True)


_BASE = ["0", "1", "1.0", "1.0.1", "1.1", "2", "2.0.0"]
_SUFFIX = ["", "a1", "b2", "rc1", ".post1", ".dev0", ".dev1", "a1.dev0", ".post0.dev0",
           ".post1.dev2"]
_versions = st.tuples(st.sampled_from(_BASE), st.sampled_from(_SUFFIX)).map("".join)
_locals = st.sampled_from(["", "", "", "+a", "+1", "+a.0"])


def _spec(draw) -> str:
    op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "~=", "==*", "!=*"]))
    base = draw(st.sampled_from(_BASE))
    if op in ("==*", "!=*"):
        return f"{op[:2]}{base}.*"
    ver = base + draw(st.sampled_from(_SUFFIX))
    if op == "~=" and "." not in base:
        ver = base + ".0" + draw(st.sampled_from(_SUFFIX))
    if op in ("==", "!="):
        ver += draw(_locals)
    return op + ver


def _candidates(specs: list[Specifier]) -> list[Version]:
    """A dense set around every version the specifiers mention."""
    out = {Version("0.dev0"), Version("99")}
    for s in specs:
        base = s.version.removesuffix(".*")
        v = Version(base)
        rel = ".".join(map(str, v.release))
        nxt = ".".join(map(str, (*v.release[:-1], v.release[-1] + 1)))
        for text in (base, rel, nxt, rel + ".0.1", rel + ".0.0.1", rel + ".1"):
            for suf in ("", ".dev0", ".dev1", "a1", "a2.dev0", ".post0.dev0", ".post0",
                        ".post1", ".post2.dev0", "+a", "+a.0", "+1", ".0.0.0.1.dev0"):
                try:
                    out.add(Version(text + suf))
                except Exception:
                    pass
        out.add(v)
    return sorted(out)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_agrees_with_brute_force(data) -> None:
    n = data.draw(st.integers(1, 4))
    specs = [Specifier(_spec(data.draw)) for _ in range(n)]
    ss = SpecifierSet(",".join(map(str, specs)))
    verdict = satisfiable(specs)
    brute = [v for v in _candidates(specs) if ss.contains(v, prereleases=True)]
    if brute:
        assert verdict.satisfiable, (str(ss), brute[:3])
    if verdict.satisfiable:
        assert verdict.witness is not None
        assert ss.contains(verdict.witness, prereleases=True), (str(ss), verdict.witness)
    else:
        assert not brute


@settings(max_examples=150, deadline=None)
@given(_versions, _versions)
def test_interval_pairs(a: str, b: str) -> None:
    for text in (f">={a},<{b}", f">{a},<={b}", f">{a},<{b}", f"=={a},!={b}"):
        ss = SpecifierSet(text)
        v = satisfiable(ss)
        if v.satisfiable:
            assert ss.contains(v.witness, prereleases=True), (text, v.witness)
        else:
            assert not any(ss.contains(c, prereleases=True)
                           for c in _candidates(list(ss))), text
