# Copyright (c) 2026 rstyczynski.ansible contributors
# SPDX-License-Identifier: MIT
"""Fake OCI Object Storage server for offline tests.

It speaks just enough of the Object Storage REST API for the collection and the
real `oci` CLI (GetNamespace, Put/Get/Head/Delete/ListObjects) and, unlike the
public emulators, verifies EVERY request's draft-cavage rsa-sha256 signature
with the public keys given at startup, so a client that signs wrongly fails
here exactly as it would against Oracle.

Test control lives under /_fake/ and needs no signature:
  POST /_fake/faults  {"status": 503, "count": 2}   next 2 signed requests get 503
                      {"delay": 3.0, "count": 1}    sleep, then answer normally
                      {"drop": true, "count": 1}    close the socket, no answer
                      optional "method": "PUT" limits a fault to that method;
                      a JSON list queues several faults in order.
  GET  /_fake/log     every request seen (method, path, signed headers, verified, status)
  GET  /_fake/objects names, sizes and etags currently stored
  POST /_fake/reset   drop objects, faults and log

Usage: fake_server.py [--port 0] --api-key KEYID=PUB.pem [--session-key PUB.pem]
       [--namespace testns] [--bucket NAME ...]
Prints "LISTENING <port>" on stdout when ready; logs go to stderr.
Needs `cryptography` (present in the .venv-oci virtualenv).
"""
import argparse
import base64
import email.utils
import hashlib
import json
import re
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

MAX_SKEW_SECONDS = 300  # OCI rejects requests whose date is more than 5 minutes off
BASE_HEADERS = {"date", "(request-target)", "host"}
CONTENT_HEADERS = {"content-length", "content-type", "x-content-sha256"}
ERROR_CODES = {401: "NotAuthenticated", 429: "TooManyRequests",
               500: "InternalServerError", 503: "ServiceUnavailable"}
AUTH_PARAM = re.compile(r'(\w+)="([^"]*)"')
OBJECT_PATH = re.compile(r"^/n/([^/]+)/b/([^/]+)/o/(.+)$")
LIST_PATH = re.compile(r"^/n/([^/]+)/b/([^/]+)/o/?$")


class HttpError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class State:
    """Everything the handlers share; one lock keeps it simple and race-free."""

    def __init__(self, namespace, api_keys, session_keys, buckets):
        self.namespace = namespace
        self.api_keys = api_keys          # keyId -> public key
        self.session_keys = session_keys  # any "ST$..." keyId may use these
        self.fixed_buckets = set(buckets)  # empty = create buckets on first use
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with getattr(self, "lock", threading.Lock()):
            self.objects = {}   # (bucket, name) -> dict(body, etag, ...)
            self.buckets = set(self.fixed_buckets)
            self.faults = []    # FIFO of {"status"|"delay"|"drop", "count", "method"?}
            self.log = []

    def take_fault(self, method):
        with self.lock:
            for fault in self.faults:
                if fault.get("method", method).upper() == method:
                    fault["count"] = fault.get("count", 1) - 1
                    if fault["count"] <= 0:
                        self.faults.remove(fault)
                    return dict(fault)
        return None


def load_public_key(path):
    with open(path, "rb") as f:
        data = f.read()
    if b"PRIVATE KEY" in data:  # allow passing the private key file for convenience
        return serialization.load_pem_private_key(data, password=None).public_key()
    return serialization.load_pem_public_key(data)


