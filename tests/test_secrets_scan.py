"""MC640: every pattern follows its provider's real key format.

Realistic fake keys of each format must be found; near-misses (sklearn's HTML repr, CSS
classes, identifiers, placeholders, keys of the wrong length or alphabet) must not. The fake
keys are generated at test time from a fixed seed, in the documented shape of each provider's
keys, so no key-shaped literal sits in this file for a secret scanner to trip on.
"""

from __future__ import annotations

import json
import random
import shutil
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelcheck.package.model_package import ModelPackage
from modelcheck.rules import secrets_scan
from modelcheck.sources.local import LocalSource

TRIGGERS = sorted({t for _kind, ts, _src, _g, _c in secrets_scan._SPECS for t in ts})
BASE = Path(__file__).parent.parent / "examples" / "iris-sklearn"
RNG = random.Random(640)
B62 = string.ascii_letters + string.digits
B64 = B62 + "+/"
B64URL = B62 + "_-"
B32 = string.ascii_uppercase + "234567"
HEX = "0123456789abcdef"
MARK = "T3" + "BlbkFJ"  # base64 of "OpenAI", split so this file holds no key-shaped literal


def rnd(alphabet: str, n: int) -> str:
    """``n`` random characters with every class of ``alphabet`` present (as a real key of that
    length has, with odds against below 1e-6)."""
    while True:
        s = "".join(RNG.choice(alphabet) for _ in range(n))
        classes = [set(string.ascii_uppercase), set(string.ascii_lowercase), set(string.digits)]
        if all(set(s) & c for c in classes if set(alphabet) & c):
            return s


def _openai_modern(prefix: str, half: int) -> str:
    return f"sk-{prefix}-" + rnd(B64URL, half) + MARK + rnd(B64URL, half)


# kind -> lines that each hold one realistic fake key of that kind
POSITIVE: dict[str, list[str]] = {
    "AWS access key id": ["key = AKIA" + rnd(B32, 16), "id: ASIA" + rnd(B32, 16),
                          "AWS_ACCESS_KEY_ID=AKIA" + rnd(B32, 16)],
    "AWS secret access key": ["aws_secret_access_key = " + rnd(B64, 40),
                              '"AWS_SECRET_ACCESS_KEY": "' + rnd(B64, 40) + '"'],
    "private key": [
        "-----BEGIN RSA PRIVATE KEY-----\n" + rnd(B64, 64),
        '"-----BEGIN PRIVATE KEY-----\\n' + rnd(B64, 64) + '\\n"',  # inside a JSON string
        "-----BEGIN OPENSSH PRIVATE KEY-----\n" + rnd(B64, 70),
        "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,"
        + rnd(HEX, 32).upper() + "\n\n" + rnd(B64, 64),
    ],
    "GCP service-account key": ['"private_key_id": "' + rnd(HEX, 40) + '"'],
    "Azure storage account key": [
        "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + rnd(B64, 86)
        + "==;EndpointSuffix=core.windows.net"],
    "Azure shared access signature": [
        "SharedAccessSignature=sv=2020-08-04&ss=b&sig=" + rnd(B62, 40) + "%3D"],
    "GitHub token": ["token: ghp_" + rnd(B62, 36), "GH=gho_" + rnd(B62, 36),
                     "pat = github_pat_" + rnd(B62, 22) + "_" + rnd(B62, 59)],
    "Slack token": ["xoxb-" + rnd(string.digits, 12) + "-" + rnd(string.digits, 13) + "-"
                    + rnd(B62, 24),
                    "xoxp-" + "-".join(rnd(string.digits, 11) for _ in range(3)) + "-"
                    + rnd(HEX, 32)],
    "Hugging Face token": ["HF_TOKEN=hf_" + rnd(string.ascii_letters, 34),
                           "login(token='hf_" + rnd(string.ascii_letters, 34) + "')"],
    "OpenAI API key": [
        "OPENAI_API_KEY=sk-" + rnd(B62, 20) + MARK + rnd(B62, 20),  # legacy user key
        'api_key: "sk-' + rnd(B62, 48) + '"',  # legacy length without the marker
        "key = " + _openai_modern("proj", 74),
        "key = " + _openai_modern("svcacct", 74),
        "key = " + _openai_modern("admin", 58),
        "key = " + _openai_modern("None", 74),
        "key = sk-myproject-" + rnd(B62, 20) + MARK + rnd(B62, 20),  # named project key
    ],
    "Anthropic API key": ["ANTHROPIC_API_KEY=sk-ant-api03-" + rnd(B64URL, 93) + "AA",
                          "k = 'sk-ant-admin01-" + rnd(B64URL, 93) + "AA'"],
    "Stripe secret key": ["stripe.api_key = 'sk_live_" + rnd(B62, 24) + "'",
                          "rk_live_" + rnd(B62, 99)],
    "Google API key": ["GOOGLE_API_KEY=AIza" + rnd(B64URL, 35)],
    "database password": ["postgresql://svc:hunter22@db.internal/prod",
                          "mysql+pymysql://app:Pa55w0rd@10.0.0.1:3306/db"],
}

