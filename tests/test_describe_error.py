"""How a storage error reads in a finding: what failed, and for an untrusted TLS certificate,
how to trust it (the end-to-end case is in test_s3_tls)."""

from __future__ import annotations

import ssl

from modelcheck.sources.fsspec_source import describe_error

HINT = "client_kwargs.verify=/path/to/ca.pem"


def test_a_verification_failure_deep_in_the_chain_gets_the_hint():
    inner = ssl.SSLCertVerificationError(1, "certificate verify failed")
    try:
        try:
            raise inner
        except ssl.SSLError as exc:
            raise OSError("Cannot connect to host 10.0.0.1:443") from exc
    except OSError as outer:
        text = describe_error(outer)
    assert text.startswith("OSError: Cannot connect to host 10.0.0.1:443")
    assert HINT in text


def test_a_verification_failure_told_only_in_the_message_gets_the_hint():
    text = describe_error(RuntimeError("SSL validation failed ... [SSL: "
                                       "CERTIFICATE_VERIFY_FAILED] certificate verify failed"))
    assert HINT in text


def test_other_errors_get_no_hint_and_a_cyclic_chain_ends():
    a, b = ConnectionResetError("reset by peer"), TimeoutError("read timed out")
    a.__context__, b.__context__ = b, a  # a cycle: the walk must stop
    assert describe_error(a) == "ConnectionResetError: reset by peer"
    assert describe_error(PermissionError("denied")) == "access denied (denied)"
