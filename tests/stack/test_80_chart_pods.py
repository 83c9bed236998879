"""The Helm chart's pods, run as containers from the built images (chart_pods.py): with the
chart's default values and with production values as docs/deploy.md installs them (these with
the LLM server), every container starts as the chart declares it (command, environment from
the ConfigMap and the Secret, user, read-only root, volumes, limits, Service names) and passes
its liveness, readiness and startup probes; and jobs run through the chart-shaped deployment,
on the bundled model too where the LLM server runs."""

from __future__ import annotations

import secrets

import pytest

from app.client import DIA3Client
from tests.conftest import wait_for
from tests.stack import chart_pods
from tests.stack.jobs import DOCUMENTS, assert_each_text_once, collection_with_documents, texts

pytestmark = pytest.mark.stack

# No Ollama runs here (the chart deploys none): the agents use the built-in backend.
LOCAL_LLM = {"config": {"DIA3_LLM_BACKEND": "local"}}
PRODUCTION = {  # docs/deploy.md, "Helm chart": the bundled Redis and Chroma, secrets from values
    "ingress": {"host": "dia3.example.com"},
    "redis": {"password": secrets.token_hex(12)},
    "secrets": {"adminApiKey": f"dia3_{secrets.token_hex(16)}",
                "flowerPassword": secrets.token_hex(12),
                "chromaToken": secrets.token_hex(24),
                "uiSessionSecret": secrets.token_hex(32),
                "llmServerKey": secrets.token_hex(24)},
    # the `embedded` backend's server, which the agents reach at its Service
    "llm": {"enabled": True},
}
VALUES = {
    "default": chart_pods.merge(LOCAL_LLM, {"secrets": {"chromaToken": secrets.token_hex(24)}}),
    "production": chart_pods.merge(LOCAL_LLM, PRODUCTION),
}
PROBES = ("startupProbe", "readinessProbe", "livenessProbe")
WORKLOADS = {"dia3-api", "dia3-worker-agents", "dia3-worker-analytics", "dia3-worker-ingest",
             "dia3-flower", "dia3-ui", "dia3-landing", "dia3-mcp", "dia3-redis", "dia3-chroma",
             "dia3-beat"}
LLM_POD = "dia3-llm-0"


@pytest.fixture(scope="module", params=list(VALUES))
def deployment(request):
    """The chart's pods for one set of values, running; removed afterwards."""
    started = chart_pods.Deployment(VALUES[request.param])
    started.start()
    yield started
    chart_pods.remove()


def running(deployment, container) -> None:
    state = deployment.state(container)
    assert state["Running"] and not state["Restarting"], (
        container.docker_name, state.get("ExitCode"), deployment.logs(container))


@pytest.mark.timeout(900)  # ten or eleven pods start on a shared machine
def test_every_container_runs_and_passes_its_probes(deployment):
    workloads = {c.pod.rsplit("-", 1)[0] for c in deployment.containers}
    llm = deployment.values.get("llm", {}).get("enabled", False)
    assert workloads == WORKLOADS | ({"dia3-llm"} if llm else set())
    for container in deployment.containers:
        declared = [p for p in PROBES if p in container.spec]
        assert "readinessProbe" in declared and "livenessProbe" in declared, container.name

        def ready(container=container):
            running(deployment, container)
            return deployment.probe(container, "readinessProbe")[0]
        wait_for(ready, timeout=300, interval=1, what=f"{container.docker_name} to be ready")
        for which in declared:
            passed, detail = deployment.probe(container, which)
            assert passed, (container.docker_name, which, detail, deployment.logs(container))
    for container in deployment.containers:  # none exited or restarted meanwhile
        running(deployment, container)
        assert deployment.state(container)["OOMKilled"] is False


def test_the_pods_run_as_declared(deployment):
    for container in deployment.containers:
        info = chart_pods.docker("inspect", container.docker_name).stdout
        assert '"ReadonlyRootfs": true' in info, container.docker_name
        assert '"User": "10001:10001"' in info, container.docker_name
        denied = chart_pods.docker("exec", container.docker_name, "touch", "/opt/x",
                                   check=False)
        assert denied.returncode != 0 and "Read-only file system" in denied.stderr


@pytest.mark.timeout(600)
def test_a_job_and_a_knowledge_search_run_through_the_chart_shaped_deployment(deployment):
    api = next(c for c in deployment.containers if c.pod == "dia3-api-0")
    # The first key, as an operator makes it: `dia3 keys create` in the API pod (on Redis).
    made = chart_pods.docker("exec", "--user", api.user, api.docker_name, "dia3", "keys",
                             "create", "--role", "analyst", "--tenant", "chart")
    client = DIA3Client(f"http://{deployment.address(api)}:8003", made.stdout.strip(),
                        timeout=30)
    job = client.submit("sentiment", {"texts": texts(24, "chart")})
    job = client.wait(job["id"], timeout=240)
    assert job["state"] == "succeeded", job["error"]
    assert_each_text_once(client.result(job["id"])["result"], 24)
    # Chroma's StatefulSet (token, claim), the ingest worker and the local embedder.
    name, result = collection_with_documents(client, DOCUMENTS)
    assert result["totals"]["documents"] == 3, result
    hits = client.search(name, "battery production costs", k=1)["hits"]
    assert hits[0]["document_id"] == "technology"
    if any(c.pod == LLM_POD for c in deployment.containers):
        # The agents' worker pod reaches the LLM server at its Service, with the Secret's key.
        job = client.submit("sentiment", {"texts": ["I love it", "It broke at once"],
                                          "backend": "embedded"})
        job = client.wait(job["id"], timeout=300)
        assert job["state"] == "succeeded", job["error"]
        rated = client.result(job["id"])["result"]
        assert rated["analyser"] == "embedded" and len(rated["items"]) == 2
        assert rated["usage"]["tokens_estimated"] is False