SKLEARN_HTML = (
    '<style>#sk-container-id-6 {color: black;background-color: white;}#sk-container-id-6 '
    'label.sk-toggleable__label {cursor: pointer;display: block;}#sk-container-id-6 '
    'label.sk-toggleable__label-arrow:before {content: "x";}#sk-container-id-6 '
    'div.sk-toggleable__content {max-height: 0;}</style><div id="sk-container-id-6" '
    'class="sk-top-container"><div class="sk-text-repr-fallback"><pre>Pipeline()</pre></div>'
    '<div class="sk-container" hidden><div class="sk-item sk-dashed-wrapped"><div '
    'class="sk-label-container"><div class="sk-label sk-toggleable"><input '
    'class="sk-toggleable__control sk-hidden--visually" id="sk-estimator-id-25" '
    'type="checkbox" ><label for="sk-estimator-id-25" class="sk-toggleable__label '
    'sk-toggleable__label-arrow">Pipeline</label><div class="sk-toggleable__content '
    'fitted"><a class="sk-estimator-doc-link fitted" rel="noreferrer" target="_blank">'
    '</a></div></div></div><div class="sk-serial"><div class="sk-item"><div '
    'class="sk-estimator sk-toggleable"><div class="sk-parallel-item"></div></div></div>'
)

# lines that must hold no key: each is a near-miss of one of the formats above
NEGATIVE: list[str] = [
    SKLEARN_HTML,
    "sk-toggleable__label-arrow sk-toggleable__content sk-estimator-id-123456789012345",
    "sk-" + "a" * 48,  # one case, no digits
    "sk-" + rnd(string.ascii_lowercase, 48),  # an identifier in one case
    "sk-" + rnd(B62, 47), "sk-" + rnd(B62, 49),  # wrong length, no marker
    "sk-" + rnd(B62, 20) + "_" + rnd(B62, 27),  # '_' where a legacy key has none
    "sk-proj-" + rnd(B64URL, 40),  # a project key has the marker and two long halves
    "sk-proj-" + "x" * 74 + MARK + "x" * 74,  # placeholder
    "OPENAI_API_KEY=sk-...", "api_key: sk-xxxxxxxxxxxxxxxxxxxxxxxx", "sk-your-key-here",
    "my-task-" + rnd(B62, 48),
    "ask-" + rnd(B62, 48),  # 'sk-' inside a word
    "AKIA" + rnd(B32, 15), "AKIA" + rnd(B32, 17), "AKIA" + "X" * 16,
    "AKIA" + rnd(B32, 12) + "1890",  # 0, 1, 8, 9 are not base32
    "aws_secret_access_key = " + "x" * 40, "aws_secret_access_key = <your-secret-key>",
    "aws_secret_access_key = " + rnd(B64, 41),
    "-----BEGIN RSA PRIVATE KEY-----", 'if line == "-----BEGIN PRIVATE KEY-----":',
    "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
    '"private_key_id": "' + "0" * 40 + '"',
    "AccountKey=<storage-account-key>", "AccountKey=" + "Q" * 86 + "==",
    "AccountKey=" + rnd(B64, 40),  # not the 88 characters of a real account key
    "ghp_" + "x" * 36, "ghp_" + rnd(B62, 35), "my_ghp_" + rnd(B62, 36),
    "github_pat_" + rnd(B62, 60),
    "xoxo-gossip-girl-forever", "xoxb-your-bot-token-here", "xoxb-" + "1" * 30,
    "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "hf_" + rnd(string.ascii_lowercase, 34),
    "- (id)hf_requiredCharacteristicTypesForDisplayMetadata;",
    "rhf_SponsoredProductsRemoteRHFSearchEXPSubsK2ClickPagination",
    "hf_" + rnd(string.ascii_letters, 33), "hf_" + rnd(string.ascii_letters, 35),
    "sk-ant-" + rnd(B64URL, 30), "sk-ant-api03-short",
    "sk_live_" + "0" * 24, "sk_test_" + rnd(B62, 24), "mask_live_" + rnd(B62, 24),
    "AIza" + rnd(B64URL, 34), "AIza" + "B" * 35,
    "postgresql://user:${DB_PASSWORD}@host/db", "mysql://root:<password>@localhost/db",
]


