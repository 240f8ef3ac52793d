"""MC102-MC108: the MLmodel file itself cannot be read or parsed the way MLflow reads it."""

from __future__ import annotations

from modelcheck.package.model_package import DECODE_KINDS, text_fix
from modelcheck.results import Hit, Level
from modelcheck.rule import rule
from modelcheck.rules.mlmodel_shape import foreign_shape

_FILE = "MLmodel"


def _present(pkg) -> bool:
    """MLmodel is a regular file (missing/dir: MC101; escaping symlink: containment rules)."""
    return pkg.entry(_FILE).kind == "file"


@rule("MC102", "mlmodel-unreadable", Level.ERROR, tags=("mlmodel",))
def mlmodel_unreadable(pkg):
    """`MLmodel` cannot be read as UTF-8 text (binary, bad encoding, too large, empty).

    What it checks
    That `MLmodel` is UTF-8 text (a UTF-8 byte-order mark is fine: PyYAML skips it), not
    binary, not UTF-16/UTF-32 (with or without a byte-order mark), not in another 8-bit
    encoding, under modelcheck's size limit for the files it reads (`max-file-bytes`, 16 MiB
    by default), and holds something other than whitespace and comments. An `MLmodel` over
    the limit was not checked: that is an error too, never a pass. An `MLmodel` the operating
    system refuses to read (permission denied, I/O error) is not reported here but as a tool
    failure (MC902, exit 2).

    Why it matters
    MLflow opens `MLmodel` as UTF-8 text and feeds it to `yaml.safe_load`. A binary, UTF-16
    or mis-encoded file raises `UnicodeDecodeError`; an empty one loads as `None` and
    `Model.from_dict` fails with `AttributeError: 'NoneType' object has no attribute 'copy'`.
    Every loader fails.

    Example
    An `MLmodel` saved as UTF-16 by a Windows editor or by PowerShell's `>`, or truncated to
    0 bytes by a failed copy.

    How to fix
    Restore `MLmodel` from the run's artifacts (or re-log the model); re-save a UTF-16 file
    as UTF-8 (`Out-File -Encoding utf8`); raise `max-file-bytes` to check a larger file.
    """
    if not _present(pkg):
        return
    t = pkg.text(_FILE)
    if not t.ok:
        if t.kind in ("missing", "dir", "outside", "unreadable"):
            return  # not MLmodel's content: MC101, containment, or the OS (MC902)
        yield Hit(f"MLmodel cannot be read as UTF-8 YAML text: {t.problem}", file=_FILE,
                  line=1 if t.kind in DECODE_KINDS else None, key=t.kind,
                  fix=text_fix(t, pkg.text_cap, "restore MLmodel from the run's artifacts "
                                                "(it must be UTF-8 YAML text)"))
        return
    doc = pkg.mlmodel
    if doc.ok and doc.data is None:
        what = "empty" if not t.text.strip() else "only comments/blank lines"
        yield Hit(f"MLmodel is {what}: expected a YAML mapping with at least 'flavors'",
                  file=_FILE, line=1,
                  fix="restore MLmodel from the run's artifacts or re-log the model")


def _parse_problem(pkg, kinds: tuple[str, ...]):
    if not _present(pkg) or not pkg.text(_FILE).ok:
        return None
    p = pkg.mlmodel.problem
    if p is None or p.kind not in kinds or foreign_shape(pkg) is not None:
        return None
    return p


@rule("MC103", "mlmodel-yaml-invalid", Level.ERROR, tags=("mlmodel",))
def mlmodel_yaml_invalid(pkg):
    """`MLmodel` is not valid YAML.

    What it checks
    That `MLmodel` parses as YAML 1.1 the way PyYAML's `safe_load` (used by MLflow) reads it.
    The finding gives the line and column the parser stopped at.

    Why it matters
    `Model.load` calls `yaml.safe_load` on the file; a syntax error raises and every loader
    (`pyfunc.load_model`, `mlflow models serve`, the flavor loaders) fails before reading
    anything else.

    Example
    A hand edit that left a tab for indentation or an unclosed `[` in `MLmodel`.

    How to fix
    Fix the YAML at the reported position, or restore `MLmodel` from the run's artifacts.
    """
    p = _parse_problem(pkg, ("syntax",))
    if p:
        yield Hit(f"MLmodel is not valid YAML: {p.message}", file=_FILE, line=p.line, col=p.col,
                  fix="fix the YAML syntax at this position or restore MLmodel from the run")


@rule("MC104", "mlmodel-yaml-tag", Level.ERROR, tags=("mlmodel", "security"),
      security_severity=5.0)
def mlmodel_yaml_tag(pkg):
    """`MLmodel` uses a YAML tag that a safe loader refuses (e.g. `!!python/object`).

    What it checks
    Explicit tags such as `!!python/object:...`, `!!python/name:...` or application tags
    (`!foo`) anywhere in `MLmodel`.

    Why it matters
    MLflow reads `MLmodel` with `yaml.safe_load`, which raises `ConstructorError` on these
    tags, so the model cannot be loaded. A `python/object` tag is also a sign of a file written
    with an unsafe dumper or crafted to run code in tools that use an unsafe loader.

    Example
    `signature: !!python/object:mlflow.models.signature.ModelSignature {...}`

    How to fix
    Write `MLmodel` with `yaml.safe_dump` (as MLflow does): plain mappings, lists and strings.
    """
    p = _parse_problem(pkg, ("tag",))
    if p:
        yield Hit(f"MLmodel uses a YAML tag that yaml.safe_load refuses: {p.message}",
                  file=_FILE, line=p.line, col=p.col,
                  fix="remove the tag; MLmodel must hold only plain YAML mappings, lists and "
                      "scalars")


