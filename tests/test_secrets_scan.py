"""MC640's one-pass trigger search finds a file exactly when some trigger occurs in it."""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from modelcheck.package.model_package import ModelPackage
from modelcheck.rules import secrets_scan
from modelcheck.sources.local import LocalSource

TRIGGERS = sorted({t for _kind, ts, _src, _g in secrets_scan._SPECS for t in ts})
BASE = Path(__file__).parent.parent / "examples" / "iris-sklearn"
# one real-looking sample per kind (made up: none of these is a live credential)
SAMPLES = {
    "AWS access key id": "key = AKIAIOSFODNN7EXAMPLQ",
    "AWS secret access key": "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "private key": "-----BEGIN RSA PRIVATE KEY-----",
    "GCP service-account key": '"private_key_id": "' + "ab12" * 10 + '"',
    "Azure storage account key": "AccountKey=" + "Q" * 86 + "==",
    "Azure shared access signature": "SharedAccessSignature=sv=2020&sig=" + "a" * 30,
    "GitHub token": "ghp_" + "A1b2" * 9,
    "Slack token": "xoxb-1234567890-abcdefghij",
    "Hugging Face token": "hf_" + "Ab3" * 11,
    "OpenAI API key": "sk-proj-" + "Zz9" * 10,
    "Anthropic API key": "sk-ant-" + "Qq1" * 10,
    "Stripe secret key": "sk_live_" + "Ab1" * 8,
    "Google API key": "AIza" + "B" * 35,
    "database password": "postgresql://svc:hunter22@db.internal/prod",
}


def _old_would_search(low: str) -> bool:
    return any(t in low for t in TRIGGERS)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(TRIGGERS + [t.upper() for t in TRIGGERS]),
                          st.text(alphabet="akisxhgpru_-:/=yeAKIS ", max_size=8)),
                max_size=12))
def test_prefilter_agrees_with_every_trigger(parts: list[str]) -> None:
    low = "".join(parts).lower()
    assert (secrets_scan._any_trigger().search(low) is not None) == _old_would_search(low)


def test_every_kind_is_still_found(tmp_path: Path) -> None:
    assert set(SAMPLES) == {kind for kind, *_ in secrets_scan._SPECS}
    for kind, line in SAMPLES.items():
        pkg_dir = tmp_path / kind.replace(" ", "_")
        shutil.copytree(BASE, pkg_dir)
        (pkg_dir / "code").mkdir(exist_ok=True)
        (pkg_dir / "code" / "settings.txt").write_text(f"# config\n{line}\n")
        pkg = ModelPackage(LocalSource(str(pkg_dir)))
        hits = list(secrets_scan.secret_in_package.check(pkg))
        found = [(h.file, h.line) for h in hits if kind in h.message]
        assert found == [("code/settings.txt", 2)], (kind, [h.message for h in hits])
