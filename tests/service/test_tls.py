# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""HTTPS in the service itself (--tls-cert/--tls-key), with a test CA made here: the seed's
request over https, plain HTTP to the TLS port, the SIGHUP reload, the handshake inside the
header timeout, and the pairs refused at start."""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import json
import os
import pathlib
import signal
import socket
import ssl
import subprocess
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conftest import STUB, free_port, make_project, service_bin

TOKEN = 'tls-test-token-0123456789abcdef'


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


class CA:
    """A CA and leaves for localhost and 127.0.0.1, as strict as Python's default checks want."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        ski = x509.SubjectKeyIdentifier.from_public_key(self.key.public_key())
        self.cert = (x509.CertificateBuilder().subject_name(_name('ajs test CA')).issuer_name(_name('ajs test CA'))
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                                  data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                                  crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
                     .add_extension(ski, critical=False)
                     .sign(self.key, hashes.SHA256()))

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def leaf(self, cn='localhost'):
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(self.cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName('localhost'),
                                                            x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]),
                               critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
                .sign(self.key, hashes.SHA256()))
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        return cert.public_bytes(serialization.Encoding.PEM), key_pem, cert.public_bytes(serialization.Encoding.DER)


def write(path: pathlib.Path, data: bytes, mode=0o600) -> pathlib.Path:
    path.write_bytes(data)
    path.chmod(mode)
    return path


