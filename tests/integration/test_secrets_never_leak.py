"""Planted secrets — API keys (good, bad and admin) and the OpenAI key — appear in no log line,
error body, job record, metric, audit entry or ``dia3 config`` output, even when an upstream
echoes them."""

import logging
import uuid

import pytest
from click.testing import CliRunner

from app import audit
from app.logs import JsonFormatter
from app.redis_client import get_redis
from app.settings import get_settings
from tests.conftest import ADMIN_KEY, FAKE_OPENAI_KEY, ApiClient
from tests.fakes import FakeOpenAIServer


@pytest.fixture
def json_log_lines():
    """Every log record of this process during the test, as the JSON lines DIA3 writes."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Collect(logging.DEBUG)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield lines
    root.removeHandler(handler)
    root.setLevel(level)


def bodies_of(*responses) -> list[str]:
    return [r.get_data(as_text=True) + str(dict(r.headers)) for r in responses]


def test_planted_secrets_never_leak(flask_app, make_client, worker, fake_llms, json_log_lines):
    analyst = make_client("analyst")
    bad_key = f"dia3_{uuid.uuid4().hex[:12]}_{uuid.uuid4().hex}"
    bad, admin = ApiClient(flask_app, bad_key), ApiClient(flask_app, ADMIN_KEY)
    seen = bodies_of(
        bad.get("/api/v1/jobs"),
        flask_app.test_client().get("/api/v1/jobs",
                                    headers={"Authorization": f"Bearer {bad_key}"}),
        admin.get("/api/v1/keys"),
        admin.get(f"/api/v1/jobs/{uuid.uuid4().hex}"),
        analyst.submit("sentiment", {"texts": []}),
        analyst.get("/api/v1/jobs?cursor=garbage"))

    # an OpenAI-compatible proxy that echoes the key it was given, failing the job
    openai = fake_llms["openai"]
    calls = openai.request_count("chat")
    openai.enqueue(FakeOpenAIServer.unauthorized(
        f"Incorrect API key provided: {FAKE_OPENAI_KEY}"))
    submitted = analyst.submit("sentiment", {"texts": [uuid.uuid4().hex],
                                             "backend": "openai"})
    job = analyst.wait(submitted.get_json()["id"])
    assert job["state"] == "failed" and job["error"]
    assert openai.request_count("chat") > calls  # the key really went out, so it could leak
    seen += bodies_of(submitted, analyst.get(f"/api/v1/jobs/{job['id']}"),
                      analyst.get(f"/api/v1/jobs/{job['id']}/result"),
                      analyst.get("/api/v1/jobs"),
                      flask_app.test_client().get("/metrics"))

    from app.cli.main import cli
    config = CliRunner().invoke(cli, ["config"])
    assert config.exit_code == 0 and "DIA3_OPENAI_API_KEY=***" in config.output
    seen += [config.output, repr(get_settings()), str(get_settings())]

    # keys made and rotated through audited actions: their secrets stay out of the audit log
    made = admin.post("/api/v1/keys", json={"role": "viewer", "tenant": "leak"}).get_json()
    rotated = admin.post(f"/api/v1/keys/{made['key_id']}/rotate").get_json()
    assert admin.delete(f"/api/v1/keys/{made['key_id']}").status_code == 204
    audited = admin.get("/api/v1/audit", query_string={"limit": 200}).get_data(as_text=True)
    audited += str(get_redis().xrange(audit.STREAM))
    assert f"key:{made['key_id']}" in audited and f"job:{job['id']}" in audited
    for secret in (made["key"], rotated["key"]):
        assert secret not in audited
    seen.append(audited)

    logged = "\n".join(json_log_lines) + worker.log_text()
    assert json_log_lines and job["id"] in worker.log_text()  # the logs were really captured
    for secret in (analyst.key, bad_key, ADMIN_KEY, FAKE_OPENAI_KEY):
        assert secret not in logged
        for text in seen:
            assert secret not in text
