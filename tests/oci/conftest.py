# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Shared fixtures for the fake OCI Object Storage server tests.

The tests run under the main venv's pytest, but the fake server (needs
`cryptography`) and the real `oci` CLI live in /work/main/.venv-oci, so both
run as subprocesses. Everything is hermetic: keys, config and HOME live in a
temp dir, the server binds 127.0.0.1 on a free port and is killed at the end,
and every subprocess has a timeout.
"""
import base64
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
OCI_VENV = Path(os.environ.get("OCI_TEST_VENV", REPO / ".venv-oci"))
OCI_PY = OCI_VENV / "bin" / "python"
OCI_CLI = OCI_VENV / "bin" / "oci"
FAKE_SERVER = HERE / "fake_server.py"

TENANCY = "ocid1.tenancy.oc1..aaaaaaaafaketenancyfaketenancyfaketenancy"
USER = "ocid1.user.oc1..aaaaaaaafakeuserfakeuserfakeuserfakeuser"
NAMESPACE = "testns"
CLI_TIMEOUT = 90  # seconds per CLI call; a stalled command fails instead of hanging the suite

# Signs one request with the official SDK's signer, so the tests check the server
# against Oracle's own implementation rather than against a copy of its logic.
SIGN_SCRIPT = r"""
import json, sys
import oci
from oci._vendor import requests
a = json.load(sys.stdin)
signer = oci.signer.Signer(a["tenancy"], a["user"], a["fingerprint"], a["key_file"])
req = requests.Request(a["method"], a["url"], headers=a["headers"],
                       data=a["body"].encode("latin-1") if a["body"] else None).prepare()
(signer if a["content_headers"] else signer.without_content_headers)(req)
print(json.dumps(dict(req.headers)))
"""


def _clean_env(home):
    """The caller's OCI_* settings, proxies or ~/.oci must not leak into the tests."""
    env = {k: v for k, v in os.environ.items()
           if not k.upper().startswith("OCI_") and not k.lower().endswith("_proxy")}
    env.update(HOME=str(home), SUPPRESS_LABEL_WARNING="True", NO_PROXY="127.0.0.1,localhost",
               no_proxy="127.0.0.1,localhost", LC_ALL="C.UTF-8")
    return env


def make_key(path):
    """Fresh 2048-bit RSA key as PKCS#8 PEM (what `oci setup keys` writes); returns fingerprint."""
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", str(path)], check=True, capture_output=True, timeout=60)
    path.chmod(0o600)
    der = subprocess.run(["openssl", "pkey", "-in", str(path), "-pubout", "-outform", "DER"],
                         check=True, capture_output=True, timeout=30).stdout
    # OCI fingerprint: MD5 of the DER SubjectPublicKeyInfo, lowercase colon hex.
    return ":".join("%02x" % b for b in hashlib.md5(der).digest())


