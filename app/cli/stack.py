"""``dia3 api``, ``dia3 worker``, ``dia3 up`` and ``dia3 demo``: running DIA3's components on
this machine, alone or as a supervised stack of child processes."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from app.cli import surfaces
from app.cli.output import console, err, print_summary, wait_with_progress
from app.runtime import process as runtime
from app.runtime.ports import free_port, port_free
from app.settings import get_settings

if TYPE_CHECKING:
    from app.cli.processes import Supervisor

# Children of `dia3 demo` run without the knowledge base, so the demo need not start Chroma.
without_chroma = click.option("--without-chroma", is_flag=True, hidden=True,
                              help="Do not start the embedded Chroma server")


@click.command()
@click.option("--host", default=None, help="Bind address (DIA3_API_HOST)")
@click.option("--port", type=int, default=None, help="Port (DIA3_API_PORT)")
@without_chroma
def api(host: str | None, port: int | None, without_chroma: bool) -> None:
    """Run the REST API (gunicorn)."""
    runtime.setup_logging()
    runtime.ensure_redis()
    if not without_chroma:
        runtime.ensure_chroma()
    runtime.prepare_metrics("api")
    from app.cli.serve import GunicornServer
    settings = get_settings()
    GunicornServer(host or settings.api_host, port or settings.api_port,
                   settings.api_workers, settings.api_threads).run()


@click.command()
@click.option("-Q", "--queues", default="default,ingest,agents,analytics", show_default=True,
              help="Comma-separated queues to consume")
@click.option("-c", "--concurrency", type=int, default=None,
              help="Prefork processes (DIA3_WORKER_CONCURRENCY)")
@click.option("-n", "--name", default=None, help="Worker name (default dia3-<pid>@<host>)")
@click.option("-P", "--pool", type=click.Choice(["prefork", "threads", "solo"]),
              default="prefork", show_default=True,
              help="prefork for CPU-bound queues; threads for I/O-bound agent queues")
@without_chroma
def worker(queues: str, concurrency: int | None, name: str | None, pool: str,
           without_chroma: bool) -> None:
    """Run a Celery worker for DIA3's queues."""
    # The worker is its own program (``python -m workers``): exec it with the same options,
    # keeping this process id, so that the control plane never imports worker code.
    argv = [sys.executable, "-m", "workers", "-Q", queues, "-P", pool]
    argv += ["-c", str(concurrency)] if concurrency else []
    argv += ["-n", name] if name else []
    argv += ["--without-chroma"] if without_chroma else []
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)


def start_stack(port: int | None = None, quiet: bool = False, concurrency: int | None = None,
                knowledge: bool = True) -> tuple[Supervisor, str, str]:
    """Embedded Redis and Chroma (if needed), one worker and the API as children. Returns
    (supervisor, api url, key). ``knowledge=False`` leaves the knowledge base (Chroma) out."""
    from app.cli.processes import Supervisor
    from app.client import DIA3Client

    runtime.ensure_redis()
    if knowledge:
        runtime.ensure_chroma()
    extra = [] if knowledge else ["--without-chroma"]
    key = runtime.ensure_local_key()
    settings = get_settings()
    port = port or settings.api_port
    supervisor = Supervisor()
    env = {"DIA3_REDIS_URL": settings.redis_url, "DIA3_API_PORT": str(port)}
    supervisor.start("worker", ["worker", *extra] + (["-c", str(concurrency)] if concurrency
                                                     else []), env=env, quiet=quiet)
    supervisor.start("api", ["api", "--port", str(port), *extra], env=env, quiet=quiet)
    url = f"http://{settings.api_host}:{port}"
    client = DIA3Client(url, key, timeout=5)
    deadline = time.monotonic() + 90
    while True:
        problem = supervisor.failed()
        if problem:
            supervisor.stop()
            raise click.ClickException(problem)
        try:
            client.request("GET", "/readyz")
            break
        except Exception:
            if time.monotonic() > deadline:
                supervisor.stop()
                raise click.ClickException("DIA3 did not become ready within 90 s")
            time.sleep(0.3)  # waiting for child processes to come up
    return supervisor, url, key


