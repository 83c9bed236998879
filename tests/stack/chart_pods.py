"""The Helm chart's pods, run as Docker containers the way a kubelet would run them.

There is no Kubernetes API server to install the chart on, so this renders it with the Helm SDK
and runs each Deployment's and StatefulSet's containers (Jobs too, should the chart get any)
from the built role images: the same command and args, the environment resolved from the
rendered ConfigMaps and Secrets (and the Service environment variables a kubelet adds), the
same user, group and supplementary fsGroup, a read-only root file system, no capabilities,
emptyDir volumes as tmpfs, claims as Docker volumes owned by the fsGroup, Secret volumes as
read-only files, the resource limits, and one network on which every Service's name resolves
to its pods (network aliases). One pod per workload. Probes are then called as declared
(``probe``): httpGet from outside the container, tcpSocket, and exec inside it.

``python -m tests.stack.chart_pods --remove`` removes everything this made (``./run.sh
stack-test`` calls it when it finishes); tests/stack/test_80_chart_pods.py uses it.
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import shutil
import socket
import ssl
import subprocess
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import helm_python as helm
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "dia3"
LABEL = "dia3.chart-pods"
NETWORK = "dia3-chart-pods"
PREFIX = "dia3-chart-"
WORKLOADS = ("Deployment", "StatefulSet", "Job")
# The built images stand in for the registry's: DIA3's role images (the LLM server's too, for
# values with llm.enabled) as ./run.sh stack-test and `docker compose build` tag them, and the
# Redis stand-in of compose/ci/standins.Dockerfile for redis:7.4-alpine where it was built
# (where images cannot be pulled).
LOCAL_IMAGES = {"image": {"repository": "dia3", "tag": "latest", "pullPolicy": "Never"}}
REDIS_STAND_IN = "dia3-ci/redis:local"


def docker(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args[:3])} … exited {done.returncode}: "
                           f"{done.stderr.strip()[-2000:]}")
    return done


def merge(base: dict, extra: dict) -> dict:
    """``base`` with ``extra`` merged into it, nested dictionaries key by key."""
    merged = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def render(values: dict, name: str = "dia3", namespace: str = "analysis") -> list[dict]:
    """The chart's objects for ``values`` (schema-checked), as `helm install` would create them."""
    chart = helm.Chart.load(str(CHART))
    chart.validate_schema(values)
    manifests = chart.render(values, name=name, namespace=namespace, is_install=True)
    return [doc for text in manifests.values() for doc in yaml.safe_load_all(text) if doc]


# ---- from the rendered objects to containers ---------------------------------------------------
def cpus(quantity: str) -> str:
    text = str(quantity)
    return str(int(text[:-1]) / 1000) if text.endswith("m") else text


def memory(quantity: str) -> str:
    text = str(quantity)
    for suffix, unit in (("Gi", "g"), ("Mi", "m"), ("Ki", "k")):
        if text.endswith(suffix):
            return text[: -len(suffix)] + unit
    return text


def service_links(services: list[dict]) -> dict[str, str]:
    """The variables a kubelet puts into every container of the namespace for each Service
    (enableServiceLinks, on by default): DIA3_API_PORT=tcp://…:8003 for a Service dia3-api."""
    env: dict[str, str] = {}
    for service in services:
        prefix = service["metadata"]["name"].upper().replace("-", "_")
        host = service["metadata"]["name"]
        ports = service["spec"]["ports"]
        env[f"{prefix}_SERVICE_HOST"] = host
        env[f"{prefix}_SERVICE_PORT"] = str(ports[0]["port"])
        for port in ports:
            protocol = port.get("protocol", "TCP")
            if port.get("name"):
                env[f"{prefix}_SERVICE_PORT_{port['name'].upper().replace('-', '_')}"] = str(
                    port["port"])
            base = f"{prefix}_PORT_{port['port']}_{protocol}"
            env.update({base: f"{protocol.lower()}://{host}:{port['port']}",
                        f"{base}_PROTO": protocol.lower(), f"{base}_PORT": str(port["port"]),
                        f"{base}_ADDR": host})
        env[f"{prefix}_PORT"] = f"{ports[0].get('protocol', 'TCP').lower()}://{host}:" \
                                f"{ports[0]['port']}"
    return env


