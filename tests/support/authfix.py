#!/usr/bin/env python3
"""authfix.py - loopback fixture servers for tests/integration/authtasks.sh.

One plain HTTP server speaking just enough of each package protocol, every
route requiring the credentials the test gave (from the file named by the
first argument: KEY=VALUE lines), and one TLS server (certificate and key
files as the second and third arguments) playing a Kubernetes API server:

  GET  /npm/-/whoami              npm's whoami; Bearer NPM_TOKEN
  GET  /pypi/simple/svcdemo/      PEP 503 index; basic PY_USER:PY_PASS
  GET  /pypi/files/<wheel>        a wheel made at start; same
  POST /upload/                   twine's legacy upload; basic UP_USER:UP_PASS
  GET  /maven2/...                the POM of org.svcconn.test:parent:1.0 (and
                                  its .sha1); basic MVN_USER:MVN_PASS
  GET  /cargo/index/...           a sparse registry, auth-required, whose
                                  index has svcdep 1.0.0; Authorization:
                                  CARGO_TOKEN
  GET  /v2/... (also TLS)         a Docker registry: /v2/, the manifest of
                                  svc/demo:1.0 and its config blob; basic
                                  DOCKER_USER:DOCKER_PASS
  GET  /version (TLS)             Kubernetes; Bearer KUBE_TOKEN
  POST /<tenant>/oauth2/token[/]  Microsoft Entra's (ADAL) token endpoint for
                                  a service principal: tenant ARM_TENANT,
                                  client_id ARM_CLIENT; client_secret
                                  ARM_SECRET, or a client_assertion (RS256
                                  JWT) signed by the key of the certificate
                                  in the file ARM_CERT, x5t its SHA-1
                                  thumbprint; answers ARM_TOKEN.  Each
                                  request is also logged as "AAD ..." (what
                                  it saw, never a secret)

  (tests/integration/tasklibs_packaging.sh, the block "packaging libraries")
  GET  /npmb/svcpkg               an npm packument; basic NPMB_USER:NPMB_PASS
  POST /uploadtok/                twine's legacy upload; basic build:TWINE_TOKEN
                                  (the user name Microsoft's tasks give a token)
  GET  /nuget/v3/index.json       a NuGet v3 service index; basic
                                  NUGET_USER:NUGET_PASS

Prints "PORT TLSPORT" on standard output once both listen, then serves
until killed.  Each request is logged to standard error as
"METHOD PATH STATUS".
"""
import base64
import hashlib
import hmac
import http.server
import io
import json
import ssl
import sys
import threading
import zipfile

creds = {}
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        k, _, v = line.rstrip("\n").partition("=")
        creds[k] = v


def basic(user, password):
    raw = ("%s:%s" % (creds[user], creds[password])).encode()
    return "Basic " + base64.b64encode(raw).decode()


def make_wheel():
    """A minimal valid wheel: svcdemo 1.0, one module."""
    files = {
        "svcdemo.py": b"VALUE = 1\n",
        "svcdemo-1.0.dist-info/METADATA":
            b"Metadata-Version: 2.1\nName: svcdemo\nVersion: 1.0\nSummary: svcconn fixture\n",
        "svcdemo-1.0.dist-info/WHEEL":
            b"Wheel-Version: 1.0\nGenerator: authfix\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = ""
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        record += "%s,sha256=%s,%d\n" % (name, digest.decode(), len(data))
    record += "svcdemo-1.0.dist-info/RECORD,,\n"
    files["svcdemo-1.0.dist-info/RECORD"] = record.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out.getvalue()


WHEEL_NAME = "svcdemo-1.0-py3-none-any.whl"
WHEEL = make_wheel()
POM = b"""<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.svcconn.test</groupId>
  <artifactId>parent</artifactId>
  <version>1.0</version>
  <packaging>pom</packaging>
</project>
"""
POM_PATH = "/maven2/org/svcconn/test/parent/1.0/parent-1.0.pom"
IMAGE_CONFIG = json.dumps({"architecture": "amd64", "os": "linux",
                           "rootfs": {"type": "layers", "diff_ids": []}}).encode()
IMAGE_CONFIG_DIGEST = "sha256:" + hashlib.sha256(IMAGE_CONFIG).hexdigest()
MANIFEST = json.dumps({
    "schemaVersion": 2,
    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
               "size": len(IMAGE_CONFIG), "digest": IMAGE_CONFIG_DIGEST},
    "layers": [],
}).encode()


