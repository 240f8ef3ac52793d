"""Where each requirement sits in the package's environment files, to the byte.

``req_lists(pkg)`` gives the pip requirement lists MLflow writes (``requirements.txt``, the
``pip:`` list of ``conda.yaml``, the ``dependencies`` of ``python_env.yaml``), each entry with
the byte range of its requirement text and of its whole line. An entry is only placed when the
text found there is certain to be the entry the parsers read: a YAML item must be a one-line
plain or simple single-quoted scalar whose value equals the parsed item; a requirements.txt
line must not be continued. What cannot be placed is left out (and the list marked
incomplete), so a fix never edits a guess.
"""

from __future__ import annotations

import re
from typing import Any

from modelcheck.fixes.edits import Edit, Line, delete_line, line_text, lines
from modelcheck.formats.requirements.parse import ReqLine, parse_requirement_line
from modelcheck.formats.yaml.loader import YamlDoc, join_pointer
from modelcheck.formats.yaml.scalars import NotSimple, plain_value
from modelcheck.package.envfiles import REQUIREMENTS, env_of
from modelcheck.package.model_package import ModelPackage
from modelcheck.records import FrozenRecord

_ITEM = re.compile(r"(\s*)-( +)(.*)")
# a requirement's name, extras and specifiers: what replace_head replaces (a marker after `;`
# and a comment stay)
_HEAD = re.compile(r"\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*([<>=!~][^;]*)?")
_COMMENT = re.compile(r"(^|\s)#.*$")
_NOT_PLAIN = set("'\"[]{}&*!|>%@`,#")


class Site(FrozenRecord):
    """One requirement entry: ``data[start:end]`` is its requirement text; ``delete``
    removes its whole line."""

    _fields = ("file", "line", "start", "end", "text", "req", "delete", "quoted")

    def __init__(self, file: str, line: int, start: int, end: int, text: str, req: ReqLine,
                 delete: Edit, quoted: bool = False) -> None:
        init = object.__setattr__
        init(self, "file", file)
        init(self, "line", line)
        init(self, "start", start)
        init(self, "end", end)
        init(self, "text", text)
        init(self, "req", req)
        init(self, "delete", delete)
        init(self, "quoted", quoted)  # a single-quoted YAML scalar (the quotes stay)

    @property
    def name(self) -> str | None:
        return self.req.name if self.req.kind == "requirement" else None


class ReqList(FrozenRecord):
    """One list of requirements in one file. ``complete``: every entry was placed.
    ``item_prefix``: what starts a YAML item line (indent and ``- ``), "" for a text file."""

    _fields = ("key", "file", "sites", "complete", "count", "item_prefix", "data")

    def __init__(self, key: str, file: str, sites: list[Site], complete: bool, count: int,
                 item_prefix: str, data: bytes) -> None:
        init = object.__setattr__
        init(self, "key", key)
        init(self, "file", file)
        init(self, "sites", sites)
        init(self, "complete", complete)
        init(self, "count", count)
        init(self, "item_prefix", item_prefix)
        init(self, "data", data)

    @property
    def yaml(self) -> bool:
        return self.key != "requirements"


def file_bytes(pkg: ModelPackage, rel: str) -> bytes | None:
    """The bytes of the package's regular file ``rel`` when it is UTF-8 text, else None."""
    if not pkg.is_file(rel) or pkg.entry(rel).target is not None:
        return None  # missing, or reached through a symlink: never edited
    t = pkg.text(rel)
    if not t.ok:
        return None
    r = pkg.read(rel)
    return r.data if r.ok else None


def req_lists(pkg: ModelPackage) -> list[ReqList]:
    return pkg.memo("fix-req-lists", lambda: _req_lists(pkg))


def _req_lists(pkg: ModelPackage) -> list[ReqList]:
    out: list[ReqList] = []
    env = env_of(pkg)
    data = file_bytes(pkg, REQUIREMENTS) if env.requirements is not None else None
    if data is not None:
        out.append(_txt_list(REQUIREMENTS, data))
    ce = env.conda
    if ce is not None and ce.pip is not None and isinstance(ce.data, dict):
        items = _pip_items(ce.data)
        cdata = file_bytes(pkg, ce.file)
        if items is not None and cdata is not None:
            out.append(_yaml_list("conda-pip", ce.file, cdata, ce.doc, ce.pip_pointer, items))
    pe = env.python_env
    if pe is not None and isinstance(pe.data, dict) and isinstance(pe.data.get("dependencies"),
                                                                   list):
        pdata = file_bytes(pkg, pe.file)
        if pdata is not None:
            out.append(_yaml_list("python-env", pe.file, pdata, pe.doc,
                                  join_pointer("dependencies"), pe.data["dependencies"]))
    return out


