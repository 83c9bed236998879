"""The Helm chart, rendered offline by the Helm SDK (helm-python-sdk embeds Helm): strict lint
and schema validation, every object valid for Kubernetes 1.29-1.33 in strict mode
(kubernetes-validate), and the properties that matter in production."""

from __future__ import annotations

import copy
import json

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

from tests.deploy.tools import COMPOSE_DIR, ROOT, checkov_binary, run

CHART = ROOT / "charts" / "dia3"
KUBE_VERSIONS = ["1.29.0", "1.30.0", "1.31.0", "1.32.0", "1.33.0"]
CUSTOM_KINDS = {"ScaledObject", "TriggerAuthentication", "ServiceMonitor", "PrometheusRule"}
WORKER_GROUPS = ("agents", "analytics", "ingest")
EXTERNAL = {
    "keda": {"enabled": True},
    "metrics": {"serviceMonitor": {"enabled": True}, "prometheusRule": {"enabled": True}},
    "redis": {"enabled": False, "externalUrl": "rediss://:s3cret@redis.example:6380/0",
              "externalAddress": "redis.example:6380"},
    "chroma": {"enabled": False, "externalUrl": "http://chroma.example:8000"},
    "persistence": {"existingClaim": "dia3-shared"},
}
MINIMAL = {
    "surfaces": {name: {"enabled": False, "port": port} for name, port in
                 (("flower", 5555), ("ui", 8501), ("landing", 8502), ("mcp", 8000))},
    "ingress": {"enabled": False},
    "networkPolicy": {"enabled": False},
    "workers": {"agents": {"queues": "agents", "pool": "threads", "concurrency": 4,
                           "replicas": 2, "autoscaling": {"enabled": False, "minReplicas": 1,
                                                          "maxReplicas": 2},
                           "pdb": {"minAvailable": 1}}},
}
TLS_SECRETS = {"redisSecret": "dia3-redis-tls", "apiSecret": "dia3-api-tls",
               "clientSecret": "dia3-redis-client-tls"}
TLS = {"tls": {"enabled": True, **TLS_SECRETS}, "keda": {"enabled": True},
       "metrics": {"serviceMonitor": {"enabled": True}}}
# The one value without a default: the token of the bundled Chroma server.
TOKEN = {"secrets": {"chromaToken": "chroma-token-for-tests"}}
# The LLM server of the `embedded` backend (tests/deploy/test_helm_llm.py).
LLM = {"llm": {"enabled": True}, "secrets": {"llmServerKey": "llm-key-for-tests"}}
COMBINATIONS = {"default": {}, "external-keda-monitoring": EXTERNAL, "minimal": MINIMAL,
                "tls-keda-monitoring": TLS, "llm-server": LLM}


def with_token(values: dict | None) -> dict:
    """``values`` plus the Chroma token (merged into their own ``secrets``)."""
    values = copy.deepcopy(values or {})
    values["secrets"] = {**TOKEN["secrets"], **values.get("secrets", {})}
    return values


@pytest.fixture(scope="module")
def chart():
    return helm.Chart.load(str(CHART))


def render(chart, values=None) -> list[dict]:
    values = with_token(values)
    chart.validate_schema(values)
    manifests = chart.render(values, name="dia3", namespace="analysis", is_install=True)
    return [doc for text in manifests.values() for doc in yaml.safe_load_all(text) if doc]


def by_kind(objects, kind):
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


@pytest.mark.parametrize("name", COMBINATIONS)
def test_strict_lint_is_clean(name):
    report = helm.lint(str(CHART), with_token(COMBINATIONS[name]), strict=True,
                       namespace="analysis", kube_version="v1.31.0")
    assert report["errors"] == []
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert problems == []


@pytest.mark.parametrize("name", COMBINATIONS)
def test_every_object_is_valid_kubernetes(chart, name):
    objects = render(chart, COMBINATIONS[name])
    assert objects
    for obj in objects:
        if obj["kind"] in CUSTOM_KINDS:
            continue
        for version in KUBE_VERSIONS:
            kubernetes_validate.validate(obj, version, strict=True)


