"""The chart's optional LLM server (``llm.enabled``): the `embedded` backend's llama.cpp server
as a Deployment and Service on DIA3's llm image with only its key from the Secret; the workers
reach it by URL (bundled or external) through the network policies, and the chart refuses it
without a key. Lint, Kubernetes validity, checkov and the lock-down of every pod cover it as
test_helm.py's ``llm-server`` combination."""

from __future__ import annotations

import helm_python as helm
import pytest

from tests.deploy.test_helm import CHART, LLM, by_kind, render, with_token

KEY = LLM["secrets"]["llmServerKey"]


@pytest.fixture(scope="module")
def chart():
    return helm.Chart.load(str(CHART))


@pytest.fixture(scope="module")
def objects(chart):
    return render(chart, LLM)


def llm_container(objects) -> dict:
    return by_kind(objects, "Deployment")["dia3-llm"]["spec"]["template"]["spec"]["containers"][0]


def test_off_by_default(chart):
    objects = render(chart)
    assert "dia3-llm" not in by_kind(objects, "Deployment")
    assert "DIA3_LLM_SERVER_URL" not in by_kind(objects, "ConfigMap")["dia3"]["data"]


def test_the_server_runs_the_llm_image_locked_down_with_only_its_key(objects):
    pod = by_kind(objects, "Deployment")["dia3-llm"]["spec"]["template"]["spec"]
    container = llm_container(objects)
    assert container["image"] == "dia3-llm:0.1.0"
    assert container["args"] == ["llm-server", "--host", "0.0.0.0"]
    assert pod["automountServiceAccountToken"] is False and pod["enableServiceLinks"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] is True and context["capabilities"]["drop"] == ["ALL"]
    env = {e["name"]: e for e in container["env"]}
    assert env["DIA3_LLM_SERVER_KEY"]["valueFrom"]["secretKeyRef"] == {
        "name": "dia3", "key": "DIA3_LLM_SERVER_KEY"}
    assert "envFrom" not in container  # not the Redis URL, admin key or encryption key
    assert env["DIA3_LLM_SERVER_PORT"]["value"] == "8020"
    assert env["DIA3_LLM_SERVER_THREADS"]["value"] == "2"
    assert container["resources"]["limits"] == {"cpu": "2", "memory": "2Gi"}
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/props", "port": "http"}, probe
    startup = container["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] == 300
    assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp", "/var/lib/dia3"}
    service = by_kind(objects, "Service")["dia3-llm"]["spec"]
    assert service["ports"] == [{"name": "http", "port": 8020, "targetPort": "http"}]


def test_the_workers_reach_it_by_url_with_the_key(objects):
    config = by_kind(objects, "ConfigMap")["dia3"]["data"]
    assert config["DIA3_LLM_SERVER_URL"] == "http://dia3-llm:8020"
    assert by_kind(objects, "Secret")["dia3"]["stringData"]["DIA3_LLM_SERVER_KEY"] == KEY
    agents = by_kind(objects, "Deployment")["dia3-worker-agents"]["spec"]["template"]["spec"]
    assert {"secretRef": {"name": "dia3"}} in agents["containers"][0]["envFrom"]


def test_network_policies_let_only_the_workers_in_and_nothing_out(objects):
    policies = by_kind(objects, "NetworkPolicy")
    ingress = policies["dia3-llm"]["spec"]
    assert ingress["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "llm"
    (rule,) = ingress["ingress"]
    assert rule["from"][0]["podSelector"]["matchLabels"]["dia3.io/role"] == "worker"
    assert rule["ports"] == [{"protocol": "TCP", "port": 8020}]
    egress = policies["dia3-workers-egress"]["spec"]["egress"]
    to_llm = [r for r in egress if "podSelector" in r["to"][0]]
    assert to_llm[0]["ports"] == [{"protocol": "TCP", "port": 8020}]
    # the LLM server calls nothing: not even Redis or Chroma
    excluded = policies["dia3-backends"]["spec"]["podSelector"]["matchExpressions"][1]
    assert excluded["operator"] == "NotIn" and "llm" in excluded["values"]


def test_a_model_of_ones_own_from_a_claim(chart):
    objects = render(chart, {**LLM, "llm": {"enabled": True, "modelsClaim": "gguf-models",
                                            "modelPath": "/models/qwen.gguf",
                                            "startupSeconds": 600, "threads": 8}})
    container = llm_container(objects)
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["DIA3_LLM_MODEL_PATH"] == "/models/qwen.gguf"
    assert env["DIA3_LLM_SERVER_THREADS"] == "8"
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["models"] == {"name": "models", "mountPath": "/models", "readOnly": True}
    pod = by_kind(objects, "Deployment")["dia3-llm"]["spec"]["template"]["spec"]
    claim = {v["name"]: v for v in pod["volumes"]}["models"]["persistentVolumeClaim"]
    assert claim == {"claimName": "gguf-models", "readOnly": True}
    assert container["startupProbe"]["failureThreshold"] == 120
    # the workers ask for the model by its file's name, so they get the path too
    assert by_kind(objects, "ConfigMap")["dia3"]["data"]["DIA3_LLM_MODEL_PATH"] == \
        "/models/qwen.gguf"


def test_an_external_server_by_url(chart):
    objects = render(chart, {"llm": {"externalUrl": "https://gpu.example:8443"},
                             "secrets": {"llmServerKey": KEY}})
    assert "dia3-llm" not in by_kind(objects, "Deployment")
    assert by_kind(objects, "ConfigMap")["dia3"]["data"]["DIA3_LLM_SERVER_URL"] == \
        "https://gpu.example:8443"
    egress = by_kind(objects, "NetworkPolicy")["dia3-workers-egress"]["spec"]["egress"]
    assert {p["port"] for rule in egress for p in rule["ports"]} == {443, 11434, 8443}


def test_config_and_key_changes_roll_the_server(chart, objects):
    def annotations(values):
        deployment = by_kind(render(chart, values), "Deployment")["dia3-llm"]
        return deployment["spec"]["template"]["metadata"]["annotations"]
    base = annotations(LLM)
    rotated = annotations({**LLM, "secrets": {"llmServerKey": "rotated"}})
    assert rotated["checksum/secret"] != base["checksum/secret"]
    assert rotated["checksum/config"] == base["checksum/config"]


@pytest.mark.parametrize("values", [{"llm": {"enabled": True}},
                                    {"llm": {"externalUrl": "http://llm.example:8020"}}],
                         ids=["bundled", "external"])
def test_refused_without_a_key_with_the_reason(chart, values):
    with pytest.raises(Exception, match="secrets.llmServerKey is required"):
        chart.render(with_token(values), name="dia3", namespace="analysis", is_install=True)


def test_schema_rejects_wrong_llm_values(chart):
    for bad in ({"replicas": 0}, {"port": "8020"}, {"externalUrl": "llm.example:8020"},
                {"gpu": True}, {"threads": -1}):
        with pytest.raises(helm.HelmValuesError):
            chart.validate_schema(with_token({"llm": bad}))

