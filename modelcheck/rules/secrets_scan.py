"""MC640: credentials (cloud keys, tokens, private keys, DB passwords) in package text files."""

from __future__ import annotations

import functools
import heapq
import re
from collections.abc import Callable, Iterator

from modelcheck.results import Hit, Level
from modelcheck.rule import rule

MAX_SCAN_BYTES = 4 * 1024 * 1024
_TEXT_EXTS = (".yaml", ".yml", ".json", ".txt", ".cfg", ".ini", ".toml", ".env", ".py",
              ".md", ".sh", ".properties", ".conf", ".ipynb", ".csv", ".js", ".r", ".sql",
              ".pem", ".key", ".netrc", ".npmrc", ".pypirc", ".credentials", ".html", ".htm")
_TEXT_NAMES = ("MLmodel", "registered_model_meta", "Dockerfile", "MLproject", ".env",
               "credentials", "config")


def _cases(s: str) -> int:
    """How many of upper case, lower case and digits ``s`` holds (0-3)."""
    return ((any(c.isupper() for c in s)) + (any(c.islower() for c in s))
            + (any(c.isdigit() for c in s)))


_RUN6 = re.compile(r"(.)\1{5}")


def _random_mixed(s: str) -> bool:
    """A random base62/base64 token of 24 characters or more has both cases and no character
    six times in a row (the odds against are below 1e-5): placeholders (`xxxx...`,
    `XXXX...`) and identifiers in one case do not pass."""
    return any(c.isupper() for c in s) and any(c.islower() for c in s) \
        and _RUN6.search(s) is None


def _random_base62(s: str) -> bool:
    """As :func:`_random_mixed`, and digits too: for 48 random base62 characters the odds of
    no digit are 2e-4, and this check only backs the marker-less legacy OpenAI form."""
    return _cases(s) == 3 and _RUN6.search(s) is None


def _no_run(s: str) -> bool:
    return _RUN6.search(s) is None


def _slack_tail(s: str) -> bool:
    tail = s.split("-", 2)[-1]
    return any(c.isalpha() for c in tail) and any(c.isdigit() for c in tail) and _no_run(tail)


# Each kind's pattern follows the provider's real key format: its prefix, its alphabet (no
# `_` where the real key has none), its fixed length where it has one, and boundaries on both
# sides, so that words and CSS classes that merely start like a key (sklearn's HTML repr has
# `sk-toggleable__label`, `sk-estimator-id-25`) never match. Where the format guarantees
# random mixed-case characters, a check on the captured value rejects placeholders.
# (kind, literal triggers (lower case; the pattern can only match where one occurs), pattern,
# group holding the secret, check on the secret or None). Patterns compile on first use; a
# file is searched only with the patterns whose trigger occurs in it.
# Each pattern starts with its literal prefix (or an alternation of literals), so that the
# regex engine skips in C to the places where that prefix starts: the boundary before a key
# is checked after its prefix, by a lookbehind over the prefix's fixed width (``_nb``). A
# pattern opening with a lookbehind or ``\b`` is tried at every character instead (about 20 ns
# each: 25 ms per pattern on a 1 MB notebook). tests/test_secrets_scan.py checks each
# pattern against its plain form (boundary first) on generated text.
_NA = r"(?![A-Za-z0-9_-])"  # no token character after


def _nb(width: int, chars: str = "A-Za-z0-9_-") -> str:
    """After a prefix of ``width`` characters: no ``chars`` character before the prefix."""
    return f"(?<![{chars}]{'.' * width})"


_DB_SCHEMES = ("postgres", "postgresql", "mysql", "mariadb", "mongodb", r"mongodb\+srv",
               "redis", "rediss", "mssql", "oracle", "amqp", "amqps", "sqlserver", "snowflake",
               "clickhouse")


def _after_scheme(then: str) -> str:
    """Just after ``then`` (a literal), which follows a database URL scheme starting a word."""
    return "(?:" + "|".join(f"(?<=\\b{s}{then})" for s in _DB_SCHEMES) + ")"