def _old_would_search(low: str) -> bool:
    return any(t in low for t in TRIGGERS)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(TRIGGERS + [t.upper() for t in TRIGGERS]),
                          st.text(alphabet="akisxhgpru_-:/=yeAKIS ", max_size=8)),
                max_size=12))
def test_prefilter_agrees_with_every_trigger(parts: list[str]) -> None:
    low = "".join(parts).lower()
    assert (secrets_scan._any_trigger().search(low) is not None) == _old_would_search(low)


def test_every_kind_has_realistic_samples() -> None:
    assert set(POSITIVE) == {kind for kind, *_ in secrets_scan._SPECS}


@pytest.mark.parametrize("kind", sorted(POSITIVE))
def test_realistic_keys_are_found(kind: str) -> None:
    for line in POSITIVE[kind]:
        text = "# settings\n" + line + "\n"
        found = [(k, n) for k, n, _secret in secrets_scan.scan_text(text)]
        assert found == [(kind, 2)], (kind, line, found)


@pytest.mark.parametrize("line", NEGATIVE, ids=range(len(NEGATIVE)))
def test_near_misses_are_not_keys(line: str) -> None:
    assert list(secrets_scan.scan_text(line)) == []


def test_secret_is_the_whole_key() -> None:
    key = _openai_modern("proj", 74)
    [(kind, _line, secret)] = secrets_scan.scan_text(f'"{key}"')
    assert kind == "OpenAI API key" and secret == key


def _package(tmp_path: Path, name: str, files: dict[str, str]) -> ModelPackage:
    pkg_dir = tmp_path / name
    shutil.copytree(BASE, pkg_dir)
    for rel, text in files.items():
        (pkg_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg_dir / rel).write_text(text)
    return ModelPackage(LocalSource(str(pkg_dir)))


def test_rule_reports_file_line_and_masks(tmp_path: Path) -> None:
    lines = [v[0] for v in POSITIVE.values()]
    pkg = _package(tmp_path, "all", {"code/settings.txt": "\n".join(lines) + "\n"})
    hits = list(secrets_scan.secret_in_package.check(pkg))
    starts = [1]
    for line in lines[:-1]:
        starts.append(starts[-1] + line.count("\n") + 1)
    assert sorted(h.line for h in hits) == starts
    for h in hits:
        assert h.file == "code/settings.txt"
        assert "the value is not shown" in h.message
    # no secret leaks into a message
    secrets = [s for _k, _n, s in secrets_scan.scan_text("\n".join(lines))]
    assert not any(s in h.message for s in secrets if len(s) >= 12 for h in hits)


def test_sklearn_html_repr_in_notebook_and_saved_html_is_clean(tmp_path: Path) -> None:
    cell = {"cell_type": "code", "outputs": [{"data": {"text/html": [SKLEARN_HTML]}}]}
    pkg = _package(tmp_path, "nb", {"notebook.ipynb": json.dumps({"cells": [cell]}),
                                    "estimator.html": SKLEARN_HTML})
    assert list(secrets_scan.secret_in_package.check(pkg)) == []


def test_key_in_saved_html_is_found(tmp_path: Path) -> None:
    key = _openai_modern("proj", 74)
    pkg = _package(tmp_path, "html", {"report.html": SKLEARN_HTML + f"\n<pre>{key}</pre>\n"})
    hits = list(secrets_scan.secret_in_package.check(pkg))
    assert [(h.file, h.line) for h in hits] == [("report.html", 2)]
    assert "OpenAI API key" in hits[0].message


