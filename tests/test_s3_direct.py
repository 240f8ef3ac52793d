"""The direct reader (modelcheck/sources/s3_direct.py) against a moto S3 server that checks
every request's SigV4 signature (moto's IAM enforcement, switched on after setup): what it
reads is byte-identical to s3fs, a denial is S3's own, and a wrong secret sends every read
back to s3fs instead of failing it."""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("s3fs")
pytest.importorskip("moto.server")

sys.path.insert(0, str(Path(__file__).parent))
import s3server  # noqa: E402

from modelcheck.sources.fsspec_source import open_url, storage_options  # noqa: E402
from modelcheck.sources.s3_direct import DirectS3, direct_for, s3_error  # noqa: E402

OBJECTS = {"pkg/MLmodel": b"flavors: {}\n", "pkg/dir with space/a+b=c.txt": b"x" * 70_000,
           "pkg/\u00fcnicode/\u6a21\u578b.json": b"{}", "secret/MLmodel": b"no"}
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "*"},
    {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::signed/secret/*"}]}


@pytest.fixture(scope="module")
def signed():
    """A bucket readable by an IAM user, on a server that verifies signatures."""
    with s3server.s3_server() as srv:
        admin = srv.client()
        s3server.make_bucket(admin, "signed", OBJECTS)
        iam = srv.iam()
        iam.create_user(UserName="scanner")
        iam.put_user_policy(UserName="scanner", PolicyName="read",
                            PolicyDocument=json.dumps(POLICY))
        key = iam.create_access_key(UserName="scanner")["AccessKey"]
        req = urllib.request.Request(f"{srv.endpoint}/moto-api/reset-auth", data=b"0",
                                     method="POST", headers={"Content-Type": "text/plain"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()
        yield srv, key["AccessKeyId"], key["SecretAccessKey"]


def _direct(srv, key: str, secret: str) -> tuple[object, DirectS3]:
    opts = dict(srv.options(key, secret), skip_instance_cache=True)
    fs, _ = open_url("s3://signed", storage_options(opts))
    direct = direct_for(fs)
    assert direct is not None
    return fs, direct


def _get(fs, direct: DirectS3, path: str, size: int):
    from fsspec.asyn import sync

    async def call():  # in a tuple: fsspec's sync raises a returned exception
        return (await direct.get(path, size),)

    return sync(fs.loop, call)[0]


def test_signed_gets_read_what_s3fs_reads(signed):
    srv, key, secret = signed
    fs, direct = _direct(srv, key, secret)
    for k, body in OBJECTS.items():
        if k.startswith("secret/"):
            continue
        assert _get(fs, direct, f"signed/{k}", len(body)) == body == fs.cat_file(f"signed/{k}")
    assert direct.used == 3 and direct.fallbacks == 0


def test_denied_object_is_s3_s_access_denied(signed):
    srv, key, secret = signed
    fs, direct = _direct(srv, key, secret)
    got = _get(fs, direct, "signed/secret/MLmodel", 2)
    assert isinstance(got, PermissionError) and direct.fallbacks == 0
    with pytest.raises(PermissionError):  # what s3fs says of it
        fs.cat_file("signed/secret/MLmodel")


def test_wrong_secret_leaves_every_read_to_s3fs(signed):
    srv, key, _ = signed
    fs, direct = _direct(srv, key, "not-the-secret")
    assert _get(fs, direct, "signed/pkg/MLmodel", len(OBJECTS["pkg/MLmodel"])) is None
    assert direct.used == 0 and direct._buckets == {"signed": None}


def test_size_other_than_listed_goes_to_s3fs(signed):
    srv, key, secret = signed
    fs, direct = _direct(srv, key, secret)
    assert _get(fs, direct, "signed/pkg/MLmodel", 3) is None  # changed since the listing
    assert direct.fallbacks == 1


def test_s3_error_bodies():
    body = (b'<?xml version="1.0"?><Error><Code>NoSuchKey</Code><Message>The specified key '
            b'does not exist.</Message></Error>')
    err = s3_error(body)
    assert isinstance(err, FileNotFoundError) and str(err) == "The specified key does not exist."
    assert isinstance(s3_error(b"<Error><Code>AccessDenied</Code></Error>"), PermissionError)
    assert s3_error(b"<Error><Code>SignatureDoesNotMatch</Code></Error>") is None
    assert s3_error(b"\xff\xfe not xml") is None


def test_not_for_unusual_configurations():
    import s3fs

    assert direct_for(s3fs.S3FileSystem(anon=True, requester_pays=True,
                                        skip_instance_cache=True)) is None
    assert direct_for(s3fs.S3FileSystem(anon=True, version_aware=True,
                                        skip_instance_cache=True)) is None
    assert direct_for(object()) is None


def test_signed_listing_is_accepted_and_lists_what_s3fs_lists(signed):
    """The listing's query string is signed as S3 checks it (moto verifies SigV4 here; its
    check rejects a listing whose query holds '/', so the bucket's root is listed)."""
    from modelcheck.sources.s3_list import list_keys

    srv, key, secret = signed
    fs, direct = _direct(srv, key, secret)
    got = list_keys(fs, "signed")
    assert got is not None
    want = fs.find("signed", detail=True, withdirs=False)
    assert sorted(got) == sorted((k, v["size"]) for k, v in want.items())
    assert len(got) == len(OBJECTS)
    _, wrong = _direct(srv, key, "not-the-secret")
    assert list_keys(wrong.fs, "signed") is None  # refused: s3fs lists (and is refused too)