_Check = Callable[[str], bool] | None
_SPECS: list[tuple[str, tuple[str, ...], str | tuple[str, ...], int, _Check]] = [
    # AKIA/ASIA/...: 4-letter prefix + 16 base32 characters (A-Z, 2-7)
    ("AWS access key id", ("akia", "asia", "abia", "acca"),
     r"((?:AKIA|ASIA|ABIA|ACCA)" + _nb(4, "A-Za-z0-9") + r"[A-Z2-7]{16})(?![A-Za-z0-9])", 1,
     _no_run),
    # 40 base64 characters, named by its key
    ("AWS secret access key", ("secret",),
     r"(?i)aws_?secret_?access_?key[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})"
     r"(?![A-Za-z0-9/+=])", 1, _random_mixed),
    # a PEM header followed by its base64 body (possibly after RFC 1421 headers); the
    # header alone (a parser testing for it, a docs stub) is no key
    ("private key", ("private key",),
     r"(-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----)"
     r"(?:\s|\\[rn])+(?:[A-Za-z-]+: [^\n\\]*(?:\s|\\[rn])+)*[A-Za-z0-9+/=]{40}", 1, None),
    ("GCP service-account key", ("private_key_id",),
     r"\"private_key_id\"\s*:\s*\"([0-9a-f]{40})\"", 1, _no_run),
    # storage and Cosmos DB account keys: 64 random bytes, 88 base64 characters
    ("Azure storage account key", ("accountkey=",),
     r"(?i)AccountKey=([A-Za-z0-9+/]{86}==)", 1, _random_mixed),
    ("Azure shared access signature", ("sharedaccesssignature=",),
     r"(?i)SharedAccessSignature=[^;\s]*sig=([A-Za-z0-9%+/=]{20,})", 1, _no_run),
    # classic tokens: prefix + 36 base62 (GitHub may lengthen them, to 255 at most)
    ("GitHub token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
     r"(gh[pousr]_" + _nb(4, "A-Za-z0-9_") + r"[A-Za-z0-9]{36,251})(?![A-Za-z0-9_])", 1,
     _random_mixed),
    # fine-grained: github_pat_ + 22 base62 + _ + 59 base62
    ("GitHub token", ("github_pat_",),
     r"(github_pat_" + _nb(11, "A-Za-z0-9_") + r"[A-Za-z0-9]{22}_[A-Za-z0-9]{59})"
     r"(?![A-Za-z0-9_])", 1, _random_mixed),
    # xoxb-<team id>-<bot id>-<random>, xoxp-<ids>-<hex>: a numeric id, then a random tail
    ("Slack token", ("xox",),
     r"(xox[abposr]-" + _nb(5) + r"\d{1,15}-[A-Za-z0-9-]{10,250})" + _NA, 1, _slack_tail),
    # hf_ + 34 letters and digits
    ("Hugging Face token", ("hf_",),
     r"(hf_" + _nb(3, "A-Za-z0-9_") + r"[A-Za-z0-9]{34})(?![A-Za-z0-9_])", 1, _random_mixed),
    # every key OpenAI has issued carries T3BlbkFJ (base64 of "OpenAI") between two random
    # halves: legacy sk-<20>T3BlbkFJ<20> (base62), named sk-<name>-<20>T3BlbkFJ<20>, and
    # sk-proj-/sk-svcacct-/sk-admin-/sk-None- keys (base64url halves of 58 or 74)
    ("OpenAI API key", ("t3blbkfj",),
     r"(sk-" + _nb(3) + r"(?:[A-Za-z0-9-]{1,40}-)?[A-Za-z0-9_-]{20,150}T3BlbkFJ"
     r"[A-Za-z0-9_-]{20,150})" + _NA, 1, _random_mixed),
    # a legacy key quoted without its marker intact is still sk- + exactly 48 base62
    ("OpenAI API key", ("sk-",), r"(sk-" + _nb(3) + r"[A-Za-z0-9]{48})" + _NA, 1,
     _random_base62),
    # sk-ant-api03-<93>AA, sk-ant-admin01-<93>AA, OAuth sk-ant-oat01-/ort01-
    ("Anthropic API key", ("sk-ant-",),
     r"(sk-ant-" + _nb(7) + r"[a-z]{2,8}\d{2}-[A-Za-z0-9_-]{40,200})" + _NA, 1,
     _random_mixed),
    ("Stripe secret key", ("_live_",),
     r"((?:sk|rk)_live_" + _nb(8, "A-Za-z0-9_") + r"[A-Za-z0-9]{24,247})(?![A-Za-z0-9_])", 1,
     _random_mixed),
    # AIza + 35 base64url characters
    ("Google API key", ("aiza",), r"(AIza" + _nb(4) + r"[0-9A-Za-z_-]{35})" + _NA, 1,
     _random_mixed),
    # \b(scheme)(\+driver)?://user:password@, found from its "://" (or, with a driver name,
    # from the "+") and checked back for the scheme: scheme letters are everywhere, "://" is
    # not. Written as two patterns, each with its literal prefix; their matches are taken in
    # text order, as one pattern's would be.
    ("database password", ("://",),
     (r"://" + _after_scheme("://") + r"[^:\s/@'\"]+:([^@\s/'\"]+)@",
      r"\+" + _after_scheme(r"\+") + r"[a-z0-9]+://[^:\s/@'\"]+:([^@\s/'\"]+)@"), 1, None),
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
    triggers = sorted({t for _kind, ts, _src, _g, _c in _SPECS for t in ts}, key=len,
                      reverse=True)
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


def _start(m: re.Match[str]) -> int:
    return m.start()


def scan_text(text: str) -> Iterator[tuple[str, int, str]]:
    """(kind, 1-based line, secret) for each credential in ``text``, one per kind and line."""
    low = text.lower()
    if _any_trigger().search(low) is None:
        return  # nearly every file: one pass over the text instead of one per trigger
    seen: set[tuple[str, int]] = set()
    for kind, triggers, source, group, check in _SPECS:
        for trig in triggers:  # a plain loop: a generator per spec and file cost more
            if trig in low:
                break
        else:
            continue
        found = _re(source).finditer(text) if type(source) is str else \
            heapq.merge(*(_re(s).finditer(text) for s in source), key=_start)
        for m in found:
            secret = m.group(group)
            if check is not None and not check(secret):
                continue
            if kind == "database password" and _re(_PLACEHOLDER_RE, re.I).match(secret):
                continue
            line = text.count("\n", 0, m.start()) + 1
            if (kind, line) not in seen:
                seen.add((kind, line))
                yield kind, line, secret


@rule("MC640", "secret-in-package", Level.ERROR, tags=("security", "secrets"),
      security_severity=8.0)
def secret_in_package(pkg):
    """A credential (cloud key, API token, private key, DB password) is stored in the package.

    What it checks
    Text files of the package (MLmodel and its metadata, environment files, configs, `code/`,
    notebooks, saved HTML) for AWS access keys (`AKIA...`) and secret keys, GCP
    service-account keys, Azure storage `AccountKey=`/SAS signatures, GitHub (`ghp_`,
    `github_pat_`), Slack (`xoxb-`), Hugging Face (`hf_`), OpenAI (`sk-...T3BlbkFJ...`,
    `sk-proj-`), Anthropic (`sk-ant-api03-`) and Stripe tokens, Google API keys, PEM private
    keys and database URLs with an inline password. Each pattern follows the provider's real
    key format (prefix, alphabet, length, boundaries, the random mixed-case body), so CSS
    classes such as sklearn's `sk-toggleable__label` and placeholders such as `hf_xxxx...`
    are not keys. The finding names the kind, file and line with a masked hint; it never
    prints the secret.

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
        for kind, line, secret in scan_text(t.text):
            hint = "" if kind == "private key" else f" ({mask(secret)})"
            yield Hit(f"{e.path} line {line} holds a {kind}{hint}; the value is not shown",
                      file=e.path, line=line, key=f"{kind}:{line}",
                      fix="rotate the credential, remove it from the package and read it "
                          "from the environment or a secret store at load time")
