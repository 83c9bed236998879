"""``dia3 up`` on the embedded Redis: everything starts, stops cleanly, and finished jobs
and results are still there after a restart."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from app.client import DIA3Client
from tests.conftest import ROOT, free_port, wait_for


def start_up(data_dir: Path, port: int, log: Path, **extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIA3_")}
    env.update({"DIA3_DATA_DIR": str(data_dir), "DIA3_API_PORT": str(port),
                "DIA3_WORKER_METRICS_PORT": "0", "DIA3_LOG_FORMAT": "text", **extra})
    return subprocess.Popen([sys.executable, "-m", "app.cli", "up"], env=env, cwd=ROOT,
                            stdout=open(log, "a"), stderr=subprocess.STDOUT)


def ready_client(proc, data_dir: Path, port: int, log: Path) -> DIA3Client:
    key_file = data_dir / "local-api-key"

    def ready():
        if proc.poll() is not None:
            raise AssertionError(log.read_text()[-3000:])
        if not key_file.exists():
            return None
        client = DIA3Client(f"http://127.0.0.1:{port}", key_file.read_text().strip(), 30)
        try:
            return client if client.request("GET", "/readyz")["status"] == "ready" else None
        except Exception:
            return None
    return wait_for(ready, timeout=120, interval=0.2, what="dia3 up to be ready")


def stop_up(proc: subprocess.Popen) -> list[int]:
    family = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=90)
    try:  # killed children take a moment to be gone
        wait_for(lambda: not [pid for pid in family if _alive(pid)], timeout=10)
    except AssertionError:
        pass
    return [pid for pid in family if _alive(pid)]


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.timeout(400)
def test_dia3_up_restart_keeps_finished_jobs_and_results(tmp_path):
    data_dir, port, log = tmp_path / "d", free_port(), tmp_path / "up.log"
    proc = start_up(data_dir, port, log)
    try:
        client = ready_client(proc, data_dir, port, log)
        job = client.submit("sentiment", {"texts": ["What a great day", "Awful service"]})
        done = client.wait(job["id"], timeout=60, interval=0.1)
        assert done["state"] == "succeeded"
        result = client.result(job["id"])
        assert (data_dir / "redis" / "redis.sock").exists()
        cli_commands_work(data_dir, port)
    finally:
        leftovers = stop_up(proc)
    assert proc.returncode == 0
    assert leftovers == [], f"orphan processes after Ctrl-C: {leftovers}"
    assert not (data_dir / "redis" / "redis.sock").exists() or not _answers(data_dir)

    proc = start_up(data_dir, port, log)
    try:
        client = ready_client(proc, data_dir, port, log)
        assert client.job(job["id"])["state"] == "succeeded"
        assert client.result(job["id"]) == result
        assert job["id"] in [j["id"] for j in client.jobs()["items"]]
    finally:
        assert stop_up(proc) == []


def _answers(data_dir: Path) -> bool:
    import redis
    try:
        return redis.Redis(unix_socket_path=str(data_dir / "redis" / "redis.sock"),
                           socket_timeout=1).ping()
    except (redis.ConnectionError, OSError):
        return False


def dia3(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DIA3_")}
    full_env.update({"DIA3_DATA_DIR": str(data_dir), "DIA3_LOG_LEVEL": "WARNING", **env})
    return subprocess.run([sys.executable, "-m", "app.cli", *args], env=full_env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def cli_commands_work(data_dir: Path, port: int) -> None:
    """The CLI against the running stack: submit with --wait, list, keys."""
    api = f"http://127.0.0.1:{port}"
    done = dia3(data_dir, "submit", "sentiment", "--text", "I love it", "--text", "Awful",
                "--wait", DIA3_API_URL=api)
    assert done.returncode == 0, done.stderr
    assert "succeeded" in done.stdout and "positive" in done.stdout
    listed = dia3(data_dir, "jobs", "list", "--workflow", "sentiment", DIA3_API_URL=api)
    assert listed.returncode == 0 and listed.stdout.count("succeeded") == 2
    bad = dia3(data_dir, "submit", "sentiment", "--params-file", "/dev/null",
               DIA3_API_URL=api)
    assert bad.returncode != 0
    created = dia3(data_dir, "keys", "create", "--role", "viewer", "--tenant", "acme")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("dia3_")
    as_viewer = dia3(data_dir, "submit", "smoke", DIA3_API_URL=api, DIA3_API_KEY=key)
    assert as_viewer.returncode != 0 and "403" in as_viewer.stderr + as_viewer.stdout
    key_id = key.split("_")[1]
    assert dia3(data_dir, "keys", "revoke", key_id).returncode == 0
    refused = dia3(data_dir, "jobs", "list", DIA3_API_URL=api, DIA3_API_KEY=key)
    assert refused.returncode != 0 and "401" in refused.stderr + refused.stdout


@pytest.mark.timeout(300)
def test_demo_runs_the_main_job_end_to_end(tmp_path):
    run = dia3(tmp_path / "demo", "demo", DIA3_API_PORT=str(free_port()))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "succeeded" in run.stdout and "Sentiment of 600 texts" in run.stdout
    assert "Trend per day" in run.stdout and "stopped DIA3" in run.stdout
