# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""The fake OCI Object Storage server against the real `oci` CLI and SDK signer.

If the official client works against the fake, and the fake rejects what Oracle
rejects, the fake is a fair stand-in for the collection's offline tests.
"""
import email.utils
import json
import socket
import time

import pytest

NAMESPACE = "testns"  # the namespace conftest starts the fake server with

OBJ = "h1/site.yml/job.json"
OBJ_PATH = "/n/%s/b/b/o/h1%%2Fsite.yml%%2Fjob.json" % NAMESPACE
BUCKET = ["--bucket-name", "b", "--namespace", NAMESPACE]


def service_error(proc):
    """The JSON the CLI prints on stderr after `ServiceError:`."""
    assert proc.returncode != 0, proc.stdout
    assert "ServiceError:" in proc.stderr, proc.stderr
    return json.loads(proc.stderr.split("ServiceError:", 1)[1])


def ok(proc):
    assert proc.returncode == 0, "rc=%s\nstdout=%s\nstderr=%s" % (
        proc.returncode, proc.stdout, proc.stderr)
    return proc


def signed_entries(fake):
    return [e for e in fake.log() if not e["path"].startswith("/_fake/")]


# --------------------------------------------------------------- CLI interop
def test_cli_round_trip(fake, tmp_path):
    src, out = tmp_path / "x", tmp_path / "out"
    src.write_bytes(b'{"rc": 0}\n')

    ns = ok(fake.oci("os", "ns", "get"))
    assert json.loads(ns.stdout) == {"data": NAMESPACE}
    put = ok(fake.oci("os", "object", "put", *BUCKET, "--name", OBJ, "--file", src, "--force"))
    etag = json.loads(put.stdout)["etag"]
    ok(fake.oci("os", "object", "get", *BUCKET, "--name", OBJ, "--file", out))
    assert out.read_bytes() == src.read_bytes()
    listed = json.loads(ok(fake.oci("os", "object", "list", *BUCKET, "--prefix", "h1/")).stdout)
    assert [(o["name"], o["etag"], o["size"]) for o in listed["data"]] == [(OBJ, etag, 10)]
    ok(fake.oci("os", "object", "delete", *BUCKET, "--name", OBJ, "--force"))
    assert service_error(fake.oci("os", "object", "head", *BUCKET, "--name", OBJ))["status"] == 404
    assert fake.objects() == []

    log = signed_entries(fake)
    assert all(e["verified"] for e in log), log
    assert [(e["method"], e["path"].split("?")[0], e["status"]) for e in log] == [
        ("GET", "/n", 200),
        ("PUT", OBJ_PATH, 200),           # object name percent-encoded, '/' included
        ("HEAD", OBJ_PATH, 200), ("GET", OBJ_PATH, 200),   # get = HEAD, then GET
        ("GET", "/n/%s/b/b/o" % NAMESPACE, 200),
        ("DELETE", OBJ_PATH, 204),
        ("HEAD", OBJ_PATH, 404),
    ]
    # PutObject signs only the base headers; the SDK asks for 100-continue.
    put_entry = log[1]
    assert put_entry["signed_headers"] == ["date", "(request-target)", "host"]
    assert put_entry["headers"]["expect"] == "100-continue"
    assert log[0]["key_id"] == fake.keys.key_id


def test_cli_get_missing_object_is_404(fake, tmp_path):
    err = service_error(fake.oci("os", "object", "get", *BUCKET, "--name", "nope",
                                 "--file", tmp_path / "o"))
    assert err["status"] == 404


def test_session_token_auth(fake):
    proc = ok(fake.oci("os", "ns", "get", "--auth", "security_token", "--query", "data",
                       "--raw-output", profile="SESSION"))
    assert proc.stdout.strip() == NAMESPACE
    (entry,) = signed_entries(fake)
    assert entry["verified"] and entry["key_id"] == "ST$" + fake.keys.token.read_text()


@pytest.mark.parametrize("profile,auth", [("WRONG", None), ("OTHER", None),
                                          ("SESSION_WRONG", "security_token")])
def test_cli_bad_key_is_401(fake, profile, auth):
    extra = ["--auth", auth] if auth else []
    err = service_error(fake.oci("os", "ns", "get", *extra, profile=profile))
    assert (err["status"], err["code"]) == (401, "NotAuthenticated")
    (entry,) = signed_entries(fake)
    assert entry["verified"] is False and entry["status"] == 401


# ------------------------------------------------------ default endpoint (no --endpoint)
def test_endpoint_from_environment(fake):
    """`oci os ns get --query data --raw-output` with no --endpoint flag, as playbooks run it."""
    proc = ok(fake.oci("os", "ns", "get", "--query", "data", "--raw-output", endpoint=False,
                       env={"OCI_CLI_ENDPOINT": fake.endpoint}))
    assert proc.stdout.strip() == NAMESPACE


def test_endpoint_and_no_retry_from_oci_cli_rc(fake):
    rc = fake.home / ".oci" / "oci_cli_rc"
    rc.parent.mkdir(exist_ok=True)
    # Key names are the option names: `endpoint`, and `no_retry` (underscore; `no-retry` is ignored).
    rc.write_text("[DEFAULT]\nendpoint = %s\nno_retry = True\n" % fake.endpoint)
    try:
        proc = ok(fake.oci("os", "ns", "get", "--query", "data", "--raw-output",
                           endpoint=False, no_retry=False))
        assert proc.stdout.strip() == NAMESPACE
        fake.fault(status=503, count=1)  # no_retry from the rc file: the 503 is not retried
        err = service_error(fake.oci("os", "ns", "get", endpoint=False, no_retry=False))
        assert err["status"] == 503
    finally:
        rc.unlink()


# ------------------------------------------------------------- signature checks
def test_sdk_signed_put_with_content_headers_and_tampered_body(fake):
    body = b'{"rc": 0}'
    path = "/n/%s/b/b/o/t.json" % NAMESPACE
    headers = fake.sign("PUT", path, body)  # full signer: content headers signed too
    assert "x-content-sha256" in headers["authorization"]
    status, _hdrs, _body = fake.raw("PUT", path, headers, body)
    assert status == 200
    status, _hdrs, resp = fake.raw("PUT", path, headers, b'{"rc": 1}')  # same length, new bytes
    assert status == 401
    assert json.loads(resp) == {"code": "NotAuthenticated",
                                "message": "x-content-sha256 does not match the body"}


def test_required_signed_headers(fake):
    # PutObject may omit the content headers (what the CLI and SDK do) ...
    put = "/n/%s/b/b/o/a" % NAMESPACE
    assert fake.raw("PUT", put, fake.sign("PUT", put, b"x", content_headers=False), b"x")[0] == 200
    # ... but any other PUT/POST must sign them.
    post = "/n/%s/b/b/actions/renameObject" % NAMESPACE
    status, _hdrs, resp = fake.raw("POST", post, fake.sign("POST", post, b"{}", content_headers=False),
                                   b"{}")
    assert status == 401 and "content-length" in json.loads(resp)["message"]
    # A GET that signs only `date` is refused too.
    hdrs = fake.sign("GET", "/n")
    hdrs["authorization"] = hdrs["authorization"].replace(
        'headers="date (request-target) host"', 'headers="date"')
    status, _hdrs, resp = fake.raw("GET", "/n", hdrs)
    assert status == 401 and "host" in json.loads(resp)["message"]


def test_clock_skew_and_unsigned(fake):
    old = email.utils.formatdate(time.time() - 600, usegmt=True)
    status, _hdrs, resp = fake.raw("GET", "/n", fake.sign("GET", "/n", headers={"date": old}))
    assert status == 401 and "5 minutes" in json.loads(resp)["message"]
    fresh = email.utils.formatdate(time.time() - 60, usegmt=True)
    assert fake.raw("GET", "/n", fake.sign("GET", "/n", headers={"date": fresh}))[0] == 200
    status, headers, resp = fake.raw("GET", "/n", {"host": "127.0.0.1:%d" % fake.port})
    assert status == 401 and json.loads(resp)["code"] == "NotAuthenticated"
    assert headers["opc-request-id"] and headers["content-length"] == str(len(resp))


def test_head_error_has_no_body(fake):
    path = "/n/%s/b/b/o/missing" % NAMESPACE
    status, headers, body = fake.raw("HEAD", path, fake.sign("HEAD", path))
    assert (status, body, headers["content-length"]) == (404, b"", "0")
    assert headers["opc-request-id"]


def test_expect_100_continue(fake):
    """The server answers `100 Continue` before the body is sent, then the real status."""
    path = "/n/%s/b/b/o/e" % NAMESPACE
    headers = fake.sign("PUT", path, b"hello", content_headers=False)
    headers.update({"expect": "100-continue", "content-length": "5"})
    with socket.create_connection(("127.0.0.1", fake.port), timeout=10) as s:
        s.sendall(("PUT %s HTTP/1.1\r\n" % path).encode()
                  + "".join("%s: %s\r\n" % kv for kv in headers.items()).encode() + b"\r\n")
        interim = s.recv(1024)
        assert interim.startswith(b"HTTP/1.1 100"), interim
        s.sendall(b"hello")
        final = s.recv(4096)
    assert final.startswith(b"HTTP/1.1 200") and b"ETag:" in final, final
    assert fake.objects()[0]["size"] == 5


# ------------------------------------------------------------- conditional puts
def test_conditional_puts(fake, tmp_path):
    src = tmp_path / "x"
    src.write_text("one")
    args = ["os", "object", "put", *BUCKET, "--name", OBJ, "--file", src]
    etag = json.loads(ok(fake.oci(*args, "--force")).stdout)["etag"]

    # Without --force the CLI HEADs first and refuses to overwrite on its own: no PUT sent.
    proc = fake.oci(*args)
    assert proc.returncode != 0 and "already exists" in proc.stdout + proc.stderr
    proc = ok(fake.oci(*args, "--no-overwrite"))
    assert "not overwritten" in proc.stdout + proc.stderr
    assert [e["method"] for e in signed_entries(fake)] == ["PUT", "HEAD", "HEAD"]

    # Lost race: the HEAD says "absent", the create-only PUT (if-none-match: *) gets 412.
    fake.fault(status=404, count=1, method="HEAD")
    err = service_error(fake.oci(*args))
    assert (err["status"], err["code"]) == (412, "IfNoneMatchFailed")
    assert signed_entries(fake)[-1]["headers"]["if-none-match"] == "*"

    # Compare-and-swap: a stale etag fails, the current one wins.
    err = service_error(fake.oci(*args, "--force", "--if-match", "stale-etag"))
    assert (err["status"], err["code"]) == (412, "IfMatchFailed")
    new = json.loads(ok(fake.oci(*args, "--force", "--if-match", etag)).stdout)["etag"]
    assert new != etag
    err = service_error(fake.oci("os", "object", "delete", *BUCKET, "--name", OBJ, "--force",
                                 "--if-match", etag))
    assert err["status"] == 412
    ok(fake.oci("os", "object", "delete", *BUCKET, "--name", OBJ, "--force", "--if-match", new))


# -------------------------------------------------------------------- paging
def test_list_paging(fake, tmp_path):
    src = tmp_path / "x"
    src.write_text("x")
    for i in range(1, 6):
        ok(fake.oci("os", "object", "put", *BUCKET, "--name", "p/o%d" % i, "--file", src,
                    "--force"))
    ok(fake.oci("os", "object", "put", *BUCKET, "--name", "q/other", "--file", src, "--force"))

    def page(*extra):
        out = ok(fake.oci("os", "object", "list", *BUCKET, "--prefix", "p/", "--fields", "name",
                          *extra))
        data = json.loads(out.stdout)
        return [o["name"] for o in data["data"]], data.get("next-start-with")

    assert page("--limit", "2") == (["p/o1", "p/o2"], "p/o3")
    assert page("--limit", "2", "--start", "p/o3") == (["p/o3", "p/o4"], "p/o5")
    assert page("--limit", "2", "--start", "p/o5") == (["p/o5"], None)
    # --all follows nextStartWith itself.
    assert page("--all", "--page-size", "2")[0] == ["p/o%d" % i for i in range(1, 6)]
    queries = [e["path"].split("?")[1] for e in signed_entries(fake)[-3:]]
    assert queries == ["prefix=p%2F&limit=2&fields=name",
                       "prefix=p%2F&start=p%2Fo3&limit=2&fields=name",
                       "prefix=p%2F&start=p%2Fo5&limit=2&fields=name"]
    # Delimiter folds "directories" into prefixes.
    out = ok(fake.oci("os", "object", "list", *BUCKET, "--delimiter", "/"))
    assert json.loads(out.stdout)["prefixes"] == ["p/", "q/"]


# ----------------------------------------------------------- fault injection
@pytest.mark.parametrize("status,code", [(503, "ServiceUnavailable"), (429, "TooManyRequests"),
                                         (500, "InternalServerError")])
def test_fault_status_then_success(fake, status, code):
    fake.fault(status=status, count=1)
    err = service_error(fake.oci("os", "ns", "get"))  # --no-retry: the CLI sees the fault
    assert (err["status"], err["code"]) == (status, code)
    ok(fake.oci("os", "ns", "get"))
    assert [e["status"] for e in signed_entries(fake)] == [status, 200]


def test_fault_drop_and_delay(fake):
    fake.fault(drop=True, count=1)
    proc = fake.oci("os", "ns", "get")
    assert proc.returncode != 0 and "RequestException" in proc.stderr
    fake.fault(delay=3.0, count=1)
    started = time.monotonic()
    proc = fake.oci("os", "ns", "get", "--read-timeout", "1")
    assert proc.returncode != 0 and time.monotonic() - started < 3 + 5
    fake.fault(delay=1.0, count=1)
    started = time.monotonic()
    ok(fake.oci("os", "ns", "get"))
    assert time.monotonic() - started >= 1.0
    assert fake.control("GET", "/_fake/faults") == []