@click.command()
@click.option("--port", type=int, default=None, help="API port (DIA3_API_PORT)")
def up(port: int | None) -> None:
    """Run everything on this machine: embedded Redis and Chroma (unless DIA3_REDIS_URL,
    DIA3_CHROMA_URL), a worker, the API, Flower, the dashboard, the landing page and the MCP
    server. Ctrl-C stops it all."""
    runtime.setup_logging()
    supervisor, url, key = start_stack(port)
    settings = get_settings()
    try:
        links = surfaces.start_surfaces(supervisor, {"DIA3_REDIS_URL": settings.redis_url,
                                                     "DIA3_API_PORT": url.rsplit(":", 1)[1]})
        flower_user, flower_password = surfaces.flower_credentials(settings)
    except BaseException:
        supervisor.stop()
        raise
    shown = "".join(f"  {name:<11}{link}\n" for name, link in links.items())
    key_shown, password_shown = secrets_shown(key, flower_password, settings)
    console.print(f"[bold green]DIA3 is up[/]\n  API        {url}/api/v1\n"
                  f"  API docs   {url}/api/v1/docs\n  metrics    {url}/metrics\n{shown}"
                  f"  Redis      {settings.redis_url}\n  Chroma     {settings.chroma_url}\n"
                  f"  data dir   {settings.data_path}\n"
                  f"  API key    {key_shown}\n"
                  f"  Flower     login {flower_user} / {password_shown}\n"
                  "(Ctrl-C to stop)")
    stopping = {"now": False}

    def _stop(signum: int, frame: object) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        while not stopping["now"]:
            problem = supervisor.failed()
            if problem:
                err.print(f"[red]{problem}; stopping[/]")
                break
            time.sleep(0.5)  # supervising children
    finally:
        supervisor.stop()
        console.print("DIA3 stopped.")


def secrets_shown(key: str, flower_password: str, settings) -> tuple[str, str]:
    """How ``dia3 up`` shows the local admin key and Flower's password: on a terminal as
    they are; otherwise (output redirected to a log) only where they are kept."""
    if sys.stdout.isatty():
        return key, flower_password
    where_password = ("the password set in DIA3_FLOWER_PASSWORD" if settings.flower_password else
                      f"password in {settings.data_path / surfaces.FLOWER_PASSWORD_FILE}")
    return f"in {runtime.local_key_path()} (mode 0600)", where_password


# ---- demo --------------------------------------------------------------------------------
@click.command()
def demo() -> None:
    """The main job end to end on embedded defaults: start DIA3, run sentiment analysis over
    the bundled sample corpus with progress, print the result, stop everything."""
    os.environ.setdefault("DIA3_LOG_LEVEL", "WARNING")
    runtime.setup_logging()
    settings = get_settings()
    port = settings.api_port if port_free(settings.api_host, settings.api_port) \
        else free_port(settings.api_host)
    console.print("[bold]DIA3 demo[/]: starting embedded Redis, a worker and the API …")
    supervisor, url, key = start_stack(port, quiet=True, knowledge=False)
    try:
        from app.client import DIA3Client
        corpus = json.loads((Path(__file__).parents[1] / "data" / "sample_reviews.json")
                            .read_text())
        client = DIA3Client(url, key)
        console.print(f"API at {url}; submitting sentiment analysis of "
                      f"{len(corpus['texts'])} review snippets")
        job = client.submit("sentiment", {"texts": corpus["texts"], "ids": corpus["ids"],
                                          "timestamps": corpus["timestamps"], "bucket": "day"})
        job = wait_with_progress(client, job, timeout=600)
        print_summary(client, job)
        if job["state"] != "succeeded":
            sys.exit(1)
    finally:
        supervisor.stop()
        console.print("stopped DIA3.")


COMMANDS = (api, worker, up, demo)