def selects(service: dict, labels: dict[str, str]) -> bool:
    selector = service["spec"].get("selector") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


@dataclass
class Container:
    """One container of one pod, with what running and probing it needs."""
    pod: str
    name: str
    kind: str
    image: str
    run_args: list[str]
    ports: dict[str, int]
    spec: dict
    user: str
    volumes: list[tuple[str, str, str]] = field(default_factory=list)  # (volume, uid:gid, mode)

    @property
    def docker_name(self) -> str:
        return f"{PREFIX}{self.pod}-{self.name}"


class Deployment:
    """The chart's workloads for one set of values, as containers on one Docker network."""

    def __init__(self, values: dict, name: str = "dia3", namespace: str = "analysis") -> None:
        local = copy.deepcopy(LOCAL_IMAGES)
        if docker("image", "inspect", REDIS_STAND_IN, check=False).returncode == 0:
            local["redis"] = {"image": REDIS_STAND_IN}
        self.values = merge(values, local)
        self.objects = render(self.values, name, namespace)
        self.files = Path(tempfile.mkdtemp(prefix="dia3-chart-pods-"))
        self.files.chmod(0o755)  # the pods' users read their Secret volumes below it
        self.containers: list[Container] = []

    def of_kind(self, kind: str) -> dict[str, dict]:
        return {o["metadata"]["name"]: o for o in self.objects if o["kind"] == kind}

    def config(self, kind: str, name: str) -> dict[str, str]:
        """A ConfigMap's or Secret's data, decoded."""
        obj = self.of_kind(kind)[name]
        data = dict(obj.get("stringData") or {})
        if kind == "Secret":
            encoded = obj.get("data") or {}
            data.update({k: base64.b64decode(v).decode() for k, v in encoded.items()})
        else:
            data.update(obj.get("data") or {})
        return {k: str(v) for k, v in data.items()}

    def environment(self, pod_name: str, pod: dict, container: dict) -> dict[str, str]:
        """Service links first, then envFrom, then env: the kubelet's order of precedence."""
        env = service_links(list(self.of_kind("Service").values())) \
            if pod.get("enableServiceLinks", True) else {}
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                env.update(self.config("ConfigMap", source["configMapRef"]["name"]))
            if "secretRef" in source:
                env.update(self.config("Secret", source["secretRef"]["name"]))
        for item in container.get("env", []):
            if "value" in item:
                env[item["name"]] = str(item["value"])
                continue
            ref = item["valueFrom"]
            if "secretKeyRef" in ref:
                env[item["name"]] = self.config("Secret", ref["secretKeyRef"]["name"])[
                    ref["secretKeyRef"]["key"]]
            elif "configMapKeyRef" in ref:
                env[item["name"]] = self.config("ConfigMap", ref["configMapKeyRef"]["name"])[
                    ref["configMapKeyRef"]["key"]]
            elif ref.get("fieldRef", {}).get("fieldPath") == "metadata.name":
                env[item["name"]] = pod_name
            else:
                raise ValueError(f"{pod_name}: unsupported env source {ref}")
        return env

    def secret_volume(self, pod_name: str, volume: dict) -> Path:
        """A Secret volume's keys as files of its defaultMode (a read-only bind mount)."""
        folder = self.files / pod_name / volume["name"]
        folder.mkdir(parents=True)
        mode = volume["secret"].get("defaultMode", 0o644)
        for key, value in self.config("Secret", volume["secret"]["secretName"]).items():
            path = folder / key
            path.write_text(value)
            path.chmod(mode | 0o004)  # readable by the pod's user, as the fsGroup would make it
        return folder

    def plan(self) -> list[Container]:
        """Every workload's containers as `docker run` arguments, one pod each."""
        services = list(self.of_kind("Service").values())
        for kind in WORKLOADS:
            for name, workload in self.of_kind(kind).items():
                template = workload["spec"]["template"]
                pod_name = f"{name}-0"
                labels = template["metadata"].get("labels", {})
                aliases = [s["metadata"]["name"] for s in services if selects(s, labels)]
                self.containers += self.pod_containers(kind, pod_name, workload, aliases)
        return self.containers

    def pod_containers(self, kind: str, pod_name: str, workload: dict,
                       aliases: list[str]) -> list[Container]:
        pod = workload["spec"]["template"]["spec"]
        pod_context = pod.get("securityContext", {})
        claims = {t["metadata"]["name"] for t in workload["spec"].get("volumeClaimTemplates", [])}
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        found = []
        for container in pod["containers"]:
            context = {**pod_context, **container.get("securityContext", {})}
            uid, gid = context.get("runAsUser"), context.get("runAsGroup")
            user = f"{uid}:{gid if gid is not None else uid}" if uid is not None else ""
            pull = {"Never": "never", "Always": "always"}.get(
                container.get("imagePullPolicy", "IfNotPresent"), "missing")
            args = ["--name", f"{PREFIX}{pod_name}-{container['name']}", "--hostname", pod_name,
                    "--label", f"{LABEL}=1", "--network", NETWORK, "--pull", pull]
            args += [arg for alias in aliases for arg in ("--network-alias", alias)]
            if user:
                args += ["--user", user]
            if "fsGroup" in pod_context:
                args += ["--group-add", str(pod_context["fsGroup"])]
            if context.get("readOnlyRootFilesystem"):
                args.append("--read-only")
            if context.get("allowPrivilegeEscalation") is False:
                args += ["--security-opt", "no-new-privileges:true"]
            args += [a for cap in context.get("capabilities", {}).get("drop", [])
                     for a in ("--cap-drop", cap)]
            limits = container.get("resources", {}).get("limits", {})
            if "cpu" in limits:
                args += ["--cpus", cpus(limits["cpu"])]
            if "memory" in limits:
                args += ["--memory", memory(limits["memory"])]
            owned = []
            for mount in container.get("volumeMounts", []):
                path, volume = mount["mountPath"], volumes.get(mount["name"])
                if mount["name"] in claims or (volume and "persistentVolumeClaim" in volume):
                    claim = volume["persistentVolumeClaim"]["claimName"] if volume and \
                        "persistentVolumeClaim" in volume else f"{mount['name']}-{pod_name}"
                    docker_volume = f"{PREFIX}{claim}"
                    owned.append((docker_volume, f"0:{pod_context.get('fsGroup', 0)}", "2775"))
                    # A claim starts empty: no copy of the image's folder (nor its owner).
                    args += ["--mount", f"type=volume,source={docker_volume},target={path},"
                                        "volume-nocopy=true"]
                elif volume and "emptyDir" in volume:
                    # An emptyDir is world-writable; Docker drops a tmpfs's mode where the image
                    # declares a VOLUME (/var/lib/dia3), so the pod's user owns it instead.
                    owner = f",uid={uid},gid={gid if gid is not None else uid}" \
                        if uid is not None else ""
                    args += ["--tmpfs", f"{path}:mode=1777{owner}"]
                elif volume and "secret" in volume:
                    folder = self.secret_volume(pod_name, volume)
                    args += ["-v", f"{folder}:{path}:ro"]
                else:
                    raise ValueError(f"{pod_name}: unsupported volume {mount['name']}")
            env = self.environment(pod_name, pod, container)
            args += [a for key, value in env.items() for a in ("-e", f"{key}={value}")]
            command, rest = container.get("command"), container.get("args")
            for word in (command or []) + (rest or []):
                if "$(" in word:
                    raise ValueError(f"{pod_name}: $(VAR) expansion is not emulated: {word}")
            if command:
                args += ["--entrypoint", command[0], container["image"], *command[1:],
                         *(rest or [])]
            else:
                args += [container["image"], *(rest or [])]
            ports = {p.get("name", str(p["containerPort"])): p["containerPort"]
                     for p in container.get("ports", [])}
            found.append(Container(pod_name, container["name"], kind, container["image"], args,
                                   ports, container, user, owned))
        return found

    # ---- running -----------------------------------------------------------------------------
    def start(self) -> list[Container]:
        """Create the network and volumes and start every container (the plan, if not made)."""
        remove()
        if not self.containers:
            self.plan()
        docker("network", "create", "--label", f"{LABEL}=1", NETWORK)
        for container in self.containers:
            for volume, owner, mode in container.volumes:
                # What the kubelet does for fsGroup: the volume's group and setgid bit.
                docker("volume", "create", "--label", f"{LABEL}=1", volume)
                docker("run", "--rm", "--user", "0", "--entrypoint", "sh",
                       "-v", f"{volume}:/volume", container.image, "-c",
                       f"chown {owner} /volume && chmod {mode} /volume")
            docker("run", "-d", *container.run_args)
        return self.containers

    def address(self, container: Container) -> str:
        """The container's address on the network (what the kubelet probes)."""
        info = json.loads(docker("inspect", container.docker_name).stdout)[0]
        return info["NetworkSettings"]["Networks"][NETWORK]["IPAddress"]

    def probe(self, container: Container, which: str) -> tuple[bool, str]:
        """Run ``which`` (livenessProbe, readinessProbe, startupProbe) once as declared."""
        spec = container.spec[which]
        timeout = spec.get("timeoutSeconds", 1)
        if "exec" in spec:
            done = docker("exec", *(["--user", container.user] if container.user else []),
                          container.docker_name, *spec["exec"]["command"], check=False,
                          timeout=timeout + 30)
            return done.returncode == 0, (done.stdout + done.stderr)[-500:]
        kind = "httpGet" if "httpGet" in spec else "tcpSocket"
        port = spec[kind]["port"]
        port = container.ports[port] if isinstance(port, str) else int(port)
        host = self.address(container)
        if kind == "tcpSocket":
            try:
                socket.create_connection((host, port), timeout=timeout).close()
                return True, "connected"
            except OSError as error:
                return False, str(error)
        scheme = spec["httpGet"].get("scheme", "HTTP").lower()
        url = f"{scheme}://{host}:{port}{spec['httpGet'].get('path', '/')}"
        context = None
        if scheme == "https":  # the kubelet does not verify a probe's certificate
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        try:
            with urllib.request.urlopen(url, timeout=timeout, context=context) as response:
                return 200 <= response.status < 400, f"{url}: {response.status}"
        except urllib.error.HTTPError as error:
            return 200 <= error.code < 400, f"{url}: {error.code}"
        except (OSError, urllib.error.URLError) as error:
            return False, f"{url}: {error}"

    def logs(self, container: Container, tail: int = 40) -> str:
        done = docker("logs", "--tail", str(tail), container.docker_name, check=False)
        return (done.stdout + done.stderr)[-4000:]

    def state(self, container: Container) -> dict:
        return json.loads(docker("inspect", container.docker_name).stdout)[0]["State"]


def remove() -> None:
    """Remove every container, volume and network this module made (by its label)."""
    containers = docker("ps", "-aq", "--filter", f"label={LABEL}", check=False).stdout.split()
    if containers:
        docker("rm", "-f", "-v", *containers, check=False, timeout=300)
    volumes = docker("volume", "ls", "-q", "--filter", f"label={LABEL}", check=False).stdout
    if volumes.split():
        docker("volume", "rm", "-f", *volumes.split(), check=False)
    docker("network", "rm", NETWORK, check=False)
    for folder in Path(tempfile.gettempdir()).glob("dia3-chart-pods-*"):
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--remove", action="store_true",
                        help="remove the containers, volumes and network this made")
    args = parser.parse_args(argv)
    if args.remove:
        remove()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
