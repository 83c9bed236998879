"""nginx in front of DIA3, tested with Debian's nginx and self-signed certificates: the
configuration passes `nginx -t`; a TLS 1.3 (HTTP/2-capable) request reaches a running DIA3 API
(serving HTTPS itself, as in the stack) through the proxy with the security headers; an API
certificate the proxy cannot verify gets no request through; TLS 1.2 is refused; bodies above
the API's limit stop at the proxy; event streams pass unbuffered. Everything listens on
127.0.0.1 only."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ADMIN_KEY, free_port, wait_for
from tests.deploy.test_image import healthcheck
from tests.deploy.tools import COMPOSE_DIR, run, system_binary

SITE = COMPOSE_DIR / "nginx" / "dia3.conf"
MAX_BODY_BYTES = 10485760  # DIA3_MAX_BODY_BYTES


def make_certificate(directory: Path, name: str = "dia3",
                     alt_name: str = "IP:127.0.0.1") -> tuple[Path, Path]:
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    result = run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                  "-subj", f"/CN={name}", "-addext", f"subjectAltName={alt_name}",
                  "-keyout", str(key), "-out", str(cert)])
    assert result.returncode == 0, result.stderr
    return cert, key


def render_site(prefix: Path, cert: Path, key: Path, https_port: int, api_port: int,
                api_ca: Path | None = None) -> Path:
    """The shipped site file with upstreams on loopback ports, the test certificates (the
    API's verified against ``api_ca``) and loopback listeners; everything else unchanged."""
    text = SITE.read_text()
    ports = {"api": api_port}

    def upstream(match):
        port = ports.setdefault(match.group(2), free_port())  # not running: never contacted
        return f"{match.group(1)}://127.0.0.1:{port};"
    text, count = re.subn(r"(https?)://([a-z-]+):\d+;", upstream, text)
    assert count == 6
    text = text.replace("/etc/nginx/tls/internal-ca.crt", str(api_ca or cert))
    text = text.replace("listen 8443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    text = text.replace("listen 127.0.0.1:8081;", f"listen 127.0.0.1:{free_port()};")
    text = text.replace("/etc/nginx/tls/dia3.crt", str(cert))
    text = text.replace("/etc/nginx/tls/dia3.key", str(key))
    assert all(line.strip().startswith("listen 127.0.0.1:")
               for line in text.splitlines() if line.strip().startswith("listen"))
    site = prefix / "dia3.conf"
    site.write_text(text)
    return site


def main_config(prefix: Path, site: Path) -> Path:
    user = "user root;\n" if os.geteuid() == 0 else ""  # temp dirs are private to this user
    temp = "\n".join(f"    {name}_temp_path {prefix / name};"
                     for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = prefix / "nginx.conf"
    conf.write_text(f"""{user}daemon off;
worker_processes 1;
pid {prefix / 'nginx.pid'};
error_log {prefix / 'error.log'} warn;
events {{ worker_connections 64; }}
http {{
    access_log {prefix / 'access.log'};
{temp}
    include {site};
}}
""")
    return conf


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    return directory, *make_certificate(directory)


@pytest.fixture(scope="module")
def api_tls(tls_dir):
    """The API's certificate (for the name api, as nginx expects) and key."""
    return make_certificate(tls_dir[0], "api", "DNS:api")


def api_context(api_tls) -> ssl.SSLContext:
    """Verifies the API's certificate, reached as 127.0.0.1 rather than by its name."""
    context = ssl.create_default_context(cafile=str(api_tls[0]))
    context.check_hostname = False
    return context


@pytest.fixture(scope="module")
def api_port(dia3_env, api_tls, tmp_path_factory):
    """A real DIA3 API (`dia3 api`, gunicorn) serving HTTPS on a free loopback port."""
    port = free_port()
    env = {**os.environ, "DIA3_API_WORKERS": "1", "DIA3_API_THREADS": "4",
           "DIA3_EVENTS_HEARTBEAT": "0.3",
           "DIA3_API_TLS_CERT_FILE": str(api_tls[0]), "DIA3_API_TLS_KEY_FILE": str(api_tls[1])}
    log = (tmp_path_factory.mktemp("api") / "api.log").open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "dia3"), "api", "--host", "127.0.0.1",
         "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)

    def healthy():
        assert process.poll() is None, "dia3 api exited"
        try:
            connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=1,
                                                     context=api_context(api_tls))
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False
    wait_for(healthy, timeout=60, interval=0.1, what="dia3 api")
    yield port
    process.terminate()
    process.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def proxy(tls_dir, api_tls, api_port, tmp_path_factory):
    """nginx in a temporary prefix with the shipped site, proxying to the running API."""
    with running_nginx(tls_dir, api_port, api_tls[0], tmp_path_factory.mktemp("nginx")) as proxy:
        yield proxy


@contextmanager
def running_nginx(tls_dir, api_port: int, api_ca: Path, prefix: Path):
    directory, cert, key = tls_dir
    https_port = free_port()
    conf = main_config(prefix, render_site(prefix, cert, key, https_port, api_port, api_ca))
    nginx = system_binary("nginx")
    process = subprocess.Popen([nginx, "-p", str(prefix), "-c", str(conf)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def listening():
        assert process.poll() is None, process.stdout.read().decode()
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", https_port)) == 0
    wait_for(listening, timeout=20, what="nginx to listen")
    try:
        yield {"port": https_port, "cert": cert, "conf": conf, "prefix": prefix}
    finally:
        process.send_signal(signal.SIGQUIT)  # graceful shutdown
        process.wait(timeout=20)


def tls_context(cert: Path, minimum=ssl.TLSVersion.TLSv1_3, maximum=None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(cert))
    context.minimum_version = minimum
    if maximum is not None:
        context.maximum_version = maximum
    return context


def request(proxy, method: str, path: str, body: bytes | None = None, headers=None):
    connection = http.client.HTTPSConnection("127.0.0.1", proxy["port"], timeout=20,
                                             context=tls_context(proxy["cert"]))
    connection.request(method, path, body=body, headers=headers or {})
    version = connection.sock.version()
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response, data, version


def test_nginx_accepts_the_configuration(tls_dir, tmp_path):
    _, cert, key = tls_dir
    conf = main_config(tmp_path, render_site(tmp_path, cert, key, free_port(), free_port()))
    result = run([system_binary("nginx"), "-t", "-p", str(tmp_path), "-c", str(conf)])
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr


def test_nginx_rejects_a_broken_configuration(tls_dir, tmp_path):
    _, cert, key = tls_dir
    site = render_site(tmp_path, cert, key, free_port(), free_port())
    site.write_text(site.read_text().replace("ssl_protocols TLSv1.3;", "ssl_protocols TLSv9;"))
    result = run([system_binary("nginx"), "-t", "-p", str(tmp_path), "-c",
                  str(main_config(tmp_path, site))])
    assert result.returncode != 0


def test_tls13_request_reaches_the_api_with_security_headers(proxy):
    response, data, version = request(proxy, "GET", "/healthz")
    assert version == "TLSv1.3"
    assert response.status == 200 and json.loads(data) == {"status": "ok"}
    assert response.getheader("Strict-Transport-Security").startswith("max-age=")
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("X-Frame-Options") == "SAMEORIGIN"
    assert len(response.headers.get_all("X-Content-Type-Options")) == 1  # API's copy hidden
    assert response.getheader("Server") == "nginx"  # no version


def test_authenticated_api_call_through_the_proxy(proxy):
    response, data, _ = request(proxy, "GET", "/api/v1/workflows",
                                headers={"X-API-Key": ADMIN_KEY})
    assert response.status == 200, data
    assert response.getheader("X-Request-ID")  # made by nginx, echoed by the API
    response, _, _ = request(proxy, "GET", "/api/v1/workflows")
    assert response.status == 401


def test_metrics_are_not_exposed(proxy):
    response, _, _ = request(proxy, "GET", "/metrics")
    assert response.status == 404


def test_body_limit_matches_the_api(proxy):
    headers = {"X-API-Key": ADMIN_KEY, "Content-Type": "application/json"}
    response, _, _ = request(proxy, "POST", "/api/v1/jobs", b"x" * (MAX_BODY_BYTES + 1),
                             headers)
    assert response.status == 413
    # Just under the limit passes nginx and reaches the API (which rejects it as bad JSON).
    response, data, _ = request(proxy, "POST", "/api/v1/jobs",
                                b"{" + b" " * (MAX_BODY_BYTES - 2) + b"}", headers)
    assert response.status in (400, 422), data


def test_http2_is_offered(proxy):
    context = tls_context(proxy["cert"])
    context.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection(("127.0.0.1", proxy["port"]), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            assert tls.selected_alpn_protocol() == "h2"
            assert tls.version() == "TLSv1.3"


def test_tls12_handshake_is_refused(proxy):
    context = tls_context(proxy["cert"], minimum=ssl.TLSVersion.TLSv1_2,
                          maximum=ssl.TLSVersion.TLSv1_2)
    with socket.create_connection(("127.0.0.1", proxy["port"]), timeout=10) as raw:
        with pytest.raises(ssl.SSLError):
            context.wrap_socket(raw, server_hostname="127.0.0.1")


def test_image_health_check_passes_against_the_running_api(api_port, api_tls, monkeypatch):
    monkeypatch.setenv("DIA3_API_PORT", str(api_port))
    monkeypatch.setenv("DIA3_API_TLS_CERT_FILE", str(api_tls[0]))  # https on loopback
    assert healthcheck.main(["/opt/dia3/bin/dia3", "api"]) == 0
    monkeypatch.setenv("DIA3_API_PORT", str(free_port()))
    assert healthcheck.main(["/opt/dia3/bin/dia3", "api"]) == 1


def test_surfaces_without_trailing_slash_redirect_relative(proxy):
    for path in ("/dashboard", "/flower", "/grafana"):
        response, _, _ = request(proxy, "GET", path)
        assert response.status == 301
        assert response.getheader("Location") == path + "/"  # not the internal port


def test_keyed_submission_goes_through_the_retrying_location(proxy):
    # A POST with an Idempotency-Key is proxied by the location that may send it again; the
    # API answers it (here: its validation of a body without params).
    headers = {"X-API-Key": ADMIN_KEY, "Content-Type": "application/json",
               "Idempotency-Key": "key-1"}
    response, data, _ = request(proxy, "POST", "/api/v1/jobs", b'{"workflow": "smoke"}', headers)
    assert response.status == 422, data
    assert "params" in json.loads(data)["errors"]["json"]
    assert response.getheader("Strict-Transport-Security")  # the server's headers still apply


def test_event_streams_pass_the_proxy_as_they_come(proxy):
    """A tenant's event stream through nginx: its heartbeats and an event arrive while the
    stream is open (nothing is held back in a buffer until it ends)."""
    from app.extensions import job_store
    from app.jobs.store import new_job_id
    connection = http.client.HTTPSConnection("127.0.0.1", proxy["port"], timeout=20,
                                             context=tls_context(proxy["cert"]))
    connection.request("GET", "/api/v1/events", headers={"X-API-Key": ADMIN_KEY})
    response = connection.getresponse()
    assert response.status == 200
    assert response.getheader("Content-Type").startswith("text/event-stream")
    assert response.readline() == b"retry: 2000\n"
    assert b": heartbeat\n" in [response.readline() for _ in range(3)]
    job, _ = job_store().create(job_id=new_job_id(), workflow="smoke", tenant="default",
                                owner="admin", params={}, steps_total=1, tasks={})
    try:
        lines = [response.readline() for _ in range(12)]
        assert f'"job_id":"{job.id}"'.encode() in b"".join(lines)
    finally:
        job_store().cancel(job.id)
        connection.close()


def test_the_api_refuses_plain_http(api_port):
    connection = http.client.HTTPConnection("127.0.0.1", api_port, timeout=10)
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        connection.request("GET", "/healthz")
        connection.getresponse()
    connection.close()


def test_an_api_certificate_the_proxy_cannot_verify_gets_no_request(tls_dir, api_port,
                                                                    tmp_path):
    # nginx trusts another CA than the one that signed the API's certificate: 502, nothing
    # is sent to the API.
    stranger, _ = make_certificate(tmp_path, "stranger", "DNS:api")
    with running_nginx(tls_dir, api_port, stranger, tmp_path) as proxy:
        response, _, _ = request(proxy, "GET", "/healthz")
        assert response.status == 502
        log = (tmp_path / "error.log").read_text()
        assert "certificate verify failed" in log or "upstream SSL certificate" in log, log
