"""``dia3 up`` on the embedded Redis: everything starts (the embedded Chroma and LLM servers
too), stops cleanly, and finished jobs and results are still there after a restart."""

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import requests

from app.client import DIA3Client
from app.runtime.ports import port_free
from tests.conftest import ROOT, free_port, wait_for


def start_up(data_dir: Path, port: int, log: Path, terminal: bool = False,
             **extra_env: str) -> subprocess.Popen:
    """``dia3 up`` on an embedded Redis; ``terminal``: leading its own process group, as a
    shell runs a command in the foreground (so a Ctrl-C reaches the whole group)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIA3_")}
    env.update({"DIA3_DATA_DIR": str(data_dir), "DIA3_API_PORT": str(port),
                "DIA3_WORKER_METRICS_PORT": "0", "DIA3_LOG_FORMAT": "text", **extra_env})
    return subprocess.Popen([sys.executable, "-m", "app.cli", "up"], env=env, cwd=ROOT,
                            stdout=open(log, "a"), stderr=subprocess.STDOUT,
                            start_new_session=terminal)


def ready_client(proc, data_dir: Path, port: int, log: Path) -> DIA3Client:
    key_file = data_dir / "local-api-key"

    def ready():
        if proc.poll() is not None:
            raise AssertionError(log.read_text()[-3000:])
        # ready for client commands in other shells: the key and the API's URL are published
        if not key_file.exists() or not (data_dir / "local-api-url").exists():
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
        done = client.wait(job["id"], timeout=60)
        assert done["state"] == "succeeded"
        result = client.result(job["id"])
        assert (data_dir / "redis" / "redis.sock").exists()
        cli_commands_work(data_dir, port)
    finally:
        leftovers = stop_up(proc)
    assert proc.returncode == 0
    assert leftovers == [], f"orphan processes after Ctrl-C: {leftovers}"
    assert not (data_dir / "local-api-url").exists()  # no stale URL for client commands
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
    # another shell with only the data dir: the API (on a port of its own) and key are found
    found = dia3(data_dir, "jobs", "list", "--workflow", "sentiment")
    assert found.returncode == 0, found.stderr
    assert found.stdout == listed.stdout
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


def wait_up(proc: subprocess.Popen, log: Path) -> str:
    """The summary ``dia3 up`` prints once everything answers."""
    def printed() -> str | None:
        if proc.poll() is not None:
            raise AssertionError(log.read_text()[-3000:])
        text = log.read_text()
        return text if "(Ctrl-C to stop)" in text else None
    return wait_for(printed, timeout=180, interval=0.2, what="dia3 up to print its summary")


STOP_ORDER = ["stopping mcp", "stopping landing", "stopping ui", "stopping flower",
              "stopping api", "stopping beat", "stopping worker", "stopping LLM",
              "stopping Chroma",
              "stopping Redis", "DIA3 stopped."]
# What the log shows when Redis or Chroma goes before the components that use them.
LOST_SERVER = ("Connection to broker lost", "Cannot connect to", "Retry limit exceeded",
               "Error 2 connecting", "Failed to capture events", "CRITICAL")


@pytest.mark.timeout(400)
@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_dia3_up_stops_in_the_reverse_order_of_its_start(tmp_path, how):
    data_dir, port, log = tmp_path / "d", free_port(), tmp_path / "up.log"
    with socket.socket() as taken:  # something else holds the worker metrics port
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        proc = start_up(data_dir, port, log, terminal=True,
                        DIA3_WORKER_METRICS_PORT=str(busy))
        try:
            ready_client(proc, data_dir, port, log)
            summary = wait_up(proc, log)
            moved = re.search(rf"worker +http://127.0.0.1:(\d+)/metrics \({busy} was in use\)",
                              summary)
            assert moved, summary
            assert requests.get(f"http://127.0.0.1:{moved.group(1)}/metrics", timeout=5).ok
            family = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
            if how == "ctrl-c":  # the terminal sends it to its foreground process group
                os.killpg(proc.pid, signal.SIGINT)
            else:
                proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    out = log.read_text()
    assert proc.returncode == 0, out[-3000:]
    positions = [out.find(line) for line in STOP_ORDER]
    assert -1 not in positions and positions == sorted(positions), out[-3000:]
    stopping = out[out.index("stopping DIA3"):]
    assert not [noise for noise in LOST_SERVER if noise in stopping], stopping
    wait_for(lambda: not [pid for pid in family if _alive(pid)], timeout=15,
             what="every child of dia3 up to be gone")


@pytest.mark.timeout(300)
def test_nothing_outlives_a_killed_dia3_up(tmp_path):
    data_dir, port, log = tmp_path / "d", free_port(), tmp_path / "up.log"
    metrics = free_port()
    proc = start_up(data_dir, port, log, terminal=True, DIA3_WORKER_METRICS_PORT=str(metrics))
    try:
        ready_client(proc, data_dir, port, log)
        wait_up(proc, log)
        family = {p.pid: " ".join(p.cmdline())[:120]
                  for p in psutil.Process(proc.pid).children(recursive=True)}
        commands = "\n".join(family.values())
        assert "redis-server" in commands and "chroma" in commands
        assert "app.runtime.llm_server" in commands  # the embedded model's server
        worker = next(pid for pid, cmd in family.items() if "-m workers" in cmd)
        assert psutil.Process(worker).children(), "the worker has pool processes"
        proc.kill()  # SIGKILL: no chance to stop anything itself
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)

    def left() -> dict[int, str]:
        return {pid: cmd for pid, cmd in family.items() if _alive(pid)}
    try:
        wait_for(lambda: not left(), timeout=30, what="every process of dia3 up to die")
    finally:
        for pid in left():
            os.kill(pid, signal.SIGKILL)
    # a process started after the snapshot above (a replaced pool process) would hold it
    wait_for(lambda: port_free("0.0.0.0", metrics), timeout=30,
             what="the worker metrics port to be free")


def test_a_one_off_command_leaves_no_server_behind(tmp_path):
    data_dir = tmp_path / "d"
    created = dia3(data_dir, "keys", "create", "--role", "viewer", "--tenant", "acme")
    assert created.returncode == 0, created.stderr
    assert not _answers(data_dir)  # the Redis it started went with it
    listed = dia3(data_dir, "keys", "list")
    assert listed.returncode == 0 and created.stdout.split("_")[1] in listed.stdout
    assert not _answers(data_dir)
