"""A scriptable local HTTP server that provider fakes build on.

It runs ``ThreadingHTTPServer`` on 127.0.0.1 with an ephemeral port in a background thread,
records every request, and answers each route from a FIFO queue of scripted responses,
falling back to the provider's default (a valid reply) when the queue is empty. A fixed
latency can be added before every response.
"""

from __future__ import annotations

import json
import threading
import time
from abc import ABC, abstractmethod
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

_UNSET: Any = object()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Benchmarks open many connections at once; the default backlog of 5 would reset some.
    request_queue_size = 256


@dataclass
class ScriptedResponse:
    """One scripted answer.

    Either a raw HTTP response (``body`` set, or a non-2xx ``status``), sent byte for byte;
    or a protocol-valid reply (``content``/``json_content``) that the fake renders in the
    provider's format, streamed if the request asked for streaming. ``stream_error`` makes
    such a stream end with the provider's mid-stream error event instead of a normal end.
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | str | dict | list | None = None
    content: str | None = None
    json_content: Any = _UNSET
    usage: tuple[int, int] | None = None
    stream_error: str | None = None

    @classmethod
    def reply(cls, content: str, **kwargs: Any) -> ScriptedResponse:
        return cls(content=content, **kwargs)

    @classmethod
    def json_reply(cls, obj: Any, **kwargs: Any) -> ScriptedResponse:
        return cls(json_content=obj, **kwargs)

    @classmethod
    def error(
        cls, status: int, body: bytes | str | dict | list, headers: dict[str, str] | None = None
    ) -> ScriptedResponse:
        return cls(status=status, body=body, headers=dict(headers or {}))

    @property
    def is_raw(self) -> bool:
        return self.body is not None or (self.status >= 300 and self.content is None)

    def message_content(self) -> str | None:
        if self.json_content is not _UNSET:
            return json.dumps(self.json_content)
        return self.content


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    route: str
    headers: dict[str, str]
    body: bytes
    json: Any


@dataclass
class Rendered:
    """What a fake's renderer produced: a whole body or a stream of chunks."""

    status: int = 200
    content_type: str = "application/json"
    body: bytes = b""
    stream: Iterable[bytes] | None = None
    headers: dict[str, str] = field(default_factory=dict)


def approx_tokens(text: str) -> int:
    """Token count the fakes report: about four characters a token, as providers roughly do."""
    return max(1, len(text) // 4)


class FakeHTTPServer(ABC):
    """Base class: subclasses define ``ROUTES`` and ``render``; use as a context manager.

    ``with FakeOpenAIServer() as fake: fake.base_url`` -- the base URL to hand to a client.
    """

    #: (method, path) -> route name
    ROUTES: dict[tuple[str, str], str] = {}
    #: What a client appends paths to (e.g. "/v1" for OpenAI).
    BASE_PATH = ""

    def __init__(self, latency_s: float = 0.0) -> None:
        self.latency_s = latency_s
        self._lock = threading.Lock()
        self._queues: dict[str, deque[ScriptedResponse]] = defaultdict(deque)
        self._requests: list[RecordedRequest] = []
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._httpd = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=type(self).__name__,
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}{self.BASE_PATH}"

    # -- scripting and inspection ----------------------------------------------------------

    def enqueue(self, *responses: ScriptedResponse, route: str = "chat") -> None:
        """Answer the next requests to ``route`` with ``responses``, in order."""
        with self._lock:
            self._queues[route].extend(responses)

    def pending(self, route: str = "chat") -> int:
        with self._lock:
            return len(self._queues[route])

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def request_count(self, route: str | None = None) -> int:
        return sum(1 for r in self.requests if route is None or r.route == route)

    def reset(self) -> None:
        with self._lock:
            self._queues.clear()
            self._requests.clear()

    # -- provider hooks --------------------------------------------------------------------

    @abstractmethod
    def render(
        self, route: str, request: RecordedRequest, scripted: ScriptedResponse | None
    ) -> Rendered:
        """The provider's wire format for ``route`` (a scripted response, or the default)."""

    def reply_content(self, body: dict[str, Any], scripted: ScriptedResponse | None
                      ) -> tuple[str, tuple[int, int]]:
        """The chat reply's text (scripted, else the provider's default) and its token usage
        (scripted, else estimated from the messages and the reply)."""
        content = scripted.message_content() if scripted else None
        if content is None:
            content = self._default_content(body)
        prompt_tokens = sum(
            approx_tokens(str(m.get("content") or "")) + 4 for m in body.get("messages", [])
        )
        usage = scripted.usage if scripted and scripted.usage else None
        return content, usage or (prompt_tokens, approx_tokens(content))

    @abstractmethod
    def _default_content(self, body: dict[str, Any]) -> str:
        """The reply when nothing is scripted."""

    def not_found(self, path: str) -> Rendered:
        return Rendered(404, body=json.dumps({"error": f"no route for {path}"}).encode())

    # -- request handling ------------------------------------------------------------------

    def _next_scripted(self, route: str) -> ScriptedResponse | None:
        with self._lock:
            queue = self._queues[route]
            return queue.popleft() if queue else None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        path = handler.path.split("?", 1)[0]
        route = self.ROUTES.get((handler.command, path), "unknown")
        try:
            parsed = json.loads(body) if body else None
        except json.JSONDecodeError:
            parsed = None
        recorded = RecordedRequest(
            method=handler.command,
            path=path,
            route=route,
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
            json=parsed,
        )
        with self._lock:
            self._requests.append(recorded)
        if self.latency_s:
            time.sleep(self.latency_s)
        if route == "unknown":
            rendered = self.not_found(path)
        else:
            scripted = self._next_scripted(route)
            if scripted is not None and scripted.is_raw:
                rendered = _raw(scripted)
            else:
                rendered = self.render(route, recorded, scripted)
        _send(handler, rendered)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 10

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                fake._handle(self)

            do_POST = do_GET  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """Keep test output clean."""

            def handle_one_request(self) -> None:
                try:
                    super().handle_one_request()
                except (BrokenPipeError, ConnectionResetError):
                    # The client gave up (e.g. a timeout test); nothing to answer.
                    self.close_connection = True

        return Handler


def _raw(scripted: ScriptedResponse) -> Rendered:
    body = scripted.body
    if isinstance(body, (dict, list)):
        payload, content_type = json.dumps(body).encode(), "application/json"
    elif isinstance(body, str):
        payload, content_type = body.encode(), "application/json"
    else:
        payload, content_type = body or b"", "application/json"
    headers = dict(scripted.headers)
    content_type = headers.pop("content-type", headers.pop("Content-Type", content_type))
    return Rendered(scripted.status, content_type, payload, headers=headers)


def _send(handler: BaseHTTPRequestHandler, rendered: Rendered) -> None:
    handler.send_response(rendered.status)
    handler.send_header("Content-Type", rendered.content_type)
    for name, value in rendered.headers.items():
        handler.send_header(name, value)
    if rendered.stream is None:
        handler.send_header("Content-Length", str(len(rendered.body)))
        handler.end_headers()
        handler.wfile.write(rendered.body)
        return
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    for chunk in _chunks(rendered.stream):
        handler.wfile.write(chunk)
        handler.wfile.flush()


def _chunks(stream: Iterable[bytes]) -> Iterator[bytes]:
    """HTTP/1.1 chunked transfer encoding."""
    for data in stream:
        if data:
            yield f"{len(data):x}\r\n".encode() + data + b"\r\n"
    yield b"0\r\n\r\n"
