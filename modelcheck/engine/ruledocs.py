"""Rule documentation as Markdown: the README's rule table is generated from rule docstrings.

``python -m modelcheck.engine.ruledocs --write README.md`` rewrites the table between the
``<!-- rules:start -->`` and ``<!-- rules:end -->`` markers.
"""

from __future__ import annotations

import argparse
import re
import sys

from modelcheck.engine.registry import all_rules
from modelcheck.fixes.registry import note

START, END = "<!-- rules:start -->", "<!-- rules:end -->"
FAMILIES = {
    "MC1": "MLmodel file and top-level fields", "MC2": "flavors and the artifacts they reference",
    "MC3": "signature", "MC4": "input example and its conformance to the signature",
    "MC5": "environment files", "MC6": "code, containment and safety", "MC9": "the tool itself",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def fix_line(code: str) -> str | None:
    """What ``--fix`` does for rule ``code`` ("Fix: safe: ..."), or None when it has no fix.
    The fixes registry is plain data beside the rules (no fixer is imported for it)."""
    text = note(code)
    return f"Fix: {text}" if text else None


def _fix_mark(code: str) -> str:
    text = note(code) or ""
    if not text:
        return ""
    kinds = " or ".join(k for k in ("safe", "unsafe") if re.search(rf"(^|[^n]){k}\b", text))
    return f" *(--fix: {kinds})*"


def table() -> str:
    lines = [START, "", "| code | name | level | what it checks |", "|---|---|---|---|"]
    family = None
    for code, r in all_rules().items():
        fam = FAMILIES.get(code[:3], "plugins")
        if fam != family:
            family = fam
            lines.append(f"| **{code[:3]}xx** | *{fam}* | | |")
        m = r.meta
        lines.append(f'| <a id="{code.lower()}"></a>`{code}` | `{m.name}` | {m.level} | '
                     f"{_cell(m.summary)}{_fix_mark(code)} |")
    lines += ["", f"{len(all_rules())} rules. `modelcheck rule CODE` prints a rule's full docs "
              "(what, why, example, how to fix, and what `--fix` does where it has a fix).", "",
              END]
    return "\n".join(lines)


def rewrite(text: str) -> str:
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"no {START} ... {END} markers")
    return pattern.sub(lambda _m: table(), text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--write", metavar="README", help="rewrite the table in this file")
    args = ap.parse_args(argv)
    if args.write:
        with open(args.write, encoding="utf-8") as fh:
            text = fh.read()
        with open(args.write, "w", encoding="utf-8") as fh:
            fh.write(rewrite(text))
    else:
        sys.stdout.write(table() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