def _pip_items(data: dict) -> list[Any] | None:
    for dep in data.get("dependencies") or ():
        if isinstance(dep, dict) and isinstance(dep.get("pip"), list):
            return dep["pip"]
    return None


def _txt_list(rel: str, data: bytes) -> ReqList:
    all_lines = lines(data)
    sites: list[Site] = []
    complete = True
    count = 0
    continued = False
    for ln in all_lines:
        text = line_text(data, ln)
        was_continued, continued = continued, text.rstrip().endswith("\\")
        body = _COMMENT.sub("", text).strip()
        if not body:
            continue
        count += 1
        if was_continued or continued:
            complete = False
            continue
        req = parse_requirement_line(body, rel, ln.number)
        start = ln.start + len(text[:text.index(body)].encode("utf-8"))
        sites.append(Site(rel, ln.number, start, start + len(body.encode("utf-8")), body, req,
                          delete_line(all_lines, ln.number)))
    return ReqList("requirements", rel, sites, complete, count, "", data)


def _yaml_list(key: str, rel: str, data: bytes, doc: YamlDoc, pointer: str,
               items: list[Any]) -> ReqList:
    all_lines = lines(data)
    sites: list[Site] = []
    prefix = ""
    numbers = doc.item_lines(pointer, len(items))
    for item, number in zip(items, numbers, strict=True):
        if not isinstance(item, str) or number is None or number > len(all_lines):
            continue
        site = yaml_item(rel, data, all_lines, all_lines[number - 1], item)
        if site is not None:
            sites.append(site)
            m = _ITEM.match(line_text(data, all_lines[number - 1]))
            prefix = prefix or (m.group(1) + "-" + m.group(2) if m else "")
    return ReqList(key, rel, sites, len(sites) == len(items), len(items), prefix, data)


def yaml_item(rel: str, data: bytes, all_lines: list[Line], ln: Line, item: str
              ) -> Site | None:
    """The site of the one-line YAML sequence item ``item`` on line ``ln`` (None when the
    line does not hold exactly that item as a plain or simple single-quoted scalar)."""
    text = line_text(data, ln)
    m = _ITEM.fullmatch(text)
    if m is None:
        return None
    raw = m.group(3)
    offset = len(m.group(1)) + 1 + len(m.group(2))
    quoted = raw.startswith("'")
    if quoted:
        close = raw.find("'", 1)
        rest = raw[close + 1:] if close > 0 else ""
        if close < 0 or raw[close + 1:close + 2] == "'" or (rest.strip() and
                                                            not rest.strip().startswith("#")):
            return None
        value = raw[1:close]
        offset += 1
    else:
        value = re.sub(r"\s#.*$", "", raw).rstrip()
        if not value or value[0] in _NOT_PLAIN or ": " in value or value.endswith(":"):
            return None
        try:
            if plain_value(value) != item:
                return None
        except NotSimple:
            return None
    if value != item:
        return None
    start = ln.start + len(text[:offset].encode("utf-8"))
    end = start + len(value.encode("utf-8"))
    req = parse_requirement_line(item, rel, ln.number)
    return Site(rel, ln.number, start, end, value, req, delete_line(all_lines, ln.number),
                quoted)


def yaml_text(value: str, quoted: bool) -> str | None:
    """``value`` written where a plain (or, ``quoted``, single-quoted) YAML scalar was, or
    None when it cannot be written there without changing what YAML reads."""
    if quoted:
        return None if "'" in value or "\n" in value else value
    if not value or value[0] in _NOT_PLAIN or ": " in value or " #" in value \
            or value.endswith(":") or value != value.strip():
        return None
    try:
        return value if plain_value(value) == value else None
    except NotSimple:
        return None


def replace_head(s: Site, new: str) -> Edit | None:
    """The edit that turns the name and specifiers of the requirement at ``s`` into ``new``
    (its marker and comment kept), or None when that is not certain (a URL requirement, or
    text YAML would read differently)."""
    if s.req.kind != "requirement" or s.req.url:
        return None
    m = _HEAD.match(s.text)
    if m is None:
        return None
    head = m.group(0).rstrip()
    rest = s.text[len(head):]
    if s.file != REQUIREMENTS and yaml_text(new + rest, s.quoted) is None:
        return None
    return Edit(s.start, s.start + len(head.encode("utf-8")), new.encode("utf-8"))