def make_session_token(lifetime=3600):
    """An unsigned JWT-looking token; the CLI only reads its `exp` claim."""
    def b64(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    return "%s.%s.%s" % (b64({"alg": "RS256", "typ": "JWT"}),
                         b64({"sub": USER, "exp": int(time.time()) + lifetime}), "c2lnbmF0dXJl")


class Keys:
    """Key material and the OCI config file shared by the whole session."""

    def __init__(self, root):
        self.root = root
        self.key = root / "key.pem"
        self.wrong_key = root / "wrong.pem"
        self.other_key = root / "other.pem"
        self.fingerprint = make_key(self.key)
        make_key(self.wrong_key)
        self.other_fingerprint = make_key(self.other_key)
        self.key_id = "%s/%s/%s" % (TENANCY, USER, self.fingerprint)
        self.token = root / "token"
        self.token.write_text(make_session_token())
        self.token.chmod(0o600)
        self.config = root / "config"
        profiles = {
            "DEFAULT": dict(user=USER, fingerprint=self.fingerprint, key_file=self.key,
                            tenancy=TENANCY, region="us-ashburn-1"),
            # Same keyId as DEFAULT, different private key: signature must not verify.
            "WRONG": dict(user=USER, fingerprint=self.fingerprint, key_file=self.wrong_key,
                          tenancy=TENANCY, region="us-ashburn-1"),
            # A key the server has never heard of: unknown keyId.
            "OTHER": dict(user=USER, fingerprint=self.other_fingerprint, key_file=self.other_key,
                          tenancy=TENANCY, region="us-ashburn-1"),
            # Like `oci session authenticate` writes: no user, a token file.
            "SESSION": dict(fingerprint=self.fingerprint, key_file=self.key, tenancy=TENANCY,
                            region="us-ashburn-1", security_token_file=self.token),
            "SESSION_WRONG": dict(fingerprint=self.fingerprint, key_file=self.wrong_key,
                                  tenancy=TENANCY, region="us-ashburn-1",
                                  security_token_file=self.token),
        }
        text = ""
        for name, values in profiles.items():
            text += "[%s]\n" % name + "".join("%s=%s\n" % kv for kv in values.items()) + "\n"
        self.config.write_text(text)
        self.config.chmod(0o600)


class FakeServer:
    """A running fake_server.py plus helpers to drive it and the CLI."""

    def __init__(self, keys, workdir):
        self.keys = keys
        self.home = workdir / "home"
        self.home.mkdir()
        self.env = _clean_env(self.home)
        self.stderr = open(workdir / "server.log", "wb")
        self.proc = subprocess.Popen(
            [str(OCI_PY), str(FAKE_SERVER), "--port", "0", "--namespace", NAMESPACE,
             "--api-key", "%s=%s" % (keys.key_id, keys.key), "--session-key", str(keys.key)],
            stdout=subprocess.PIPE, stderr=self.stderr, env=self.env)
        self.port = self._wait_listening(timeout=30)
        self.endpoint = "http://127.0.0.1:%d" % self.port

    def _wait_listening(self, timeout):
        line = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()),
                                  daemon=True)
        reader.start()
        reader.join(timeout)
        if not line or not line[0].startswith(b"LISTENING "):
            self.stop()
            raise RuntimeError("fake server did not start: %r; see %s" % (line, self.stderr.name))
        return int(line[0].split()[1])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc.stdout.close()
        self.stderr.close()

    # ---- control API (/_fake/, unsigned)
    def control(self, method, path, payload=None):
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(self.endpoint + path, data=data, method=method)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(req, timeout=10) as resp:
            return json.load(resp)

    def reset(self):
        return self.control("POST", "/_fake/reset")

    def fault(self, **fault):
        return self.control("POST", "/_fake/faults", fault)

    def log(self):
        return self.control("GET", "/_fake/log")

    def objects(self):
        return self.control("GET", "/_fake/objects")

    # ---- the real CLI
    def oci(self, *args, profile=None, endpoint=True, no_retry=True, env=None, timeout=CLI_TIMEOUT):
        cmd = [str(OCI_CLI), "--config-file", str(self.keys.config)]
        if endpoint:
            cmd += ["--endpoint", self.endpoint]
        if no_retry:
            cmd += ["--no-retry"]
        if profile:
            cmd += ["--profile", profile]
        cmd += [str(a) for a in args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env={**self.env, **(env or {})}, cwd=str(self.home), check=False)

    # ---- raw signed requests
    def sign(self, method, path, body=b"", headers=None, content_headers=True, key_file=None):
        """Headers the official SDK signer produces for this request."""
        args = {"tenancy": TENANCY, "user": USER, "fingerprint": self.keys.fingerprint,
                "key_file": str(key_file or self.keys.key), "method": method,
                "url": self.endpoint + path, "headers": headers or {},
                "body": body.decode("latin-1"), "content_headers": content_headers}
        out = subprocess.run([str(OCI_PY), "-c", SIGN_SCRIPT], input=json.dumps(args),
                             capture_output=True, text=True, timeout=60, env=self.env, check=True)
        return json.loads(out.stdout)

    def raw(self, method, path, headers=None, body=b""):
        """Send exactly these headers/body; returns (status, headers dict, body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for k, v in (headers or {}).items():
                conn.putheader(k, v)
            conn.endheaders(body or None)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()


@pytest.fixture(scope="session")
def oci_venv():
    if not OCI_CLI.exists() or not OCI_PY.exists():
        pytest.skip("OCI tools venv missing: create it with `python3 -m venv %s && "
                    "%s/bin/pip install -r %s`" % (OCI_VENV, OCI_VENV, HERE / "requirements.txt"))
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to generate test keys")
    return OCI_VENV


@pytest.fixture(scope="session")
def oci_keys(oci_venv, tmp_path_factory):
    return Keys(tmp_path_factory.mktemp("oci-keys"))


@pytest.fixture(scope="session")
def _fake_server_session(oci_keys, tmp_path_factory):
    server = FakeServer(oci_keys, tmp_path_factory.mktemp("oci-fake"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake(_fake_server_session):
    """The shared server, emptied before each test so tests stay independent."""
    if _fake_server_session.proc.poll() is not None:
        pytest.fail("fake server died; see its log in the pytest temp dir")
    _fake_server_session.reset()
    return _fake_server_session
