"""The text edits of ``--fix`` keep every byte they do not mean to change (hypothesis), and the
single-quoted YAML reader behind the MC307 fix reads what PyYAML reads, mapping each
character back to the byte it came from."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from modelcheck.fixes.edits import (
    BOM,
    Edit,
    apply,
    conflicts,
    delete_line,
    insert_line_after,
    insert_line_before,
    lines,
)
from modelcheck.fixes.signature import single_quoted
from modelcheck.fixes.sites import yaml_item, yaml_text

LINE = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)),
               max_size=12)


@st.composite
def documents(draw) -> bytes:
    body = draw(st.lists(LINE, min_size=1, max_size=8))
    brk = draw(st.sampled_from(["\n", "\r\n"]))
    text = brk.join(body) + (brk if draw(st.booleans()) else "")
    data = text.encode("utf-8")
    return (BOM + data) if draw(st.booleans()) else data


@st.composite
def edit_sets(draw) -> tuple[bytes, list[Edit]]:
    data = draw(st.binary(max_size=60))
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=8)))
    edits, last = [], -1
    for a, b in zip(cuts[::2], cuts[1::2], strict=False):
        if a == last:
            continue
        edits.append(Edit(a, b, draw(st.binary(max_size=5))))
        last = a
    return data, edits


@given(edit_sets())
def test_apply_changes_only_the_ranges(case: tuple[bytes, list[Edit]]) -> None:
    data, edits = case
    out = apply(data, edits)
    expected, pos = b"", 0
    for e in sorted(edits, key=lambda e: e.start):
        expected += data[pos:e.start] + e.new
        pos = e.end
    assert out == expected + data[pos:]


def test_conflicting_edits_are_refused() -> None:
    assert conflicts(Edit(0, 3), Edit(2, 5)) and conflicts(Edit(4, 4, b"x"), Edit(4, 6))
    assert not conflicts(Edit(0, 3), Edit(3, 5))
    with pytest.raises(ValueError):
        apply(b"abcdef", [Edit(0, 3), Edit(2, 5)])


@settings(max_examples=300)
@given(documents(), st.data())
def test_deleting_a_line_keeps_every_other_byte(data: bytes, pick) -> None:
    all_lines = lines(data)
    assume(all_lines)
    k = pick.draw(st.integers(1, len(all_lines)))
    out = apply(data, [delete_line(all_lines, k)])
    kept = [data[ln.start:ln.end] for ln in all_lines if ln.number != k]
    got = [out[ln.start:ln.end] for ln in lines(out)]
    # an empty last line without a line break is no line at all
    assert got == (kept[:-1] if kept and not kept[-1] and len(got) < len(kept) else kept)
    assert out.startswith(BOM) == data.startswith(BOM)
    if len(all_lines) > 1 and (k < len(all_lines) or all_lines[k - 2].end > all_lines[k - 2]
                               .start):  # a file with or without a final break stays so
        assert out.endswith(b"\n") == data.endswith(b"\n")
    # every other line keeps its own line break
    assert [out[ln.end:ln.stop] for ln in lines(out)][:-1] == [
        data[ln.end:ln.stop] for ln in all_lines if ln.number != k][:len(lines(out)) - 1]


@given(documents(), st.data())
def test_inserting_a_line_keeps_every_other_byte(data: bytes, pick) -> None:
    all_lines = lines(data)
    assume(all_lines)
    k = pick.draw(st.integers(1, len(all_lines)))
    for put in (insert_line_before, insert_line_after):
        out = apply(data, [put(all_lines, data, k, b"new==1")])
        got = [out[ln.start:ln.end] for ln in lines(out)]
        want = [data[ln.start:ln.end] for ln in all_lines]
        want.insert(k - 1 if put is insert_line_before else k, b"new==1")
        assert got == want
        assert out.endswith(b"\n") == data.endswith(b"\n")


TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"), max_codepoint=0x2FF),
               max_size=80)


@settings(max_examples=300)
@given(TEXT, st.integers(10, 40), st.sampled_from(["\n", "\r\n"]))
def test_single_quoted_reads_what_pyyaml_reads(value: str, width: int, brk: str) -> None:
    doc = yaml.safe_dump({"key": value}, default_style="'", width=width).replace("\n", brk)
    assert yaml.safe_load(doc) == {"key": value}
    got = single_quoted(doc, len("'key': "))
    if doc[len("'key': ")] != "'":  # PyYAML chose double quotes (unprintable characters)
        assert got is None
        return
    assert got is not None
    decoded, src = got
    assert decoded == value
    for ch, at in zip(decoded, src, strict=True):
        assert doc[at] == ch or doc[at] in "\r\n"  # a folded break maps to the break


def test_yaml_items_are_placed_only_when_certain() -> None:
    data = b"- pip:\n  - sklearn==0.0\n  - 'flask'\n  - a # note\n  - \"quoted\"\n  - 1.5\n"
    all_lines = lines(data)
    site = yaml_item("conda.yaml", data, all_lines, all_lines[1], "sklearn==0.0")
    assert site is not None and data[site.start:site.end] == b"sklearn==0.0"
    site = yaml_item("conda.yaml", data, all_lines, all_lines[2], "flask")
    assert site is not None and site.quoted and data[site.start:site.end] == b"flask"
    site = yaml_item("conda.yaml", data, all_lines, all_lines[3], "a")
    assert site is not None and data[site.start:site.end] == b"a"
    assert yaml_item("conda.yaml", data, all_lines, all_lines[4], "quoted") is None
    assert yaml_item("conda.yaml", data, all_lines, all_lines[5], "1.5") is None
    assert yaml_item("conda.yaml", data, all_lines, all_lines[1], "sklearn") is None
    assert yaml_text("scikit-learn==1.9.1", False) == "scikit-learn==1.9.1"
    assert yaml_text("3.10", False) is None and yaml_text("a: b", False) is None
