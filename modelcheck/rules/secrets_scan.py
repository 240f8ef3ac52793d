"""MC640: credentials (cloud keys, tokens, private keys, DB passwords) in package text files."""

from __future__ import annotations

import functools
import re

from modelcheck.results import Hit, Level
from modelcheck.rule import rule

MAX_SCAN_BYTES = 4 * 1024 * 1024
_TEXT_EXTS = (".yaml", ".yml", ".json", ".txt", ".cfg", ".ini", ".toml", ".env", ".py",
              ".md", ".sh", ".properties", ".conf", ".ipynb", ".csv", ".js", ".r", ".sql",
              ".pem", ".key", ".netrc", ".npmrc", ".pypirc", ".credentials")
_TEXT_NAMES = ("MLmodel", "registered_model_meta", "Dockerfile", "MLproject", ".env",
               "credentials", "config")

# (kind, literal triggers (lower case; the pattern can only match where one occurs), pattern,
# group holding the secret). Patterns compile on first use; a file is searched only with the
# patterns whose trigger occurs in it, so clean example data costs one lower() and a few `in`.
_SPECS: list[tuple[str, tuple[str, ...], str, int]] = [
    ("AWS access key id", ("akia", "asia", "abia", "acca"),
     r"\b((?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16})\b", 1),
    ("AWS secret access key", ("secret",),
     r"(?i)aws_?secret_?access_?key[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})\b", 1),
    ("private key", ("private key",),
     r"(-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----)", 1),
    ("GCP service-account key", ("private_key_id",),
     r"\"private_key_id\"\s*:\s*\"([0-9a-f]{40})\"", 1),
    ("Azure storage account key", ("accountkey=",),
     r"(?i)AccountKey=([A-Za-z0-9+/]{40,}={0,2})", 1),
    ("Azure shared access signature", ("sharedaccesssignature=",),
     r"(?i)SharedAccessSignature=[^;\s]*sig=([A-Za-z0-9%+/=]{20,})", 1),
    ("GitHub token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
     r"\b(gh[pousr]_[A-Za-z0-9]{36,255})\b", 1),
    ("GitHub token", ("github_pat_",), r"\b(github_pat_[A-Za-z0-9_]{60,255})\b", 1),
    ("Slack token", ("xox",), r"\b(xox[abposr]-[A-Za-z0-9-]{10,250})\b", 1),
    ("Hugging Face token", ("hf_",), r"\b(hf_[A-Za-z0-9]{30,64})\b", 1),
    ("OpenAI API key", ("sk-",), r"(?<![A-Za-z0-9_-])(sk-(?:proj-|svcacct-|admin-)?"
                                 r"[A-Za-z0-9_-]{20,200})(?![A-Za-z0-9_-])", 1),
    ("Anthropic API key", ("sk-ant-",), r"\b(sk-ant-[A-Za-z0-9_-]{20,200})", 1),
    ("Stripe secret key", ("_live_",), r"\b((?:sk|rk)_live_[A-Za-z0-9]{20,99})\b", 1),
    ("Google API key", ("aiza",), r"\b(AIza[0-9A-Za-z_-]{35})\b", 1),
    ("database password", ("://",),
     r"\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|redis|rediss|mssql|oracle|"
     r"amqps?|sqlserver|snowflake|clickhouse)(?:\+[a-z0-9]+)?://[^:\s/@'\"]+:"
     r"([^@\s/'\"]+)@", 1),
]
_PLACEHOLDER_RE = (r"^(?:\*+|x+|X+|<[^>]*>|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\{[^}]*\}|"
                   r"password|passwd|pass|secret|changeme|example|your[_-]?\w*|"
                   r"%\(?\w+\)?s?)$")
_compiled: dict[str, re.Pattern[str]] = {}


def _re(source: str, flags: int = 0) -> re.Pattern[str]:
    pat = _compiled.get(source)
    if pat is None:
        pat = _compiled[source] = re.compile(source, flags)
    return pat


@functools.cache
def _any_trigger() -> re.Pattern[str]:
    """One pattern matching wherever any trigger occurs: a file it finds nothing in cannot
    hold a secret, and the per-kind search below runs only on files where it finds one."""
    triggers = sorted({t for _kind, ts, _src, _g in _SPECS for t in ts}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, triggers)))


def _is_text_candidate(path: str) -> bool:
    base = path.rsplit("/", 1)[-1]
    if base in _TEXT_NAMES or base.lower().endswith(_TEXT_EXTS):
        return True
    return path.startswith("code/") and "." not in base


def mask(secret: str) -> str:
    """Kind-revealing hint without the secret: the first 4 characters and the length."""
    if len(secret) < 12:
        return f"**** ({len(secret)} chars)"
    return f"{secret[:4]}… ({len(secret)} chars)"


@rule("MC640", "secret-in-package", Level.ERROR, tags=("security", "secrets"),
      security_severity=8.0)
def secret_in_package(pkg):
    """A credential (cloud key, API token, private key, DB password) is stored in the package.

    What it checks
    Text files of the package (MLmodel and its metadata, environment files, configs, `code/`,
    notebooks) for AWS access keys (`AKIA...`) and secret keys, GCP service-account keys,
    Azure storage `AccountKey=`/SAS signatures, GitHub (`ghp_`), Slack (`xox`), Hugging Face
    (`hf_`), OpenAI (`sk-`), Anthropic and Stripe tokens, Google API keys, PEM private keys
    and database URLs with an inline password. The finding names the kind, file and line
    with a masked hint; it never prints the secret.

    Why it matters
    Model packages are copied to registries, buckets, images and serving hosts, and shared
    far beyond the team that trained them: a key inside one is a leaked key.

    Example
    `code/config.py` with `DB_URL = "postgresql://svc:hunter22@db.internal/prod"`, or a
    `model_config` entry holding `api_key: sk-proj-...`.

    How to fix
    Revoke and rotate the credential now, remove it from the package (and from the run's
    artifacts), and read it from an environment variable or a secret store at load time.
    """
    for e in pkg.files():
        if e.kind != "file" or not _is_text_candidate(e.path) or e.size > MAX_SCAN_BYTES:
            continue
        t = pkg.text(e.path)
        if not t.ok or not t.text:
            continue
        text = t.text
        low = text.lower()
        if _any_trigger().search(low) is None:
            continue  # nearly every file: one pass over the text instead of one per trigger
        seen: set[tuple[str, int]] = set()
        for kind, triggers, source, group in _SPECS:
            for trig in triggers:  # a plain loop: a generator per spec and file cost more
                if trig in low:
                    break
            else:
                continue
            for m in _re(source).finditer(text):
                secret = m.group(group)
                if kind == "database password" and _re(_PLACEHOLDER_RE, re.I).match(secret):
                    continue
                line = text.count("\n", 0, m.start()) + 1
                if (kind, line) in seen:
                    continue
                seen.add((kind, line))
                hint = "" if kind == "private key" else f" ({mask(secret)})"
                yield Hit(f"{e.path} line {line} holds a {kind}{hint}; the value is not shown",
                          file=e.path, line=line, key=f"{kind}:{line}",
                          fix="rotate the credential, remove it from the package and read it "
                              "from the environment or a secret store at load time")