# ---- packaging libraries (tests/integration/tasklibs_packaging.sh) --------
# Routes for feeds the test's connections name; each needs its own keys in
# the credentials file, so other tests' files need not have them.
NPM_PACKUMENT = {
    "name": "svcpkg", "dist-tags": {"latest": "1.0.0"},
    "versions": {"1.0.0": {"name": "svcpkg", "version": "1.0.0",
                           "dist": {"tarball": "http://127.0.0.1/npmb/svcpkg-1.0.0.tgz",
                                    "shasum": "0" * 40}}},
}
NUGET_INDEX = {"version": "3.0.0", "resources": [
    {"@id": "/nuget/v3/flat/", "@type": "PackageBaseAddress/3.0.0"}]}


def packaging_route(h, method, p):
    """Serves the route and returns 1, or returns 0 when p is not one."""
    if method == "GET" and p == "/npmb/svcpkg":
        want, realm, body, ctype = basic("NPMB_USER", "NPMB_PASS"), "npm", \
            json.dumps(NPM_PACKUMENT).encode(), "application/json"
    elif method == "POST" and p == "/uploadtok/":
        raw = ("build:%s" % creds["TWINE_TOKEN"]).encode()
        want, realm, body, ctype = "Basic " + base64.b64encode(raw).decode(), "upload", \
            b"OK", "text/plain"
    elif method == "GET" and p == "/nuget/v3/index.json":
        want, realm, body, ctype = basic("NUGET_USER", "NUGET_PASS"), "nuget", \
            json.dumps(NUGET_INDEX).encode(), "application/json"
    else:
        return 0
    if h.authorized(want):
        h.send(200, body, ctype)
    else:
        h.deny('Basic realm="%s"' % realm)
    return 1
# ---- end of packaging libraries -------------------------------------------


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, status, body=b"", ctype="application/json", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        sys.stderr.write("%s %s %d\n" % (self.command, self.path, status))
        sys.stderr.flush()

    def authorized(self, want):
        got = self.headers.get("Authorization", "")
        return hmac.compare_digest(got.encode(), want.encode())

    def deny(self, challenge):
        self.send(401, b'{"error":"unauthorized"}', headers=[("WWW-Authenticate", challenge)])

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        p = self.path.split("?", 1)[0]
        host = "http://127.0.0.1:%d" % self.server.server_address[1]
        if packaging_route(self, "GET", p):
            return None
        if p == "/npm/-/whoami":
            if not self.authorized("Bearer " + creds["NPM_TOKEN"]):
                return self.deny('Bearer realm="npm"')
            return self.send(200, b'{"username":"svc-npm-user"}')
        if p.startswith("/pypi/"):
            if not self.authorized(basic("PY_USER", "PY_PASS")):
                return self.deny('Basic realm="pypi"')
            if p in ("/pypi/simple/svcdemo/", "/pypi/simple/svcdemo"):
                sha = hashlib.sha256(WHEEL).hexdigest()
                body = ('<!DOCTYPE html><html><body><a href="../../files/%s#sha256=%s">%s</a>'
                        '</body></html>' % (WHEEL_NAME, sha, WHEEL_NAME)).encode()
                return self.send(200, body, "text/html")
            if p == "/pypi/files/" + WHEEL_NAME:
                return self.send(200, WHEEL, "application/octet-stream")
            return self.send(404, b"{}")
        if p.startswith("/maven2/"):
            if not self.authorized(basic("MVN_USER", "MVN_PASS")):
                return self.deny('Basic realm="maven"')
            if p == POM_PATH:
                return self.send(200, POM, "application/xml")
            if p == POM_PATH + ".sha1":
                return self.send(200, hashlib.sha1(POM).hexdigest().encode(), "text/plain")
            return self.send(404, b"{}")
        if p.startswith("/cargo/"):
            if not self.authorized(creds["CARGO_TOKEN"]):
                return self.deny('Cargo login_url="%s/cargo/me"' % host)
            if p == "/cargo/index/config.json":
                return self.send(200, json.dumps({
                    "dl": host + "/cargo/dl", "api": host + "/cargo",
                    "auth-required": True}).encode())
            if p == "/cargo/index/sv/cd/svcdep":
                return self.send(200, json.dumps({
                    "name": "svcdep", "vers": "1.0.0", "deps": [],
                    "cksum": "0" * 64, "features": {}, "yanked": False}).encode() + b"\n")
            return self.send(404, b"{}")
        if p.startswith("/v2/"):
            if not self.authorized(basic("DOCKER_USER", "DOCKER_PASS")):
                return self.deny('Basic realm="registry"')
            hdr = [("Docker-Distribution-API-Version", "registry/2.0")]
            if p == "/v2/":
                return self.send(200, b"{}", headers=hdr)
            if p == "/v2/svc/demo/manifests/1.0":
                hdr.append(("Docker-Content-Digest", "sha256:" + hashlib.sha256(MANIFEST).hexdigest()))
                return self.send(200, MANIFEST,
                                 "application/vnd.docker.distribution.manifest.v2+json", hdr)
            if p == "/v2/svc/demo/blobs/" + IMAGE_CONFIG_DIGEST:
                return self.send(200, IMAGE_CONFIG, "application/octet-stream", hdr)
            return self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', headers=hdr)
        return self.send(404, b"{}")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        if aad_route(self.path.split("?", 1)[0]):
            return aad_token(self, body)
        if packaging_route(self, "POST", self.path.split("?", 1)[0]):
            return None
        if self.path.split("?", 1)[0] == "/upload/":
            if not self.authorized(basic("UP_USER", "UP_PASS")):
                return self.deny('Basic realm="upload"')
            return self.send(200, b"OK", "text/plain")
        return self.send(404, b"{}")


