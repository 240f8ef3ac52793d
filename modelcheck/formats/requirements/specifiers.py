"""Exact satisfiability of a set of PEP 440 version specifiers, by interval reasoning.

Each specifier becomes a sorted list of version ranges (``==``, ``!=``, ``~=``, ``<``, ``<=``,
``>``, ``>=``, wildcards, local labels and the PEP 440 pre/post-release exclusions of ``<V`` and
``>V``). The ranges of all specifiers are intersected; a non-empty range is then checked for a
*real* version inside it (the version line has gaps: nothing lies between ``1.0+anything`` and
``1.0.post0.dev0``), by constructing the least version above its lower bound, or — where no
least version exists — a version just above it that is still below the upper bound.
``===`` (arbitrary equality) admits one literal string, checked against the other specifiers.

Pre-releases count as versions here (``prereleases=True``): the question is whether *any*
version can satisfy every specifier. Works with packaging 23+.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.specifiers import Specifier, SpecifierSet
from packaging.version import Version

AFTER_LOCALS = 1  # after V and every V+local, before V.post0.dev0
AFTER_POSTS = 2  # after every V.postN (V final or pre-release), before the next release


def _trim(release: tuple[int, ...]) -> tuple[int, ...]:
    end = len(release)
    while end > 1 and release[end - 1] == 0:
        end -= 1
    return release[:end]


def make(epoch: int, release: Iterable[int], pre: tuple[str, int] | None = None,
         post: int | None = None, dev: int | None = None, local: str | None = None) -> Version:
    """Build a Version from parts (``Version.__replace__`` needs packaging 26)."""
    text = (f"{epoch}!" if epoch else "") + ".".join(map(str, release))
    if pre is not None:
        text += f"{pre[0]}{pre[1]}"
    if post is not None:
        text += f".post{post}"
    if dev is not None:
        text += f".dev{dev}"
    if local:
        text += f"+{local}"
    return Version(text)


def public(v: Version) -> Version:
    return v if v.local is None else Version(v.public)


@functools.total_ordering
@dataclass(frozen=True)
class Boundary:
    """A point between real versions, just after a family of versions around ``version``."""

    version: Version
    kind: int

    def holds(self, x: Version) -> bool:
        """True when ``x`` is one of the versions this boundary sorts just above."""
        v = self.version
        if not (x.epoch == v.epoch and _trim(x.release) == _trim(v.release) and x.pre == v.pre):
            return False
        if self.kind == AFTER_LOCALS:
            return x.post == v.post and x.dev == v.dev
        return x.dev == v.dev or x.post is not None

    def __lt__(self, other: object) -> bool:
        if isinstance(other, Boundary):
            # Boundaries are cuts in the version line; a family nested in another's sorts first.
            if self.version == other.version:
                return self.kind < other.kind
            if self.version < other.version:
                return not self.holds(other.version)
            return other.holds(self.version)
        assert isinstance(other, Version)
        return not self.holds(other) and self.version < other


Point = Version | Boundary | None  # None: unbounded


def _lt(a: Version | Boundary, b: Version | Boundary) -> bool:
    if isinstance(a, Version) and isinstance(b, Boundary):
        return not b < a and a != b
    return a < b  # type: ignore[operator]


@dataclass(frozen=True)
class Range:
    """An interval of versions from ``lo`` to ``hi`` (each end included or not)."""

    lo: Point
    lo_incl: bool
    hi: Point
    hi_incl: bool

    def contains(self, x: Version) -> bool:
        if self.lo is not None:
            if _lt(x, self.lo) or (not self.lo_incl and x == self.lo):
                return False
        if self.hi is not None:
            if _lt(self.hi, x) or (not self.hi_incl and x == self.hi):
                return False
        return True


FULL = Range(None, False, None, False)


def _dev0(v: Version) -> Version:
    return make(v.epoch, v.release, v.pre, v.post, 0)


def _next_prefix_dev0(v: Version) -> Version:
    rel = (*v.release[:-1], v.release[-1] + 1)
    return make(v.epoch, rel, dev=0)


def spec_ranges(spec: Specifier) -> list[Range]:
    """The versions ``spec`` admits (``===`` gives the full range: checked separately)."""
    op, text = spec.operator, spec.version
    if op == "===":
        return [FULL]
    if text.endswith(".*"):
        base = Version(text[:-2])
        lo, hi = make(base.epoch, base.release, dev=0), _next_prefix_dev0(base)
        if op == "==":
            return [Range(lo, True, hi, False)]
        return [Range(None, False, lo, False), Range(hi, True, None, False)]
    v = Version(text)
    if op == ">=":
        return [Range(v, True, None, False)]
    if op == "<=":
        return [Range(None, False, Boundary(v, AFTER_LOCALS), True)]
    if op == ">":
        if v.dev is not None:
            return [Range(make(v.epoch, v.release, v.pre, v.post, v.dev + 1), True, None, False)]
        if v.post is not None:
            return [Range(make(v.epoch, v.release, v.pre, v.post + 1, 0), True, None, False)]
        return [Range(Boundary(v, AFTER_POSTS), False, None, False)]
    if op == "<":
        bound = v if v.is_prerelease else _dev0(public(v))
        if bound <= Version("0.dev0"):
            return []
        return [Range(None, False, bound, False)]
    if op == "~=":
        prefix = make(v.epoch, v.release[:-1])
        return [Range(v, True, _next_prefix_dev0(prefix), False)]
    upper: Version | Boundary = v if v.local is not None else Boundary(v, AFTER_LOCALS)
    if op == "==":
        return [Range(v, True, upper, True)]
    if op == "!=":
        return [Range(None, False, v, False), Range(upper, False, None, False)]
    raise ValueError(f"unknown operator {op!r}")


def _max_lo(a: Range, b: Range) -> tuple[Point, bool]:
    if a.lo is None:
        return b.lo, b.lo_incl
    if b.lo is None:
        return a.lo, a.lo_incl
    if a.lo == b.lo:
        return a.lo, a.lo_incl and b.lo_incl
    return (b.lo, b.lo_incl) if _lt(a.lo, b.lo) else (a.lo, a.lo_incl)


def _min_hi(a: Range, b: Range) -> tuple[Point, bool]:
    if a.hi is None:
        return b.hi, b.hi_incl
    if b.hi is None:
        return a.hi, a.hi_incl
    if a.hi == b.hi:
        return a.hi, a.hi_incl and b.hi_incl
    return (a.hi, a.hi_incl) if _lt(a.hi, b.hi) else (b.hi, b.hi_incl)


def _nonempty(r: Range) -> bool:
    if r.lo is None or r.hi is None:
        return True
    if r.lo == r.hi:
        return r.lo_incl and r.hi_incl
    return _lt(r.lo, r.hi)


def intersect(left: list[Range], right: list[Range]) -> list[Range]:
    out = []
    for a in left:
        for b in right:
            lo, lo_incl = _max_lo(a, b)
            hi, hi_incl = _min_hi(a, b)
            r = Range(lo, lo_incl, hi, hi_incl)
            if _nonempty(r):
                out.append(r)
    return out


def _candidates(r: Range) -> list[Version]:
    """Versions that include the least version in ``r`` (or one just above its bound)."""
    lo = r.lo
    if lo is None:
        return [Version("0.dev0")]
    if isinstance(lo, Version):
        if r.lo_incl:
            return [lo]
        return _just_above_local(lo, r.hi)
    v = lo.version
    if lo.kind == AFTER_LOCALS:
        if v.dev is not None:
            return [make(v.epoch, v.release, v.pre, v.post, v.dev + 1)]
        if v.post is not None:
            return [make(v.epoch, v.release, v.pre, v.post + 1, 0)]
        return [make(v.epoch, v.release, v.pre, 0, 0)]
    # AFTER_POSTS: the next pre-release number, or (for a final V) a release extension
    # longer than the upper bound's, which is below any version above the boundary.
    if v.pre is not None:
        return [make(v.epoch, v.release, (v.pre[0], v.pre[1] + 1), dev=0)]
    depth = len(_upper_version(r.hi).release) if r.hi is not None else 1
    return [make(v.epoch, (*v.release, *([0] * depth), 1), dev=0)]


def _upper_version(p: Version | Boundary) -> Version:
    return p.version if isinstance(p, Boundary) else p


def _just_above_local(lo: Version, hi: Point) -> list[Version]:
    """Versions just above ``lo`` (an exclusive real bound, from ``!=V+local``)."""
    segs = [str(s) for s in (lo.local or "").split(".") if str(s)] if lo.local else []
    out = [Version(f"{lo.public}+{'.'.join([*segs, '0'])}")] if segs else []
    hv = _upper_version(hi) if hi is not None else None
    if hv is not None and hv.local and hv.public == lo.public:
        hsegs = hv.local.split(".")
        if len(hsegs) > len(segs):
            nxt = hsegs[len(segs)]
            smaller = "0" + nxt if not nxt.isdigit() else "a"
            out.append(Version(f"{lo.public}+{'.'.join([*segs, smaller])}"))
    if not segs:
        out.append(Version(f"{lo.public}+0"))
    return out


@dataclass(frozen=True)
class Verdict:
    """Whether some version satisfies every specifier, with an example."""

    satisfiable: bool
    witness: str | None = None  # a version admitted by every specifier


def satisfiable(specs: Iterable[Specifier] | SpecifierSet | str) -> Verdict:
    """Decide whether some version satisfies every specifier (pre-releases included)."""
    if isinstance(specs, str):
        specs = SpecifierSet(specs)
    specs = list(specs)
    arbitrary = [s for s in specs if s.operator == "==="]
    standard = [s for s in specs if s.operator != "==="]
    if arbitrary:
        literal = arbitrary[0].version
        if any(s.version.lower() != literal.lower() for s in arbitrary[1:]):
            return Verdict(False)
        if not standard:
            return Verdict(True, literal)
        try:
            cand = Version(literal)
        except ValueError:  # InvalidVersion, or an int too long to parse
            return Verdict(False)
        ok = all(s.contains(cand, prereleases=True) for s in standard)
        return Verdict(ok, literal if ok else None)
    ranges = [FULL]
    for s in standard:
        ranges = intersect(ranges, spec_ranges(s))
        if not ranges:
            return Verdict(False)
    for r in ranges:
        for cand in _candidates(r):
            if r.contains(cand):
                return Verdict(True, str(cand))
    return Verdict(False)
