"""Requirement-file parsing with line numbers, on text (never on a path).

``requirements.txt``/``constraints.txt`` text and single conda ``pip:`` entries are parsed with
pip-requirements-parser's line machinery (pip's own option grammar, continuation lines,
comments, hashes, editables, URL/VCS/path requirements), fed from the text we read through
``ModelPackage``: it never opens a file and never follows ``-r``/``-c`` by itself. Names,
specifiers and markers are ``packaging`` objects.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from modelcheck.formats.requirements.names import canonicalize_name
from modelcheck.formats.requirements.plain import PlainSpecifierSet, specifier_set
from modelcheck.records import FACTORY, Record

if TYPE_CHECKING:
    from packaging.markers import Marker
    from packaging.specifiers import SpecifierSet

_VCS = ("git+", "hg+", "svn+", "bzr+")


_EGG = re.compile(r"[#&]egg=([A-Za-z0-9_.\-]+)")


class ReqLine(Record):
    """One logical line of a requirement file (continuations joined)."""

    _fields = ("file", "line", "text", "kind", "name", "raw_name", "extras", "specifier", "marker",
               "url", "editable", "hashes", "options", "error")

    def __init__(self, file: str, line: int, text: str, kind: str, name: str | None = None,
                 raw_name: str | None = None, extras: frozenset[str] = frozenset(),
                 specifier: SpecifierSet | PlainSpecifierSet = FACTORY,
                 marker: Marker | None = None, url: str | None = None, editable: bool = False,
                 hashes: tuple[str, ...] = (), options: dict[str, Any] = FACTORY,
                 error: str | None = None) -> None:
        self.file = file
        self.line = line  # 1-based line where the logical line starts
        self.text = text
        self.kind = kind  # "requirement", "option", "invalid"
        self.name = name  # PEP 503 canonical name
        self.raw_name = raw_name
        self.extras = extras
        self.specifier = PlainSpecifierSet() if specifier is FACTORY else specifier
        self.marker = marker
        self.url = url
        self.editable = editable
        self.hashes = hashes
        self.options = {} if options is FACTORY else options
        self.error = error

    @property
    def is_vcs(self) -> bool:
        return bool(self.url) and self.url.lower().startswith(_VCS)

    @property
    def is_local_path(self) -> bool:
        u = self.url or ""
        return bool(u) and (u.startswith("file:") or "://" not in u and not self.is_vcs)

    @property
    def marker_text(self) -> str:
        return str(self.marker) if self.marker is not None else ""

    @property
    def key(self) -> tuple[str, str]:
        """Identity used to match requirements across files: (name, marker)."""
        return (self.name or (self.url or self.text), self.marker_text)

    def canonical(self) -> str:
        """Normalised form: canonical name, sorted extras, sorted specifiers, marker, URL."""
        got = self.__dict__.get("_canonical")  # not a field: a cache of a pure function
        if got is None:
            got = self.__dict__["_canonical"] = format_requirement(self, canonical=True)
        return got


class ReqFile(Record):
    """A whole requirements/constraints file, line by line."""

    _fields = ("file", "lines", "comment_lines", "blank_lines", "trailing_newline", "line_count")

    def __init__(self, file: str, lines: list[ReqLine] = FACTORY,
                 comment_lines: list[int] = FACTORY, blank_lines: list[int] = FACTORY,
                 trailing_newline: bool = False, line_count: int = 0) -> None:
        self.file = file
        self.lines = [] if lines is FACTORY else lines
        self.comment_lines = [] if comment_lines is FACTORY else comment_lines
        self.blank_lines = [] if blank_lines is FACTORY else blank_lines
        self.trailing_newline = trailing_newline
        self.line_count = line_count

    @property
    def requirements(self) -> list[ReqLine]:
        return [x for x in self.lines if x.kind == "requirement"]

    @property
    def options(self) -> list[ReqLine]:
        return [x for x in self.lines if x.kind == "option"]

    @property
    def invalid(self) -> list[ReqLine]:
        return [x for x in self.lines if x.kind == "invalid"]

    def includes(self, which: str) -> list[tuple[ReqLine, str]]:
        """``-r`` (which="requirements") or ``-c`` ("constraints") targets with their lines."""
        out = []
        for x in self.options:
            for target in x.options.get(which) or ():
                out.append((x, str(target)))
        return out


def format_requirement(r: ReqLine, *, canonical: bool = False) -> str:
    """Write a requirement back as one PEP 508 line (``-e`` prefix for editables)."""
    if r.kind != "requirement":
        return r.text.strip()
    name = r.name if canonical else r.raw_name
    out = ""
    if name:
        out = name
        if r.extras:
            out += "[" + ",".join(sorted(r.extras)) + "]"
        if r.url:
            out += " @ " + r.url
        else:
            specs = sorted(str(s) for s in r.specifier) if canonical else [
                str(s) for s in r.specifier]
            out += ",".join(specs)
    else:
        out = r.url or ""
    if r.marker is not None:
        out += ("; " if not r.url or not name else " ; ") + str(r.marker)
    if r.editable:
        out = "-e " + out
    return out


def parse_requirements_text(text: str, file: str) -> ReqFile:
    """Parse a whole requirements/constraints file given as text."""
    raw_lines = text.splitlines()
    rf = ReqFile(file=file, trailing_newline=text.endswith(("\n", "\r")),
                 line_count=len(raw_lines))
    rf.blank_lines = [i for i, s in enumerate(raw_lines, 1) if not s.strip()]
    if "\\" not in text and "#" not in text:
        # No continuations and no comments: pip's preprocessing yields each stripped,
        # non-blank line under its own number, so skip it (and its import).
        for number, raw in enumerate(raw_lines, 1):
            line = raw.strip()
            if line:
                rf.lines.append(_parse_one(line, number, file))
        return rf
    import pip_requirements_parser as prp

    for numbered in prp.preprocess(text):
        number, line = numbered.line_number, numbered.line
        if isinstance(numbered, prp.CommentLine):
            rf.comment_lines.append(number)
            continue
        if not line.strip():
            continue
        rf.lines.append(_parse_one(line, number, file))
    return rf


def parse_requirement_line(text: str, file: str, line: int) -> ReqLine:
    """Parse one requirement string (a conda ``pip:`` entry or a python_env dependency)."""
    if text.isprintable() and "\\" not in text and "#" not in text:
        stripped = text.strip()  # one line (no line breaks of any kind), nothing to remove
    else:
        joined = " ".join(s.rstrip("\\").strip() for s in text.splitlines()) or text
        stripped = re.sub(r"(^|\s)#.*$", "", joined).strip()
    if not stripped:
        return ReqLine(file, line, text, "invalid", error="empty requirement")
    return _parse_one(stripped, line, file)


# A plain ``name[extras] <specifiers>`` line: no options, URL, path, marker, comment or
# archive name. pip-requirements-parser hands such a line, unchanged, to packaging's
# ``Requirement`` and keeps nothing else, so parsing it with ``Requirement`` directly gives the
# same ReqLine (tests/test_requirements_fastpath.py checks this against the full parser).
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._, -]*\])?"
                    r"( *[<>=!~][<>=!~ A-Za-z0-9.*+_,-]*)?")
_ARCHIVE = (".zip", ".whl", ".tar", ".tgz", ".tbz", ".txz", ".tlz", ".tar.gz", ".tar.bz2",
            ".tar.xz", ".tar.lz", ".tar.lzma")


# ``-r FILE`` / ``-c FILE`` (python_env.yaml's usual ``-r requirements.txt``): what pip's
# option parser makes of it, without building that parser.
_INCLUDE = re.compile(r"(?:(-r|-c|--requirement|--constraint) +|(--requirement|--constraint)=)"
                      r"([A-Za-z0-9._+][A-Za-z0-9._/+-]*)")
_INCLUDE_DEST = {"-r": "requirements", "--requirement": "requirements", "-c": "constraints",
                 "--constraint": "constraints"}


_HUGE_NUMBER = re.compile(r"\d{64}")
_SPEC_PART = re.compile(r"\s-|@|;|#")  # name and specifiers end before options/URL/marker


def _parse_one(line: str, number: int, file: str) -> ReqLine:
    """One logical line; results for a line text are cached (they do not depend on where)."""
    if len(line) >= 64 and not line.startswith("-") and \
            _HUGE_NUMBER.search(_SPEC_PART.split(line, 1)[0]):
        # packaging cannot compare versions with numbers past Python's int-string limit, and no
        # real release has a 64-digit part: unparsable, like pip would find it
        return ReqLine(file, number, line, "invalid",
                       error="a version number with 64 or more digits is not a real version")
    if line.startswith("-"):
        m = _INCLUDE.fullmatch(line)
        if m:
            dest = _INCLUDE_DEST[m.group(1) or m.group(2)]
            return ReqLine(file, number, line, "option", options={dest: [m.group(3)]})
    tpl = _parse_cached(line)
    if tpl is None:
        import pip_requirements_parser as prp

        return _parse_logical(prp, prp.get_line_parser(), line, number, file)
    out = object.__new__(ReqLine)  # a copy of the cached line at this place (fast replace())
    out.__dict__.update(tpl.__dict__)
    out.file, out.line = file, number
    return out


# The commonest line of all, ``name``, ``name==1.2.3`` or ``name>=1,<2`` (numeric releases, no
# spaces): packaging's grammar reads the name and the specifier text back unchanged, so build
# them without loading its requirement parser (packaging.requirements/_parser/markers) or its
# specifiers (see plain_specifiers).
_PINNED = re.compile(r"([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)"
                     r"((?:==|!=|>=|<=|<|>)\d+(?:\.\d+)*(?:,(?:==|!=|>=|<=|<|>)\d+(?:\.\d+)*)*)?")


@lru_cache(maxsize=8192)
def _parse_cached(line: str) -> ReqLine | None:
    """The position-free ReqLine of a requirement line, or None when it must go to pip's
    parser each time (options, and anything invalid: those messages can name the place).
    Its canonical form is computed here once: the copies made per place inherit it."""
    tpl = _parse_template(line)
    if tpl is not None:
        tpl.canonical()
    return tpl


def _parse_template(line: str) -> ReqLine | None:
    m = _PINNED.fullmatch(line)
    if m and not line.lower().endswith(_ARCHIVE):
        name, spec = m.group(1), m.group(2) or ""
        return ReqLine("", 0, line, "requirement", name=canonicalize_name(name), raw_name=name,
                       specifier=specifier_set(spec))
    if _PLAIN.fullmatch(line) and " -" not in line and not line.lower().endswith(_ARCHIVE):
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            req = Requirement(line)
        except InvalidRequirement:
            req = None
        if req is not None and not any(str(s).endswith("]") for s in req.specifier):
            return ReqLine("", 0, line, "requirement", name=canonicalize_name(req.name),
                           raw_name=req.name,
                           extras=frozenset(canonicalize_name(e) for e in req.extras),
                           specifier=req.specifier)
    import pip_requirements_parser as prp

    out = _parse_logical(prp, prp.get_line_parser(), line, 0, "")
    return out if out.kind == "requirement" else None


def _parse_logical(prp: Any, line_parser: Any, line: str, number: int, file: str) -> ReqLine:
    req_line = prp.RequirementLine(line=line, line_number=number, filename=file)
    try:
        args, opts, arguments = line_parser(line)
        parsed = prp.ParsedLine(requirement_string=args, options=opts, is_constraint=False,
                                requirement_line=req_line, arguments=arguments)
        items = list(prp.handle_line(parsed_line=parsed))
    except BaseException as exc:  # optparse exits via SystemExit on bad options
        if isinstance(exc, KeyboardInterrupt):
            raise
        return ReqLine(file, number, line, "invalid", error=_clean_error(exc))
    for item in items:
        if isinstance(item, prp.InvalidRequirementLine):
            return ReqLine(file, number, line, "invalid", error=item.error_message)
    item = items[-1] if items else None
    if isinstance(item, prp.OptionLine):
        legacy = [o for o in item.options if o in prp.LEGACY_OPTIONS_DEST]
        if legacy:
            return ReqLine(file, number, line, "invalid",
                           error=f"unsupported legacy pip option {legacy[0]}")
        return ReqLine(file, number, line, "option", options=dict(item.options))
    if item is None:
        return ReqLine(file, number, line, "invalid", error="nothing pip can use")
    try:
        ir = prp.build_req_from_parsedreq(item)
    except Exception as exc:
        return ReqLine(file, number, line, "invalid", error=_clean_error(exc))
    if ir.invalid_options:
        return ReqLine(file, number, line, "invalid",
                       error=f"options not allowed on a requirement line: "
                             f"{', '.join(ir.invalid_options)}")
    return _from_install_req(ir, file, number, line)


def _from_install_req(ir: Any, file: str, number: int, line: str) -> ReqLine:
    req = ir.req
    url = ir.link.url if ir.link is not None else None
    raw_name = req.name if req is not None else None
    if raw_name is None and url:
        m = _EGG.search(url)
        raw_name = m.group(1) if m else None
    return ReqLine(
        file, number, line, "requirement",
        name=canonicalize_name(raw_name) if raw_name else None,
        raw_name=raw_name,
        extras=frozenset(canonicalize_name(e) for e in (req.extras if req else ir.extras)),
        specifier=req.specifier if req is not None else PlainSpecifierSet(),
        marker=ir.marker,
        url=url,
        editable=bool(getattr(ir, "is_editable", False)),
        hashes=tuple(ir.hash_options or ()),
    )


def _clean_error(exc: BaseException) -> str:
    msg = str(exc).strip() or type(exc).__name__
    return msg.splitlines()[0][:200]