def test_schema_rejects_wrong_and_unknown_values(chart):
    for bad in ({"api": {"replicas": "three", "port": 8003}}, {"unknownKey": 1},
                {"workers": {"agents": {"queues": "agents", "pool": "gevent",
                                        "concurrency": 2}}},
                {"config": {"NOT_DIA3": "x"}}):
        with pytest.raises(helm.HelmValuesError):
            chart.validate_schema(bad)


def test_schema_describes_every_value():
    schema = json.loads((CHART / "values.schema.json").read_text())
    values = yaml.safe_load((CHART / "values.yaml").read_text())

    def walk(value, node, path):
        assert node.get("description"), path
        if isinstance(value, dict) and node.get("type") == "object":
            props = node.get("properties")
            for key, child in value.items():
                sub = props.get(key) if props else node.get("additionalProperties")
                assert isinstance(sub, dict), f"{path}.{key} is not in the schema"
                if props or isinstance(child, dict):
                    walk(child, sub, f"{path}.{key}")
    walk(values, {**schema, "description": schema["title"]}, "values")


def test_api_workers_and_surfaces(chart):
    objects = render(chart)
    deployments = by_kind(objects, "Deployment")
    api = deployments["dia3-api"]
    assert api["spec"]["replicas"] == 3
    assert api["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
    assert set(deployments) == {"dia3-api", "dia3-worker-agents", "dia3-worker-analytics",
                                "dia3-worker-ingest", "dia3-flower", "dia3-ui",
                                "dia3-landing", "dia3-mcp", "dia3-beat"}
    pdbs, hpas = by_kind(objects, "PodDisruptionBudget"), by_kind(objects,
                                                                  "HorizontalPodAutoscaler")
    for group in WORKER_GROUPS:
        name = f"dia3-worker-{group}"
        spec = deployments[name]["spec"]["template"]["spec"]
        args = spec["containers"][0]["args"]
        assert args[:2] == ["worker", "-Q"] and f"{group}@%h" in args
        assert spec["terminationGracePeriodSeconds"] > 720  # > the hard time limit of a step
        probe = spec["containers"][0]["livenessProbe"]["exec"]["command"]
        assert "control.ping" in " ".join(probe) and probe[-1] == group
        assert name in pdbs
        metrics = {m["resource"]["name"] for m in hpas[name]["spec"]["metrics"]}
        assert metrics == {"cpu", "memory"}
        assert "replicas" not in deployments[name]["spec"]  # the HPA owns it
    agents = deployments["dia3-worker-agents"]["spec"]["template"]["spec"]["containers"][0]
    assert agents["args"][agents["args"].index("-P") + 1] == "threads"


def test_every_dia3_pod_is_locked_down_and_probed(chart):
    for name, values in COMBINATIONS.items():
        for obj in render(chart, values):
            if obj["kind"] not in ("Deployment", "StatefulSet"):
                continue
            pod = obj["spec"]["template"]["spec"]
            assert pod["automountServiceAccountToken"] is False
            # Service variables such as DIA3_MCP_PORT=tcp://… would clash with DIA3's settings.
            assert pod["enableServiceLinks"] is False
            assert pod["securityContext"]["runAsNonRoot"] is True
            assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
            for container in pod["containers"]:
                context = container["securityContext"]
                where = (name, obj["metadata"]["name"])
                assert context["readOnlyRootFilesystem"] is True, where
                assert context["allowPrivilegeEscalation"] is False, where
                assert context["capabilities"]["drop"] == ["ALL"], where
                assert container["livenessProbe"] and container["readinessProbe"], where
                assert container["resources"]["limits"], where


def test_each_component_runs_its_roles_image(chart):
    """The role images of compose/Dockerfile: the control plane's for the API and the other
    surfaces, the workers', the dashboard's and Chroma's, under one repository prefix and tag."""
    values = {"image": {"repository": "registry.example.com/dia3", "tag": "1.2.3"}}
    objects = render(chart, values)
    images = {name: obj["spec"]["template"]["spec"]["containers"][0]["image"]
              for kind in ("Deployment", "StatefulSet")
              for name, obj in by_kind(objects, kind).items() if name != "dia3-redis"}
    roles = {"dia3-api": "api", "dia3-flower": "api", "dia3-landing": "api", "dia3-mcp": "api",
             "dia3-beat": "api", "dia3-ui": "ui", "dia3-chroma": "chroma",
             **{f"dia3-worker-{group}": "worker" for group in WORKER_GROUPS}}
    assert images == {name: f"registry.example.com/dia3-{role}:1.2.3"
                      for name, role in roles.items()}


def test_exactly_one_beat_replaced_not_doubled(chart):
    """One beat pod in every combination (replicas 1, Recreate: an upgrade stops the old one
    first), probed on its metrics port, which monitoring scrapes; beat.enabled=false has
    none."""
    for name, values in COMBINATIONS.items():
        objects = render(chart, values)
        beats = [o for o in objects if o["kind"] in ("Deployment", "StatefulSet")
                 and o["spec"]["template"]["spec"]["containers"][0].get("args") == ["beat"]]
        assert [b["metadata"]["name"] for b in beats] == ["dia3-beat"], name
        spec = beats[0]["spec"]
        assert (spec["replicas"], spec["strategy"]) == (1, {"type": "Recreate"}), name
        container = spec["template"]["spec"]["containers"][0]
        assert {"name": "DIA3_BEAT_METRICS_PORT", "value": "9810"} in container["env"]
        assert container["livenessProbe"]["httpGet"] == {"path": "/metrics", "port": "metrics"}
        assert "HorizontalPodAutoscaler" not in {o["kind"] for o in objects
                                                 if o["metadata"]["name"] == "dia3-beat"}
    services = by_kind(render(chart, TLS), "Service")
    assert services["dia3-beat-metrics"]["spec"]["ports"][0]["port"] == 9810
    assert "dia3-beat" not in by_kind(render(chart, {"beat": {"enabled": False,
                                                              "metricsPort": 9810}}),
                                      "Deployment")


def test_default_resources_are_one_cpu_two_gi(chart):
    api = by_kind(render(chart), "Deployment")["dia3-api"]
    limits = api["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert limits == {"cpu": "1", "memory": "2Gi"}


def test_config_and_secret_changes_roll_the_pods(chart):
    def annotations(values):
        pod = by_kind(render(chart, values), "Deployment")["dia3-worker-ingest"]
        return pod["spec"]["template"]["metadata"]["annotations"]
    base = annotations({})
    config = annotations({"config": {"DIA3_LOG_LEVEL": "DEBUG"}})
    secret = annotations({"secrets": {"adminApiKey": "rotated"}})
    assert config["checksum/config"] != base["checksum/config"]
    assert config["checksum/secret"] == base["checksum/secret"]
    assert secret["checksum/secret"] != base["checksum/secret"]


def test_passwords_only_in_the_secret(chart):
    objects = render(chart, EXTERNAL)
    for obj in objects:
        if obj["kind"] != "Secret":
            assert "s3cret" not in yaml.safe_dump(obj), obj["kind"]
    secret = by_kind(objects, "Secret")["dia3"]
    assert secret["stringData"]["DIA3_REDIS_URL"] == "rediss://:s3cret@redis.example:6380/0"
    config = by_kind(objects, "ConfigMap")["dia3"]["data"]
    assert config["DIA3_CHROMA_URL"] == "http://chroma.example:8000"
    assert "StatefulSet" not in {o["kind"] for o in objects}  # nothing bundled


def test_keda_scales_workers_on_queue_length_with_secret_auth(chart):
    objects = render(chart, EXTERNAL)
    assert not by_kind(objects, "HorizontalPodAutoscaler")  # KEDA makes its own
    auth = by_kind(objects, "TriggerAuthentication")["dia3-redis-auth"]
    assert auth["spec"]["secretTargetRef"] == [
        {"parameter": "password", "name": "dia3", "key": "REDIS_PASSWORD"}]
    scaled = by_kind(objects, "ScaledObject")
    assert set(scaled) == {f"dia3-worker-{g}" for g in WORKER_GROUPS}
    triggers = scaled["dia3-worker-analytics"]["spec"]["triggers"]
    assert [t["metadata"]["listName"] for t in triggers] == ["analytics", "default"]
    for trigger in triggers:
        assert trigger["type"] == "redis"
        assert trigger["metadata"]["address"] == "redis.example:6380"
        assert "password" not in trigger["metadata"]
        assert trigger["authenticationRef"]["name"] == "dia3-redis-auth"


def test_network_policies_default_deny_and_needed_flows(chart):
    policies = by_kind(render(chart), "NetworkPolicy")
    deny = policies["dia3-default-deny"]["spec"]
    assert deny["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in deny and "egress" not in deny
    backends = policies["dia3-backends"]["spec"]["egress"]
    ports = {p["port"] for rule in backends for p in rule["ports"]}
    assert {53, 6379, 8000} <= ports
    to_api = policies["dia3-to-api"]["spec"]["egress"][0]["ports"][0]["port"]
    assert to_api == 8003
    workers = policies["dia3-workers-egress"]["spec"]["egress"][0]["ports"]
    assert {p["port"] for p in workers} == {443, 11434}
    scrape = policies["dia3-from-monitoring"]["spec"]["ingress"][0]["ports"]
    assert {p["port"] for p in scrape} == {8003, 9808, 5555, 9810}  # 9810: the beat
    # Workers' metrics bind loopback unless told otherwise; in the cluster they are scraped.
    config = by_kind(render(chart), "ConfigMap")["dia3"]["data"]
    assert config["DIA3_WORKER_METRICS_HOST"] == "0.0.0.0"


def test_landing_page_probes_the_surfaces_through_their_services(chart):
    objects = render(chart)
    config = by_kind(objects, "ConfigMap")["dia3"]["data"]
    services = by_kind(objects, "Service")
    for variable, component, path in (("DIA3_DASHBOARD_PROBE_URL", "ui", "/dashboard"),
                                      ("DIA3_FLOWER_PROBE_URL", "flower", "/flower"),
                                      ("DIA3_MCP_PROBE_URL", "mcp", "/mcp")):
        port = services[f"dia3-{component}"]["spec"]["ports"][0]["port"]
        assert config[variable] == f"http://dia3-{component}:{port}{path}"
    policies = by_kind(objects, "NetworkPolicy")
    allowed = policies["dia3-landing-probes"]["spec"]
    assert allowed["ingress"][0]["from"][0]["podSelector"]["matchLabels"][
        "app.kubernetes.io/component"] == "landing"
    probe_ports = {p["port"] for p in allowed["ingress"][0]["ports"]}
    assert probe_ports == {8501, 5555, 8000}
    egress = policies["dia3-landing-egress"]["spec"]["egress"][0]
    assert {p["port"] for p in egress["ports"]} == probe_ports


def test_ingress_serves_every_surface_over_tls(chart):
    ingress = by_kind(render(chart), "Ingress")["dia3"]["spec"]
    assert ingress["tls"][0]["secretName"] == "dia3-tls"
    paths = {p["path"]: p["backend"]["service"]["name"]
             for p in ingress["rules"][0]["http"]["paths"]}
    assert paths == {"/api/": "dia3-api", "/dashboard/": "dia3-ui", "/flower/": "dia3-flower",
                     "/mcp": "dia3-mcp", "/": "dia3-landing"}


def test_bundled_redis_is_append_only_and_authenticated_from_the_secret(chart):
    redis = by_kind(render(chart, {"redis": {"enabled": True, "password": "pw"}}),
                    "StatefulSet")["dia3-redis"]
    container = redis["spec"]["template"]["spec"]["containers"][0]
    assert "--appendonly yes --appendfsync always" in container["args"][0]
    assert "noeviction" in container["args"][0]
    env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]}
    assert env["REDIS_PASSWORD"] == {"name": "dia3", "key": "REDIS_PASSWORD"}


def test_prometheus_rule_carries_the_tested_alerts(chart):
    rule = by_kind(render(chart, EXTERNAL), "PrometheusRule")["dia3"]
    compose_rules = yaml.safe_load(
        (COMPOSE_DIR / "prometheus" / "rules" / "dia3-alerts.yml").read_text())
    assert rule["spec"] == compose_rules


def test_bundled_chroma_requires_dias_token_and_gets_only_that_secret(chart):
    """Chroma runs DIA3's image with token authentication (`chroma run` lets any client list
    and delete every collection); the token comes from the Secret, which every DIA3 pod reads,
    and the chart refuses to render the bundled Chroma without one."""
    with pytest.raises(Exception, match="secrets.chromaToken is required"):
        chart.render({}, name="dia3", namespace="analysis", is_install=True)
    objects = render(chart)
    assert by_kind(objects, "Secret")["dia3"]["stringData"]["DIA3_CHROMA_TOKEN"] == \
        TOKEN["secrets"]["chromaToken"]
    pod = by_kind(objects, "StatefulSet")["dia3-chroma"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == "dia3-chroma:0.1.0"
    assert container["args"] == ["chroma", "--host", "0.0.0.0"]
    env = {e["name"]: e for e in container["env"]}
    assert env["DIA3_CHROMA_TOKEN"]["valueFrom"]["secretKeyRef"] == {
        "name": "dia3", "key": "DIA3_CHROMA_TOKEN"}
    assert env["DIA3_CHROMA_PORT"]["value"] == "8000" and "envFrom" not in container
    assert {"name": "data", "mountPath": "/var/lib/dia3"} in container["volumeMounts"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/api/v2/heartbeat"
    external = render(chart, {**EXTERNAL, "secrets": {"chromaToken": ""}})
    assert "StatefulSet" not in {o["kind"] for o in external}  # no token needed without it


# checkov findings that do not apply, each with its reason.
CHECKOV_SKIPS = {
    # Images are pinned by version tag (image.tag, the Redis tag in values); a digest
    # or Always would tie every pod start to the registry. Operators can set image.tag to a
    # digest and image.pullPolicy to Always.
    "CKV_K8S_15": "image pull policy Always",
    "CKV_K8S_43": "image by digest",
    # DIA3 reads every setting, secrets included, from DIA3_* environment variables (one
    # settings module); the Secret is mounted with envFrom, never written into a ConfigMap.
    "CKV_K8S_35": "secrets as files",
}


def test_checkov_finds_nothing_in_the_manifests_and_the_dockerfile(chart, tmp_path):
    for name, values in COMBINATIONS.items():
        manifests = chart.render(with_token(values), name="dia3", namespace="analysis")
        (tmp_path / f"{name}.yaml").write_text(
            "\n---\n".join(text for text in manifests.values() if text.strip()))
    result = run([checkov_binary(), "--skip-download", "--quiet", "--compact", "-o", "json",
                  "--framework", "kubernetes", "-d", str(tmp_path),
                  "--skip-check", ",".join(CHECKOV_SKIPS)])
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    failed = [(f["check_id"], f["resource"]) for r in reports
              for f in r["results"]["failed_checks"]]
    assert failed == []
    assert sum(r["summary"]["passed"] for r in reports) > 500
    # The base image is the build argument BASE_IMAGE, pinned to python:3.11-slim by default
    # (CI builds on a Debian image made offline); checkov does not read ARG defaults.
    result = run([checkov_binary(), "--skip-download", "--quiet", "--compact",
                  "--framework", "dockerfile", "-f", str(COMPOSE_DIR / "Dockerfile"),
                  "--skip-check", "CKV_DOCKER_7"])
    assert result.returncode == 0, result.stdout


def test_tls_on_redis_and_the_api_from_secrets(chart):
    objects = render(chart, TLS)
    config = by_kind(objects, "ConfigMap")["dia3"]["data"]
    assert by_kind(objects, "Secret")["dia3"]["stringData"]["DIA3_REDIS_URL"].startswith(
        "rediss://dia3-redis:6379/")
    assert config["DIA3_API_URL"] == "https://dia3-api:8003"
    # Redis: TLS only, client certificates required, probed over TLS
    redis = by_kind(objects, "StatefulSet")["dia3-redis"]["spec"]["template"]["spec"]
    args = redis["containers"][0]["args"][0]
    assert "--port 0 --tls-port 6379 --tls-auth-clients yes" in args
    assert {v["secret"]["secretName"] for v in redis["volumes"]} == {
        "dia3-redis-tls", "dia3-redis-client-tls"}
    assert "--tls" in redis["containers"][0]["readinessProbe"]["exec"]["command"]
    # every DIA3 component mounts the client certificate its settings name
    for name, deployment in by_kind(objects, "Deployment").items():
        spec = deployment["spec"]["template"]["spec"]
        mounts = {m["name"]: m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
        folder = mounts["redis-client-tls"]
        assert config["DIA3_REDIS_TLS_CERT_FILE"] == f"{folder}/tls.crt", name
        assert config["DIA3_REDIS_TLS_CA_FILE"] == config["DIA3_API_CA_FILE"] == \
            f"{folder}/ca.crt"
        assert ("api-tls" in mounts) == (name == "dia3-api"), name  # the API's key: API only
    api = by_kind(objects, "Deployment")["dia3-api"]["spec"]["template"]["spec"]
    mounts = {m["name"]: m["mountPath"] for m in api["containers"][0]["volumeMounts"]}
    assert config["DIA3_API_TLS_CERT_FILE"] == f"{mounts['api-tls']}/tls.crt"
    assert api["containers"][0]["readinessProbe"]["httpGet"]["scheme"] == "HTTPS"
    # the ingress controller and Prometheus verify the API's certificate
    ingress = by_kind(objects, "Ingress")
    annotations = ingress["dia3-api"]["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/backend-protocol"] == "HTTPS"
    assert annotations["nginx.ingress.kubernetes.io/proxy-ssl-verify"] == "on"
    assert annotations["nginx.ingress.kubernetes.io/proxy-ssl-secret"] == "analysis/dia3-api-tls"
    assert annotations["nginx.ingress.kubernetes.io/proxy-ssl-name"] == "dia3-api"
    paths = [p["path"] for i in ingress.values() for p in i["spec"]["rules"][0]["http"]["paths"]]
    assert sorted(paths) == ["/", "/api/", "/dashboard/", "/flower/", "/mcp"]
    api_endpoint = by_kind(objects, "ServiceMonitor")["dia3"]["spec"]["endpoints"][0]
    assert api_endpoint["scheme"] == "https"
    assert api_endpoint["tlsConfig"]["serverName"] == "dia3-api"
    # the KEDA scaler reads the queues over TLS with the client certificate
    trigger = next(iter(by_kind(objects, "ScaledObject").values()))["spec"]["triggers"][0]
    assert trigger["metadata"]["enableTLS"] == "true"
    refs = by_kind(objects, "TriggerAuthentication")["dia3-redis-auth"]["spec"]["secretTargetRef"]
    assert {r["parameter"] for r in refs if r["name"] == "dia3-redis-client-tls"} == {
        "ca", "cert", "key"}


@pytest.mark.parametrize("missing", sorted(TLS_SECRETS))
def test_tls_without_its_secrets_is_refused_with_the_reason(chart, missing):
    values = {"tls": {"enabled": True, **TLS_SECRETS, missing: ""}}
    with pytest.raises(Exception, match=f"tls.{missing} is required"):
        render(chart, values)


def backup_pod(objects) -> dict:
    return by_kind(objects, "CronJob")["dia3-backup"]["spec"]["jobTemplate"]["spec"][
        "template"]["spec"]


def test_a_daily_drilled_backup_by_default_into_a_volume_that_outlives_the_release(chart):
    for name, values in COMBINATIONS.items():
        objects = render(chart, values)
        cron = by_kind(objects, "CronJob")["dia3-backup"]["spec"]
        assert (cron["schedule"], cron["timeZone"]) == ("0 3 * * *", "Etc/UTC"), name
        assert cron["concurrencyPolicy"] == "Forbid"  # never two backups at once
        pod = backup_pod(objects)
        assert pod["restartPolicy"] == "Never"
        # locked down like every other DIA3 pod (a job has no probes)
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        (container,) = pod["containers"]
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True and \
            context["allowPrivilegeEscalation"] is False and \
            context["capabilities"]["drop"] == ["ALL"], name
        assert container["resources"]["limits"], name
        # the control-plane image (no analysis libraries), as the API runs
        assert container["image"].split(":")[0].endswith("dia3-api"), container["image"]
        assert container["args"] == ["backup", "--into", "--verify", "/var/lib/dia3-backups"]
        assert container["env"] == [{"name": "DIA3_BACKUP_RETENTION_DAYS", "value": "14"}]
        # the Secret (encryption key, Redis URL, Chroma token) as every component gets it
        assert {"secretRef": {"name": "dia3"}} in container["envFrom"]
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        assert mounts["backups"] == "/var/lib/dia3-backups" and mounts["tmp"] == "/tmp"
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["backups"]["persistentVolumeClaim"]["claimName"] == "dia3-backups"
        claim = by_kind(objects, "PersistentVolumeClaim")["dia3-backups"]
        assert claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
        assert claim["spec"]["resources"]["requests"]["storage"] == "20Gi"


def test_the_backup_pod_reaches_only_redis_chroma_and_dns(chart):
    """No policy of its own: default deny, and the backends policy (DNS, Redis, Chroma)
    selects it; nothing may call it, and it calls nothing else."""
    objects = render(chart)
    labels = by_kind(objects, "CronJob")["dia3-backup"]["spec"]["jobTemplate"]["spec"][
        "template"]["metadata"]["labels"]

    def selects(policy):
        selector = policy["spec"]["podSelector"]
        if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
            return False
        for rule in selector.get("matchExpressions", []):
            inside = labels.get(rule["key"]) in rule["values"]
            if inside != (rule["operator"] == "In"):
                return False
        return True

    chosen = {name for name, p in by_kind(objects, "NetworkPolicy").items() if selects(p)}
    assert chosen == {"dia3-default-deny", "dia3-backends"}


def test_backup_schedule_retention_and_volume_follow_the_values(chart):
    objects = render(chart, {"backup": {"schedule": "30 1 * * 0", "retentionDays": 60,
                                        "verify": False, "existingClaim": "offsite-backups",
                                        "activeDeadlineSeconds": 7200}})
    cron = by_kind(objects, "CronJob")["dia3-backup"]["spec"]
    assert cron["schedule"] == "30 1 * * 0"
    assert cron["jobTemplate"]["spec"]["activeDeadlineSeconds"] == 7200
    container = backup_pod(objects)["containers"][0]
    assert container["args"] == ["backup", "--into", "/var/lib/dia3-backups"]
    assert container["env"][0]["value"] == "60"
    claim = {v["name"]: v for v in backup_pod(objects)["volumes"]}["backups"]
    assert claim["persistentVolumeClaim"]["claimName"] == "offsite-backups"
    assert "dia3-backups" not in by_kind(objects, "PersistentVolumeClaim")
    off = render(chart, {"backup": {"enabled": False}})
    assert not by_kind(off, "CronJob") and "dia3-backups" not in by_kind(
        off, "PersistentVolumeClaim")
    for bad in ({"retentionDays": -1}, {"schedule": ""}, {"keepForever": True},
                {"retentionDays": "14"}):
        with pytest.raises(helm.HelmValuesError):
            chart.validate_schema(with_token({"backup": bad}))