@rule("MC105", "mlmodel-multi-document", Level.ERROR, tags=("mlmodel",))
def mlmodel_multi_document(pkg):
    """`MLmodel` holds more than one YAML document (a second `---`).

    What it checks
    A document separator `---` after the first document in `MLmodel`.

    Why it matters
    `yaml.safe_load` accepts exactly one document and raises "expected a single document in
    the stream" otherwise, so MLflow cannot load the model.

    Example
    Two MLmodel files concatenated with `---` between them.

    How to fix
    Keep only the document that describes this package.
    """
    p = _parse_problem(pkg, ("multi-doc",))
    if p:
        yield Hit("MLmodel holds more than one YAML document; yaml.safe_load expects exactly "
                  f"one ({p.message})", file=_FILE, line=p.line, col=p.col,
                  fix="delete the second document (from the '---' line on)")


@rule("MC106", "mlmodel-yaml-bomb", Level.ERROR, tags=("mlmodel", "security"),
      security_severity=6.5)
def mlmodel_yaml_bomb(pkg):
    """`MLmodel` expands YAML aliases explosively or nests absurdly deep.

    What it checks
    Aliases that expand to a huge number of nodes ("billion laughs"), recursive aliases, and
    nesting deeper than modelcheck's limit. modelcheck stops parsing such a file.

    Why it matters
    A real MLmodel never uses aliases this way; `yaml.safe_load` on such a file can exhaust
    memory or CPU in every tool that reads the model (registry UIs, serving, CI).

    Example
    `a: &a [x, x, x, x, x, x, x, x, x]`, `b: &b [*a, *a, *a, ...]`, ... nine levels deep.

    How to fix
    Treat the package as hostile; restore `MLmodel` from a trusted source.
    """
    p = _parse_problem(pkg, ("alias-bomb", "depth"))
    if p:
        yield Hit(f"MLmodel is not safe to parse: {p.message}; modelcheck stopped reading it",
                  file=_FILE, line=p.line, col=p.col,
                  fix="restore MLmodel from a trusted source; a real MLmodel has no such "
                      "aliases")


@rule("MC107", "mlmodel-duplicate-key", Level.WARNING, tags=("mlmodel",))
def mlmodel_duplicate_key(pkg):
    """A key appears twice in the same mapping of `MLmodel`; MLflow keeps the last one.

    What it checks
    Repeated keys in any mapping of `MLmodel` (top level, a flavor block, ...).

    Why it matters
    PyYAML silently keeps the last value, so the first one, often the one a reviewer reads, is
    ignored. It usually comes from a merge or a hand edit.

    Example
    `sklearn_version: 1.3.0` in a flavor block and, a few lines later, `sklearn_version: 1.5.2`.

    How to fix
    Delete the duplicate you do not mean; keep one key with the right value.
    """
    if not _present(pkg) or not pkg.text(_FILE).ok:
        return
    for d in pkg.mlmodel.duplicates:
        yield Hit(f"duplicate key {d.key!r} at {d.pointer} (first on line {d.first_line}): "
                  f"MLflow keeps the last value (line {d.line}) and ignores the earlier one",
                  file=_FILE, pointer=d.pointer, line=d.line, key=f"{d.pointer}@{d.line}",
                  fix=f"delete one of the two {d.key!r} keys")


@rule("MC108", "mlmodel-not-mapping", Level.ERROR, tags=("mlmodel",))
def mlmodel_not_mapping(pkg):
    """The top level of `MLmodel` is not a mapping.

    What it checks
    That `MLmodel` parses to a mapping of keys (`flavors`, `run_id`, ...), not a list or a
    plain string.

    Why it matters
    `Model.from_dict` calls `.copy()` and key look-ups on the parsed document; a list or a
    string fails with `AttributeError`, so no loader can read the model.

    Example
    `MLmodel` holding `- flavors` (a list) or a single line of text.

    How to fix
    Restore `MLmodel` from the run's artifacts; its top level must be `key: value` lines.
    """
    if not _present(pkg) or not pkg.text(_FILE).ok:
        return
    doc = pkg.mlmodel
    if not doc.ok or doc.data is None or isinstance(doc.data, dict):
        return
    if foreign_shape(pkg) is not None:
        return
    kind = type(doc.data).__name__
    kind = {"list": "a list", "str": "a plain string", "int": "a number", "float": "a number",
            "bool": "a boolean"}.get(kind, f"a {kind}")
    yield Hit(f"MLmodel's top level is {kind}; expected a mapping with 'flavors' and the other "
              "model fields", file=_FILE, line=1, pointer="",
              fix="restore MLmodel from the run's artifacts or re-log the model")
