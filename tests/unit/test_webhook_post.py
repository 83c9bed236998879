"""One webhook attempt's HTTP side against local receivers: the body and headers arrive as
signed, a redirect is an answer (not followed), a receiver slower than the timeout or not
listening is no answer, and a URL that resolves to a private address is refused at the
attempt too, before any connection."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.settings import Settings
from workers.webhooks.delivery import post

FAST = Settings(webhook_timeout_seconds=0.5, webhook_allow_private=True)


@pytest.fixture
def receiver():
    """(url, requests seen, release): answers /ok 204, /moved 302, /slow only when released."""
    seen: list[tuple[str, dict[str, str], bytes]] = []
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            path = self.path.split("?")[0]
            if path == "/slow":
                release.wait(5)
            status = {"/ok": 204, "/moved": 302}.get(path, 200)
            self.send_response(status)
            if status == 302:
                self.send_header("Location", "/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", seen, release
    release.set()
    server.shutdown()
    server.server_close()


def test_the_signed_body_arrives_with_its_headers(receiver):
    url, seen, _ = receiver
    headers = {"webhook-id": "msg_1", "webhook-timestamp": "1", "webhook-signature": "v1,x",
               "content-type": "application/json"}
    assert post(f"{url}/ok?x=1", b'{"a":1}', headers, FAST) == (204, None)
    [(path, got, body)] = seen
    assert path == "/ok?x=1" and body == b'{"a":1}'
    assert {name: got[name] for name in headers} == headers
    assert got["host"] == url.removeprefix("http://")


def test_redirects_are_not_followed(receiver):
    url, seen, _ = receiver
    assert post(f"{url}/moved", b"{}", {}, FAST) == (302, None)
    assert [path for path, _, _ in seen] == ["/moved"]


def test_a_slow_receiver_times_out_and_a_closed_port_does_not_answer(receiver):
    url, _, release = receiver
    assert post(f"{url}/slow", b"{}", {}, FAST) == (None, "timeout")
    release.set()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]  # bound, not listening: refused
        status, error = post(f"http://127.0.0.1:{closed}/", b"{}", {}, FAST)
    assert status is None and error.startswith("no connection")


def test_private_addresses_are_refused_at_the_attempt(receiver):
    url, seen, _ = receiver
    strict = Settings(webhook_timeout_seconds=0.5, webhook_allow_private=False)
    status, error = post(f"{url}/ok", b"{}", {}, strict)
    assert status is None and error.startswith("refused:") and "loopback" in error
    assert seen == []