class TlsService:
    def __init__(self, root: pathlib.Path, ca: CA, extra=()):
        self.root, self.ca = root, ca
        self.project = root / 'project'
        make_project(self.project)
        self.cert_pem, self.key_pem, self.der = ca.leaf()
        self.cert = write(root / 'cert.pem', self.cert_pem, 0o644)
        self.key = write(root / 'key.pem', self.key_pem)
        self.cafile = write(root / 'ca.pem', ca.pem(), 0o644)
        token = write(root / 'token', TOKEN.encode() + b'\n')
        self.port = free_port()
        self.args = [str(service_bin()), 'serve', '--project-dir', str(self.project), '--data-dir', str(root / 'data'),
                     '--listen', f'127.0.0.1:{self.port}', '--workers', '1', '--ansible-playbook', str(STUB),
                     '--token-file', str(token), '--tls-cert', str(self.cert), '--tls-key', str(self.key), *extra]
        self.proc = None
        self.log = root / 'service.log'

    def start(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith('AJS_')}
        with open(self.log, 'wb') as log:
            self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=log, env=env, start_new_session=True)
        self.line = self.proc.stdout.readline().decode()
        assert self.line, f'exited {self.proc.wait(10)}: {self.log.read_text()}'
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc:
            self.proc.stdout.close()

    def context(self):
        return ssl.create_default_context(cafile=str(self.cafile))

    def request(self, method, path, body=None):
        """(status, JSON body, the DER of the certificate the service presented)."""
        conn = http.client.HTTPSConnection('127.0.0.1', self.port, context=self.context(), timeout=60)
        try:
            headers = {'Authorization': f'Bearer {TOKEN}'}
            if method == 'POST':
                headers['Content-Type'] = 'application/json'
            conn.request(method, path, body=json.dumps(body).encode() if body is not None else None, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            der = conn.sock.getpeercert(binary_form=True)
            return resp.status, json.loads(data) if data else None, der
        finally:
            conn.close()


@pytest.fixture
def tls_service(tmp_path):
    svc = TlsService(tmp_path, CA())
    yield svc.start()
    svc.stop()


def test_the_seeds_request_over_https(tls_service):
    assert tls_service.line.startswith(f'listening on https://127.0.0.1:{tls_service.port} '), tls_service.line
    status, job, der = tls_service.request('POST', '/api/v1/jobs?sync=true', {'playbook': 'hello.yml'})
    assert status == 200 and job['status'] == 'successful', job
    assert der == tls_service.der
    status, got, _der = tls_service.request('GET', f'/api/v1/jobs/{job["job_id"]}')
    assert status == 200 and got['status'] == 'successful', got
    # The client checked the chain against the test CA: another CA's client refuses it.
    other = write(tls_service.root / 'other-ca.pem', CA().pem(), 0o644)
    with pytest.raises(ssl.SSLCertVerificationError):
        with socket.create_connection(('127.0.0.1', tls_service.port), timeout=10) as raw:
            ssl.create_default_context(cafile=str(other)).wrap_socket(raw, server_hostname='localhost')


def test_plain_http_to_the_tls_port_is_refused_cleanly(tls_service):
    conn = http.client.HTTPConnection('127.0.0.1', tls_service.port, timeout=10)
    conn.request('GET', '/healthz')
    resp = conn.getresponse()
    assert resp.status == 400, resp.status
    assert 'https' in json.loads(resp.read())['detail']
    conn.close()
    # The service goes on serving, over TLS.
    assert tls_service.request('GET', '/healthz')[0] == 200


def test_sighup_reloads_the_certificate_and_keeps_it_when_the_new_pair_is_bad(tls_service):
    assert tls_service.request('GET', '/healthz')[2] == tls_service.der
    cert_b, key_b, der_b = tls_service.ca.leaf('renewed')
    write(tls_service.key, key_b)
    write(tls_service.cert, cert_b, 0o644)
    tls_service.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while tls_service.request('GET', '/healthz')[2] != der_b:
        assert time.monotonic() < deadline, 'the renewed certificate is not served after SIGHUP'
        time.sleep(0.1)
    # A certificate whose key is not the one in --tls-key: logged, the renewed pair stays.
    cert_c, _key_c, _ca_c = tls_service.ca.leaf('mismatched')
    write(tls_service.cert, cert_c, 0o644)
    tls_service.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while 'still serving the previous certificate' not in tls_service.log.read_text():
        assert time.monotonic() < deadline, tls_service.log.read_text()
        time.sleep(0.1)
    assert 'is not the key of --tls-cert' in tls_service.log.read_text()
    status, _body, der = tls_service.request('GET', '/healthz')
    assert (status, der) == (200, der_b)
    assert tls_service.proc.poll() is None


def test_a_stalled_handshake_is_closed_at_the_header_timeout(tmp_path):
    svc = TlsService(tmp_path, CA(), extra=['--header-timeout', '1s']).start()
    try:
        with socket.create_connection(('127.0.0.1', svc.port), timeout=10) as raw:
            t0 = time.monotonic()
            assert raw.recv(1) == b''  # closed by the service, nothing sent
            assert time.monotonic() - t0 < 5
        # Half a ClientHello, then silence: the same.
        with socket.create_connection(('127.0.0.1', svc.port), timeout=10) as raw:
            raw.sendall(b'\x16\x03\x01\x00\xff\x01')
            t0 = time.monotonic()
            assert raw.recv(1) == b''
            assert time.monotonic() - t0 < 5
        assert svc.request('GET', '/healthz')[0] == 200
    finally:
        svc.stop()


@pytest.mark.parametrize('case, needle', [
    ('missing cert', '--tls-cert'),
    ('key readable by others', 'chmod 600'),
    ('mismatched pair', 'is not the key of --tls-cert'),
    ('not PEM', '--tls-cert'),
    ('cert without key', '--tls-key'),
    ('http public url', '--public-url'),
])
def test_a_bad_pair_is_refused_at_start(tmp_path, case, needle):
    svc = TlsService(tmp_path, CA())
    args = list(svc.args)
    if case == 'missing cert':
        svc.cert.unlink()
    elif case == 'key readable by others':
        svc.key.chmod(0o644)
    elif case == 'mismatched pair':
        write(svc.cert, svc.ca.leaf()[0], 0o644)
    elif case == 'not PEM':
        write(svc.cert, b'not a certificate\n', 0o644)
    elif case == 'cert without key':
        i = args.index('--tls-key')
        del args[i:i + 2]
    elif case == 'http public url':
        args += ['--public-url', 'http://jobs.example.test']
    p = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    assert p.returncode == 2, p
    assert needle in p.stderr, p.stderr
    assert 'panicked' not in p.stderr and 'PRIVATE KEY' not in p.stderr, p.stderr