def http_date(ts):
    return email.utils.formatdate(ts, usegmt=True)


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive and makes BaseHTTPRequestHandler answer
    # "Expect: 100-continue" itself (handle_expect_100), which the SDK sends on PutObject.
    protocol_version = "HTTP/1.1"
    server_version = "FakeOCI/1.0"
    timeout = 60  # idle keep-alive connections must not pin a thread forever
    state: State = None  # set by main()

    def do_GET(self):
        self.dispatch()

    do_HEAD = do_PUT = do_POST = do_DELETE = do_GET

    def log_message(self, fmt, *args):
        sys.stderr.write("fake-oci: %s\n" % (fmt % args))

    # ---------------------------------------------------------------- plumbing
    def read_body(self):
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # skip trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status, body=b"", headers=None):
        self.send_response(status)
        self.send_header("opc-request-id", self.request_id)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        # Clients read HTTP/1.1 bodies by length; without it they would wait for EOF.
        # RFC 9110 forbids Content-Length on 204, and no client reads a 204 body.
        if status != 204 and "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)
        self.entry["status"] = status

    def send_json(self, status, obj, headers=None):
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        self.send(status, json.dumps(obj).encode(), h)

    def send_error_json(self, status, code, message):
        self.entry["error"] = "%s: %s" % (code, message)
        if self.command == "HEAD":  # HEAD errors carry no body; clients map the status
            self.send(status, b"", {"Content-Length": "0"})
        else:
            self.send_json(status, {"code": code, "message": message})

    def dispatch(self):
        self.request_id = uuid.uuid4().hex.upper()
        url = urlsplit(self.path)
        self.entry = {"method": self.command, "path": self.path, "signed_headers": None,
                      "key_id": None, "verified": False, "status": None,
                      "headers": {k.lower(): v for k, v in self.headers.items()}}
        try:
            # Read the body first so a keep-alive connection stays in sync whatever we answer.
            body = self.read_body()
            if url.path.startswith("/_fake/"):
                return self.control(url.path, body)
            with self.state.lock:
                self.state.log.append(self.entry)
            self.verify(url.path, body)
            fault = self.state.take_fault(self.command)
            if fault:
                self.entry["fault"] = fault
                if fault.get("delay"):
                    time.sleep(float(fault["delay"]))
                if fault.get("drop"):
                    self.close_connection = True  # handle() stops; socket closed unanswered
                    self.entry["status"] = "dropped"
                    return
                if fault.get("status"):
                    status = int(fault["status"])
                    return self.send_error_json(status, ERROR_CODES.get(status, "InjectedFault"),
                                                "fault injected by test")
            self.route(url, body)
        except HttpError as e:
            self.send_error_json(e.status, e.code, e.message)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. its read timeout fired during a delay fault).
            self.close_connection = True
            self.entry["status"] = "client-gone"
        except Exception as e:  # a bug here must show up as a 500, not a hung client
            self.log_message("internal error: %r", e)
            self.close_connection = True  # the body may be half read: do not reuse
            self.send_error_json(500, "InternalServerError", repr(e))

    # --------------------------------------------------------------- signature
    def verify(self, path, body):
        def deny(why):
            raise HttpError(401, "NotAuthenticated", why)

        auth = self.headers.get("authorization", "")
        if not auth.startswith("Signature "):
            deny("missing or non-Signature Authorization header")
        params = dict(AUTH_PARAM.findall(auth))
        key_id = params.get("keyId", "")
        signed = params.get("headers", "date").lower().split()
        self.entry["signed_headers"], self.entry["key_id"] = signed, key_id
        if params.get("version", "1") != "1" or params.get("algorithm") != "rsa-sha256":
            deny("unsupported signature version or algorithm")

        # OCI's required header list depends on the method. PutObject (and UploadPart,
        # same path) is exempt from content headers because bodies may be streamed.
        required = set(BASE_HEADERS)
        if self.command in ("PUT", "POST", "PATCH") and not (
                self.command == "PUT" and OBJECT_PATH.match(path)):
            required |= CONTENT_HEADERS
        missing = required - set(signed)
        if missing:
            deny("signed headers lack: " + " ".join(sorted(missing)))

        lines = []
        for name in signed:
            if name == "(request-target)":
                # The path exactly as sent, percent-encoding kept: never re-encode it.
                lines.append("(request-target): %s %s" % (self.command.lower(), self.path))
                continue
            values = self.headers.get_all(name)
            if values is None:
                deny("signed header %s is not in the request" % name)
            lines.append("%s: %s" % (name, ", ".join(v.strip() for v in values)))
        signing_string = "\n".join(lines).encode()

        if key_id.startswith("ST$") and self.state.session_keys:
            candidates = self.state.session_keys
        elif key_id in self.state.api_keys:
            candidates = [self.state.api_keys[key_id]]
        else:
            deny("unknown keyId %r" % key_id[:80])
        try:
            signature = base64.b64decode(params.get("signature", ""), validate=True)
        except ValueError:
            deny("signature is not base64")
        for key in candidates:
            try:
                key.verify(signature, signing_string, padding.PKCS1v15(), hashes.SHA256())
                break
            except InvalidSignature:
                continue
        else:
            deny("signature does not verify")

        # The signature only covers the body through x-content-sha256: check it matches.
        if "x-content-sha256" in signed:
            digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
            if self.headers["x-content-sha256"].strip() != digest:
                deny("x-content-sha256 does not match the body")
        try:
            when = email.utils.parsedate_to_datetime(self.headers["date"])
        except (TypeError, ValueError):
            deny("unparseable date header")
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        if abs((datetime.now(timezone.utc) - when).total_seconds()) > MAX_SKEW_SECONDS:
            deny("date is more than 5 minutes off the server clock")
        self.entry["verified"] = True

    # ------------------------------------------------------------------ routes
    def route(self, url, body):
        q = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        if url.path in ("/n", "/n/") and self.command == "GET":
            return self.send_json(200, self.state.namespace)
        m = OBJECT_PATH.match(url.path)
        if m:
            bucket = self.bucket(m.group(1), m.group(2))
            name = unquote(m.group(3))  # names arrive with '/' encoded as %2F
            handler = {"PUT": self.put_object, "GET": self.get_object, "HEAD": self.get_object,
                       "DELETE": self.delete_object}.get(self.command)
            if handler:
                return handler(bucket, name, body)
        m = LIST_PATH.match(url.path)
        if m and self.command == "GET":
            return self.list_objects(self.bucket(m.group(1), m.group(2)), q)
        raise HttpError(404, "NotFound", "no such route: %s %s" % (self.command, url.path))

    def bucket(self, ns, bucket):
        ns, bucket = unquote(ns), unquote(bucket)
        if ns != self.state.namespace:
            raise HttpError(404, "NamespaceNotFound", "namespace %s not found" % ns)
        with self.state.lock:
            if not self.state.fixed_buckets:
                self.state.buckets.add(bucket)
            if bucket not in self.state.buckets:
                raise HttpError(404, "BucketNotFound", "bucket %s not found" % bucket)
        return bucket

    def check_preconditions(self, current):
        """if-match / if-none-match as Object Storage applies them (412 on failure)."""
        if_match = self.headers.get("if-match")
        if if_match is not None and (current is None or if_match.strip('" ') != current["etag"]):
            raise HttpError(412, "IfMatchFailed", "the if-match etag does not match")
        if self.headers.get("if-none-match", "").strip() == "*" and current is not None:
            raise HttpError(412, "IfNoneMatchFailed", "the object already exists")

    def object_headers(self, obj):
        h = {"ETag": obj["etag"], "Last-Modified": http_date(obj["mtime"]),
             "opc-content-md5": obj["md5"], "Content-Type": obj["content_type"],
             "Content-Length": str(len(obj["body"]))}
        h.update(obj["meta"])
        return h

    def put_object(self, bucket, name, body):
        with self.state.lock:  # check-and-set must be atomic for concurrent writers
            self.check_preconditions(self.state.objects.get((bucket, name)))
            obj = {"body": body, "etag": str(uuid.uuid4()), "mtime": time.time(),
                   "md5": base64.b64encode(hashlib.md5(body).digest()).decode(),
                   "content_type": self.headers.get("content-type", "application/octet-stream"),
                   "meta": {k.lower(): v for k, v in self.headers.items()
                            if k.lower().startswith("opc-meta-")}}
            self.state.objects[(bucket, name)] = obj
        self.send(200, b"", {"ETag": obj["etag"], "opc-content-md5": obj["md5"],
                             "Last-Modified": http_date(obj["mtime"])})

    def get_object(self, bucket, name, _body):
        with self.state.lock:
            obj = self.state.objects.get((bucket, name))
        if obj is None:
            raise HttpError(404, "ObjectNotFound", "object %s not found in %s" % (name, bucket))
        self.check_preconditions(obj)
        self.send(200, obj["body"], self.object_headers(obj))

    def delete_object(self, bucket, name, _body):
        with self.state.lock:
            obj = self.state.objects.get((bucket, name))
            if obj is None:
                raise HttpError(404, "ObjectNotFound", "object %s not found in %s" % (name, bucket))
            self.check_preconditions(obj)
            del self.state.objects[(bucket, name)]
        self.send(204)

    def list_objects(self, bucket, q):
        prefix, start, end = q.get("prefix", ""), q.get("start", ""), q.get("end")
        delimiter = q.get("delimiter") or None
        limit = max(1, min(int(q.get("limit") or 1000), 1000))
        fields = set((q.get("fields") or "name").split(",")) | {"name"}
        with self.state.lock:
            items = sorted((n, o) for (b, n), o in self.state.objects.items()
                           if b == bucket and n.startswith(prefix) and n >= start
                           and (end is None or n < end))
        objects, prefixes, next_start = [], [], None
        for name, obj in items:
            if delimiter and delimiter in name[len(prefix):]:
                # Names below a "directory" collapse into one prefix entry.
                p = name[:name.index(delimiter, len(prefix)) + 1]
                if p not in prefixes:
                    prefixes.append(p)
                continue
            if len(objects) == limit:
                next_start = name  # OCI pages by the first name of the next page
                break
            entry = {"name": name, "size": len(obj["body"]), "etag": obj["etag"],
                     "md5": obj["md5"],
                     "timeCreated": datetime.fromtimestamp(obj["mtime"], timezone.utc).isoformat(),
                     "timeModified": datetime.fromtimestamp(obj["mtime"], timezone.utc).isoformat()}
            objects.append({k: v for k, v in entry.items() if k in fields})
        self.send_json(200, {"objects": objects, "prefixes": prefixes,
                             "nextStartWith": next_start})

    # ----------------------------------------------------------------- control
    def control(self, path, body):
        st = self.state
        if path == "/_fake/faults" and self.command == "POST":
            faults = json.loads(body or b"[]")
            with st.lock:
                st.faults.extend(faults if isinstance(faults, list) else [faults])
                return self.send_json(200, st.faults)
        if path == "/_fake/faults" and self.command == "GET":
            with st.lock:
                return self.send_json(200, st.faults)
        if path == "/_fake/log" and self.command == "GET":
            with st.lock:
                return self.send_json(200, st.log)
        if path == "/_fake/objects" and self.command == "GET":
            with st.lock:
                return self.send_json(200, [{"bucket": b, "name": n, "size": len(o["body"]),
                                             "etag": o["etag"]}
                                            for (b, n), o in sorted(st.objects.items())])
        if path == "/_fake/reset" and self.command == "POST":
            st.reset()
            return self.send_json(200, {"reset": True})
        raise HttpError(404, "NotFound", "unknown control path " + path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    ap.add_argument("port", nargs="?", type=int, default=None)
    ap.add_argument("--port", dest="port_opt", type=int, default=0,
                    help="0 (default) picks a free port")
    ap.add_argument("--api-key", action="append", default=[], metavar="KEYID=PEM",
                    help='keyId "<tenancy>/<user>/<fingerprint>" and its public (or private) key')
    ap.add_argument("--session-key", action="append", default=[], metavar="PEM",
                    help='accept any "ST$<token>" keyId signed by this key')
    ap.add_argument("--namespace", default="testns")
    ap.add_argument("--bucket", action="append", default=[],
                    help="only these buckets exist (default: create on first use)")
    args = ap.parse_args(argv)

    api_keys = {}
    for spec in args.api_key:
        key_id, sep, pem = spec.partition("=")
        if not sep:
            ap.error("--api-key needs KEYID=PEMFILE")
        api_keys[key_id] = load_public_key(pem)
    if not api_keys and not args.session_key:
        ap.error("give at least one --api-key or --session-key")
    Handler.state = State(args.namespace, api_keys,
                          [load_public_key(p) for p in args.session_key], args.bucket)

    port = args.port if args.port is not None else args.port_opt
    # Loopback only: this server accepts injected faults from anyone who can reach it.
    ThreadingHTTPServer.request_queue_size = 128  # default backlog 5 drops bursts of clients
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print("LISTENING %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
