"""The containers as they run: DIA3's as user 10001 on a read-only root file system with only
the writable mounts they need and no capabilities, no secret in any container's environment
(secrets are files) and none in the image."""

from __future__ import annotations

import pytest

from tests.stack.stack import IMAGES, SECRETS, run

pytestmark = pytest.mark.stack

DIA3_SERVICES = ("api", "api-2", "worker-agents", "worker-analytics", "worker-ingest", "flower",
                 "ui", "landing", "mcp")
SECRET_FILES = ("dia3_admin_api_key", "dia3_flower_password", "grafana_admin_password")


def test_dia3_containers_are_non_root_and_read_only(stack):
    for service in DIA3_SERVICES:
        info = stack.inspect(service)
        host = info["HostConfig"]
        assert info["Config"]["User"] == "10001:10001", service
        assert host["ReadonlyRootfs"] is True and host["CapDrop"] == ["ALL"], service
        assert list(host["Tmpfs"]) == ["/tmp"], service
        writable = {m["Destination"] for m in info["Mounts"] if m["RW"]}
        assert writable == {"/var/lib/dia3"}, (service, writable)  # the data volume only
        assert stack.exec(service, "id", "-u").stdout.strip() == "10001"
        denied = stack.compose("exec", "-T", service, "touch", "/opt/dia3/x", check=False)
        assert denied.returncode != 0 and "Read-only file system" in denied.stderr, service
        stack.exec(service, "touch", "/var/lib/dia3/.probe", "/tmp/probe")


def test_no_secret_in_any_container_environment(stack):
    secrets = [(SECRETS / name).read_text().strip() for name in SECRET_FILES]
    for service in stack.services():
        env = "\n".join(stack.inspect(service)["Config"]["Env"] or [])
        assert not any(secret in env for secret in secrets), service
        assert "PASSWORD=" not in env and "API_KEY=" not in env, service
    # ... while the component itself has its key, exported from the secret file at start
    assert stack.client().request("GET", "/api/v1/keys")  # the admin key works


@pytest.mark.parametrize("image", IMAGES.values())
def test_the_images_hold_no_build_secret(stack, image):
    layers = run(["docker", "history", "--no-trunc", image]).stdout + \
        run(["docker", "image", "inspect", image]).stdout
    assert stack.admin_key not in layers and stack.flower_password not in layers
    check = "test ! -e /etc/pip.conf && cat /etc/ssl/certs/ca-certificates.crt"
    bundle = run(["docker", "run", "--rm", "--entrypoint", "sh", image, "-c", check])
    with open("/etc/ssl/certs/ca-certificates.crt") as host:
        # the build step saw the host's CA bundle (the proxy's CA); the image keeps its own
        assert bundle.stdout != host.read()
