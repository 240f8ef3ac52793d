"""How a storage error reads in a finding: what failed, and for a TLS certificate from an
authority not trusted here, how to trust it (the end-to-end case is in test_s3_tls). Other
verification failures (another host's certificate, an expired one) get no such advice."""

from __future__ import annotations

import ssl

from modelcheck.sources.fsspec_source import describe_error

HINT = "client_kwargs.verify=/path/to/ca.pem"
ISSUER = ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local "
          "issuer certificate (_ssl.c:1006)")


def _verify_error(code: int, message: str) -> ssl.SSLCertVerificationError:
    exc = ssl.SSLCertVerificationError(1, message)
    exc.verify_code = code
    exc.verify_message = message
    return exc


def _wrapped(inner: BaseException) -> BaseException:
    """``inner`` inside an OSError, as aiohttp and botocore hand it on."""
    try:
        try:
            raise inner
        except ssl.SSLError as exc:
            raise OSError("Cannot connect to host 10.0.0.1:443") from exc
    except OSError as outer:
        return outer


def test_an_unknown_authority_deep_in_the_chain_gets_the_hint():
    for code in (2, 18, 19, 20):
        text = describe_error(_wrapped(_verify_error(code, "certificate verify failed")))
        assert text.startswith("OSError: Cannot connect to host 10.0.0.1:443")
        assert HINT in text, code


def test_an_unknown_authority_told_only_in_the_message_gets_the_hint():
    assert HINT in describe_error(RuntimeError(f"SSL validation failed for https://h/b {ISSUER}"))
    assert HINT in describe_error(RuntimeError(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"))


def test_other_verification_failures_get_no_hint():
    wrong_host = _verify_error(62, "Hostname mismatch, certificate is not valid for 'h'.")
    expired = _verify_error(10, "certificate has expired")
    for exc in (wrong_host, expired):
        assert HINT not in describe_error(_wrapped(exc))
    assert HINT not in describe_error(RuntimeError(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired"))


def test_a_suppressed_context_is_not_looked_into():
    try:
        try:
            raise RuntimeError(ISSUER)
        except RuntimeError:
            raise ConnectionError("gave up") from None
    except ConnectionError as exc:
        assert describe_error(exc) == "ConnectionError: gave up"


def test_other_errors_get_no_hint_and_a_cyclic_chain_ends():
    a, b = ConnectionResetError("reset by peer"), TimeoutError("read timed out")
    a.__context__, b.__context__ = b, a  # a cycle: the walk must stop
    assert describe_error(a) == "ConnectionResetError: reset by peer"
    assert describe_error(PermissionError("denied")) == "access denied (denied)"
