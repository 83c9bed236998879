"""The running container stack as the tests reach it: nginx's HTTPS port with the stack's
self-signed certificate and admin key, the Compose and Docker commands of its project, and
Prometheus's API from inside the stack (it publishes no port). ``./run.sh stack-test`` sets the
environment (COMPOSE_PROJECT_NAME, COMPOSE_FILE, DIA3_HTTPS_PORT) this reads."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlencode

from app.client import DIA3Client
from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_DIR = ROOT / "compose"
SECRETS = COMPOSE_DIR / "secrets"
# DIA3's role images (compose/Dockerfile's targets) as ./run.sh stack-test builds them.
ROLES = ("api", "worker", "ui", "chroma", "llm")
IMAGES = {role: f"dia3-{role}:latest" for role in ROLES}


def run(args: list[str], timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result


class Stack:
    def __init__(self) -> None:
        port = os.environ.get("DIA3_HTTPS_PORT")
        assert port and os.environ.get("COMPOSE_PROJECT_NAME"), \
            "no stack: run these tests with ./run.sh stack-test"
        self.url = f"https://localhost:{port}"
        self.ca = str(SECRETS / "tls.crt")
        self.admin_key = (SECRETS / "dia3_admin_api_key").read_text().strip()
        self.flower_password = (SECRETS / "dia3_flower_password").read_text().strip()

    # ---- through nginx --------------------------------------------------------------------
    def client(self, key: str | None = None, timeout: float = 30.0) -> DIA3Client:
        client = DIA3Client(self.url, key or self.admin_key, timeout=timeout)
        # The stack's own certificate, not a CA bundle named in the environment (requests
        # would prefer REQUESTS_CA_BUNDLE over session.verify).
        client.session.trust_env = False
        client.session.verify = self.ca
        return client

    def new_key(self, role: str = "analyst") -> str:
        """A key of ``role`` in a tenant of its own."""
        body = {"role": role, "tenant": f"stack{uuid.uuid4().hex[:8]}"}
        return self.client().request("POST", "/api/v1/keys", json=body)["key"]

    # ---- Compose and Docker ---------------------------------------------------------------
    def compose(self, *args: str, timeout: float = 300, check: bool = True):
        return run(["docker", "compose", "--project-directory", str(COMPOSE_DIR), *args],
                   timeout=timeout, check=check)

    def container(self, service: str) -> str:
        ids = self.compose("ps", "-q", service).stdout.split()
        assert len(ids) == 1, (service, ids)
        return ids[0]

    def inspect(self, service: str) -> dict:
        return json.loads(run(["docker", "inspect", self.container(service)]).stdout)[0]

    def exec(self, service: str, *command: str, user: str | None = None):
        user_args = ["--user", user] if user else []
        return self.compose("exec", "-T", *user_args, service, *command)

    def services(self) -> list[str]:
        return self.compose("ps", "--services").stdout.split()

    def wait_healthy(self, service: str, timeout: float = 180) -> None:
        def healthy():
            state = self.inspect(service)["State"]
            return state.get("Health", {}).get("Status") == "healthy"
        wait_for(healthy, timeout=timeout, interval=1, what=f"{service} to be healthy")

    # ---- Prometheus, from inside its container --------------------------------------------
    def prometheus(self, path: str, **params: str) -> dict:
        url = f"http://127.0.0.1:9090{path}" + (f"?{urlencode(params)}" if params else "")
        body = json.loads(self.exec("prometheus", "wget", "-qO-", url).stdout)
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expression: str) -> list[dict]:
        return self.prometheus("/api/v1/query", query=expression)["result"]
