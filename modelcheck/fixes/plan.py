"""The fixes of one local package, worked out in memory and checked again before anything is
written (as ruff does): check, collect the fixers' changes for what was found, apply those
that do not touch the same bytes (the safe ones first: unsafe ones only in a round where no
safe one is left), check the result again, and repeat until no fixer has
anything left to change (at most ``MAX_ROUNDS`` times). A change that overlaps another waits
for the next round, where its fixer sees the file as the first change left it.

The check is given by the caller (``check(pkg) -> findings``: the rules and settings of the
run), so this layer runs no rule itself and knows none.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable

from modelcheck.fixes.base import SAFE, Change
from modelcheck.fixes.edits import apply, conflicts
from modelcheck.fixes.overlay import OverlaySource
from modelcheck.package.model_package import TEXT_CAP, ModelPackage
from modelcheck.records import Record
from modelcheck.results import Finding

MAX_ROUNDS = 10
Check = Callable[[ModelPackage], list[Finding]]


class Plan(Record):
    """What fixing one package changes. ``original``: each edited file's bytes as read;
    ``files``: their new bytes; ``gone``: deleted files (their bytes) and folders (their
    listing, ``(path, kind, size)``). ``before``/``after``: the findings of the package as it
    is and as it will be. ``unsafe_left``: findings that unsafe fixes would change.
    ``problem``: why the package is not fixed (it could not be checked whole)."""

    _fields = ("root", "display", "original", "files", "gone", "applied", "before", "after",
               "unsafe_left", "problem", "skipped")

    def __init__(self, root: str, display: str) -> None:
        self.root = root
        self.display = display
        self.original: dict[str, bytes] = {}
        self.files: dict[str, bytes] = {}
        self.gone: dict[str, bytes | tuple] = {}
        self.applied: list[Change] = []
        self.before: list[Finding] = []
        self.after: list[Finding] = []
        self.unsafe_left = 0
        self.problem: str | None = None
        # findings some fixer handles, left as they are: why (a file reached through a symlink
        # is never edited: the edit would land outside the package, or in a shared file)
        self.skipped: list[str] = []

    @property
    def changed(self) -> bool:
        return bool(self.gone) or any(self.files[r] != self.original[r] for r in self.files)

    @property
    def fixed(self) -> int:
        """Findings of the package as it is that are gone once the plan is written."""
        after = Counter((f.code, f.fingerprint) for f in self.after)
        gone = Counter((f.code, f.fingerprint) for f in self.before)
        gone.subtract(after)
        return sum(n for n in gone.values() if n > 0)


def plan_package(path: str, display: str, check: Check, *, unsafe: bool = False,
                 text_cap: int = TEXT_CAP) -> Plan:
    """The plan that fixes the local package at ``path`` (nothing is written)."""
    from modelcheck.fixes.registry import fixers

    plan = Plan(os.path.realpath(path), display)
    every = fixers()
    for round_no in range(MAX_ROUNDS + 1):
        source = OverlaySource(plan.root, display, plan.files, set(plan.gone))
        pkg = ModelPackage(source, display, text_cap=text_cap)
        findings = check(pkg)
        if round_no == 0:
            plan.before = findings
            failed = [f for f in findings if f.code in ("MC901", "MC902", "MC903")]
            if failed:
                plan.problem = (f"not fixed: it could not be checked whole ({failed[0].code}: "
                                f"{failed[0].message})")
                plan.after = findings
                return plan
            plan.skipped = _through_symlinks(pkg, findings, {fx.code for fx in every})
        plan.after = findings
        by_code: dict[str, list[Finding]] = {}
        for f in findings:
            by_code.setdefault(f.code, []).append(f)
        changes = [c for fx in every if fx.code in by_code for c in fx.func(pkg, by_code[fx.code])]
        held = {c.code for c in changes if c.safety != SAFE and not unsafe}
        plan.unsafe_left = sum(len(by_code[code]) for code in held)
        if round_no == MAX_ROUNDS:
            break
        # the safe fixes first, until none is left; then the unsafe ones, on what they left
        if not _take(plan, pkg, [c for c in changes if c.safety == SAFE]) and not (
                unsafe and _take(plan, pkg, [c for c in changes if c.safety != SAFE])):
            break
    return plan


def _through_symlinks(pkg: ModelPackage, findings: list[Finding], fixable: set[str]
                      ) -> list[str]:
    """For each finding some fixer handles whose file is a symlink: that it stays unfixed."""
    out = []
    for f in findings:
        if f.code not in fixable or not f.file:
            continue
        target = pkg.entry(f.file).target
        if target is not None:
            out.append(f"{f.file}: {f.code} not fixed: the file is a symlink (to {target}); "
                       "fix the file it points to")
    return list(dict.fromkeys(out))


def _take(plan: Plan, pkg: ModelPackage, changes: list[Change]) -> bool:
    """Apply the changes that do not conflict to the plan; True when any changed a byte."""
    accepted: dict[str, list] = {}
    deleted: list[Change] = []
    for c in changes:
        if c.delete:
            if c.file in plan.gone or any(f == c.file or f.startswith(c.file + "/")
                                          for f in (*accepted, *plan.files)):
                continue
            deleted.append(c)
            continue
        if any(c.file == g or c.file.startswith(g + "/") for g in plan.gone):
            continue
        mine = accepted.setdefault(c.file, [])
        if any(conflicts(e, a) for e in c.edits for a, _ in mine):
            continue
        mine.extend((e, c) for e in c.edits)
    progress = False
    for rel, pairs in accepted.items():
        if not pairs:
            continue
        current = plan.files.get(rel)
        if current is None:
            r = pkg.read(rel)
            if not r.ok or r.data is None:
                continue
            current = r.data
        new = apply(current, [e for e, _ in pairs])
        if new == current:
            continue
        plan.original.setdefault(rel, current)
        plan.files[rel] = new
        plan.applied.extend(dict.fromkeys(c for _, c in pairs))
        progress = True
    for c in deleted:
        if c.folder:
            snap: bytes | tuple = tuple((e.path, e.kind, e.size) for e in pkg.files()
                                        if e.path.startswith(c.file + "/"))
        else:
            r = pkg.read(c.file)
            if not r.ok or r.data is None:
                continue
            snap = r.data
        plan.gone[c.file] = snap
        plan.applied.append(c)
        progress = True
    return progress