class KubeHandler(Handler):
    def do_GET(self):
        if self.path.startswith("/v2/"):
            return Handler.do_GET(self)  # the registry over TLS too
        if not self.authorized("Bearer " + creds["KUBE_TOKEN"]):
            return self.send(401, b'{"kind":"Status","status":"Failure","code":401}')
        if self.path.split("?", 1)[0] == "/version":
            return self.send(200, json.dumps({
                "major": "1", "minor": "28", "gitVersion": "v1.28.0-svcconn",
                "platform": "linux/amd64"}).encode())
        return self.send(404, b"{}")


# ---- Microsoft Entra (ADAL v1) token endpoint, for azure-arm-rest --------
# (tests/integration/tasklibs_docker_k8s_arm.sh)

def aad_route(path):
    parts = path.strip("/").split("/")
    return len(parts) == 3 and parts[1:] == ["oauth2", "token"]


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def aad_assertion(jwt, tenant, client):
    """Why the client assertion JWT is not valid, or None when it is."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    import time
    try:
        head, payload, sig = jwt.split(".")
        h = json.loads(b64url(head))
        c = json.loads(b64url(payload))
        with open(creds["ARM_CERT"], "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        der = cert.public_bytes(serialization.Encoding.DER)
        cert.public_key().verify(b64url(sig), (head + "." + payload).encode(),
                                 padding.PKCS1v15(), hashes.SHA256())
    except Exception as e:  # a bad signature, a malformed token
        return "invalid (%s)" % type(e).__name__
    if h.get("alg") != "RS256":
        return "alg %s" % h.get("alg")
    if h.get("x5t") != base64.b64encode(hashlib.sha1(der).digest()).decode():
        return "x5t is not the certificate's thumbprint"
    if c.get("iss") != client or c.get("sub") != client:
        return "iss/sub %s/%s" % (c.get("iss"), c.get("sub"))
    if not str(c.get("aud", "")).endswith("/%s/oauth2/token" % tenant):
        return "aud %s" % c.get("aud")
    now = time.time()
    if not (c.get("nbf", now + 1) <= now < c.get("exp", 0)):
        return "not valid now"
    return None


def aad_token(handler, body):
    import urllib.parse
    form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
    tenant = handler.path.strip("/").split("/")[0]
    client = form.get("client_id", "")
    why, how = None, "-"
    if tenant != creds["ARM_TENANT"]:
        why = "unknown tenant"
    elif client != creds["ARM_CLIENT"] or form.get("grant_type") != "client_credentials":
        why = "unknown client or grant"
    elif "client_secret" in form:
        how = "client_secret"
        if not hmac.compare_digest(form["client_secret"].encode(), creds["ARM_SECRET"].encode()):
            why = "wrong client_secret"
    elif form.get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
        how = "client_assertion"
        why = aad_assertion(form.get("client_assertion", ""), tenant, client)
    else:
        why = "no credential"
    sys.stderr.write("AAD tenant=%s client_id=%s resource=%s credential=%s %s\n" % (
        tenant, client, form.get("resource"), how,
        "accepted" if why is None else "refused: " + why))
    if why is not None:
        return handler.send(401, json.dumps({"error": "invalid_client",
                                             "error_description": why}).encode())
    return handler.send(200, json.dumps({
        "token_type": "Bearer", "expires_in": "3599", "resource": form.get("resource"),
        "access_token": creds["ARM_TOKEN"]}).encode())


plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
tls = http.server.ThreadingHTTPServer(("127.0.0.1", 0), KubeHandler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
for s in (plain, tls):
    threading.Thread(target=s.serve_forever, daemon=True).start()
print(plain.server_address[1], tls.server_address[1], flush=True)
threading.Event().wait()