# Each pattern in its plain form, the boundary before the key first (as written before the
# patterns were put literal-first for speed): the reference the fast forms must equal.
PLAIN_FORMS: dict[tuple[str, int], str] = {
    ("AWS access key id", 0):
        r"(?<![A-Za-z0-9])((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?![A-Za-z0-9])",
    ("GitHub token", 0): r"(?<![A-Za-z0-9_])(gh[pousr]_[A-Za-z0-9]{36,251})(?![A-Za-z0-9_])",
    ("GitHub token", 1):
        r"(?<![A-Za-z0-9_])(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?![A-Za-z0-9_])",
    ("Slack token", 0): r"(?<![A-Za-z0-9_-])(xox[abposr]-\d{1,15}-[A-Za-z0-9-]{10,250})"
                        r"(?![A-Za-z0-9_-])",
    ("Hugging Face token", 0): r"(?<![A-Za-z0-9_])(hf_[A-Za-z0-9]{34})(?![A-Za-z0-9_])",
    ("OpenAI API key", 0):
        r"(?<![A-Za-z0-9_-])(sk-(?:[A-Za-z0-9-]{1,40}-)?[A-Za-z0-9_-]{20,150}T3BlbkFJ"
        r"[A-Za-z0-9_-]{20,150})(?![A-Za-z0-9_-])",
    ("OpenAI API key", 1): r"(?<![A-Za-z0-9_-])(sk-[A-Za-z0-9]{48})(?![A-Za-z0-9_-])",
    ("Anthropic API key", 0):
        r"(?<![A-Za-z0-9_-])(sk-ant-[a-z]{2,8}\d{2}-[A-Za-z0-9_-]{40,200})(?![A-Za-z0-9_-])",
    ("Stripe secret key", 0):
        r"(?<![A-Za-z0-9_])((?:sk|rk)_live_[A-Za-z0-9]{24,247})(?![A-Za-z0-9_])",
    ("Google API key", 0): r"(?<![A-Za-z0-9_-])(AIza[0-9A-Za-z_-]{35})(?![A-Za-z0-9_-])",
    ("database password", 0):
        r"\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|mssql|oracle|"
        r"amqps?|sqlserver|snowflake|clickhouse)(?:\+[a-z0-9]+)?://[^:\s/@'\"]+:"
        r"([^@\s/'\"]+)@",
}


def _fast_forms() -> dict[tuple[str, int], str | tuple[str, ...]]:
    out: dict[tuple[str, int], str | tuple[str, ...]] = {}
    for kind, _triggers, source, _group, _check in secrets_scan._SPECS:
        n = sum(1 for k, _ in out if k == kind)
        out[(kind, n)] = source
    return out


def test_every_rewritten_pattern_has_its_plain_form() -> None:
    fast = _fast_forms()
    for key, source in fast.items():
        for one in (source,) if isinstance(source, str) else source:
            assert not one.startswith(("(?<", "\\b", "(?:")), key  # a literal (set) first
            if key not in PLAIN_FORMS:  # not rewritten: it started with a literal already
                assert isinstance(source, str)
    assert set(PLAIN_FORMS) <= set(fast)


_PIECES = sorted({line for lines in POSITIVE.values() for line in lines} | set(NEGATIVE)) + [
    "AKIA", "ASIA", "ghp_", "github_pat_", "xoxb-", "xoxp-12-", "hf_", "sk-", "sk-proj-",
    "sk-ant-", "sk-ant-api03-", "sk_live_", "rk_live_", "AIza", MARK, "postgres", "postgresql",
    "rediss", "redis", "amqps", "mongodb+srv", "+psycopg2", "://", "u:p@", "user:pw@h/db",
    "é", "ß", "İ", "\u00a0"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PIECES),
                          st.text(alphabet=B62 + "_-:/@ =\n'\"+", max_size=60)),
                max_size=10))
def test_literal_first_patterns_find_exactly_what_the_plain_forms_find(parts: list[str]
                                                                        ) -> None:
    import re

    text = "".join(parts)
    fast = _fast_forms()
    for key, plain in PLAIN_FORMS.items():
        want = [(m.span(), m.group(1)) for m in re.finditer(plain, text)]
        source = fast[key]
        if isinstance(source, str):
            got = [(m.span(), m.group(1)) for m in re.finditer(source, text)]
            assert got == want, (key, text)
            continue
        # several patterns (database URLs: from "://" and from a driver's "+"), their matches
        # merged in text order: on each line, the first secret is the plain form's first
        merged = sorted((m.start(), m.group(1)) for s in source for m in re.finditer(s, text))
        assert _first_per_line(text, merged) == _first_per_line(
            text, [(s, g) for (s, _e), g in want]), (key, text)


def _first_per_line(text: str, found: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """What scan_text reports of matches (start, secret) in text order: the first per line."""
    out: dict[int, str] = {}
    for start, secret in found:
        out.setdefault(text.count("\n", 0, start), secret)
    return list(out.items())


def test_database_urls_on_one_line_report_the_first_as_before() -> None:
    text = ('a = "postgresql+psycopg2://u:first-pw@h" ; b = "mysql://u:second-pw@h"\n'
            'c = "redis://u:third-pw@h" ; d = "mongodb+srv://u:fourth-pw@h"\n')
    got = [(line, secret) for kind, line, secret in secrets_scan.scan_text(text)]
    assert got == [(1, "first-pw"), (2, "third-pw")]
