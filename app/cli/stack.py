"""``dia3 api``, ``dia3 worker``, ``dia3 up`` and ``dia3 demo``: running DIA3's components on
this machine, alone or as a supervised stack of child processes."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from app.cli import surfaces
from app.cli.output import console, show_outcome, styled, wait_with_progress
from app.runtime import process as runtime
from app.runtime.ports import free_port, port_free
from app.settings import get_settings
from app.workflows.steps import QUEUES

if TYPE_CHECKING:
    from app.cli.processes import Supervisor

METRICS_HOST = "0.0.0.0"  # where a worker serves its metrics (workers/runtime/signals.py)
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
    from app.workflows.knowledge.service import embedder_problem_in_child
    problem = embedder_problem_in_child()
    if problem:  # the API runs; creating a collection with this embedder answers 503
        logging.getLogger("dia3.api").warning("the default embedder cannot be used: %s",
                                              problem)
    runtime.ensure_redis()
    if not without_chroma:
        runtime.ensure_chroma()
    runtime.prepare_metrics("api")
    from app.cli.serve import GunicornServer, tls_options
    settings = get_settings()
    GunicornServer(host or settings.api_host, port or settings.api_port,
                   settings.api_workers, settings.api_threads,
                   tls_options(settings.api_tls_cert_file, settings.api_tls_key_file),
                   streams=settings.events_max_streams).run()


@click.command()
@click.option("-Q", "--queues", default=",".join(QUEUES), show_default=True,
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


@click.command()
def beat() -> None:
    """Run the beat: it makes the jobs of the schedules as they fall due. Run one per
    deployment (a second waits on the first's Redis lock; a tick still makes one job)."""
    runtime.setup_logging()
    runtime.ensure_redis()
    runtime.prepare_metrics("beat")
    from app import metrics
    from app.schedules.beat import run
    settings = get_settings()
    metrics.serve(settings.beat_metrics_port, settings.worker_metrics_host,
                  "DIA3_BEAT_METRICS_PORT")
    run()


@dataclass(frozen=True)
class Stack:
    """What ``start_stack`` started: the API's URL, the local key, and where the worker serves
    its metrics (``metrics_port`` 0: nowhere; ``metrics_note``: why not the configured port)."""

    url: str
    key: str
    metrics_port: int
    metrics_note: str | None = None
    #: where the beat serves its metrics (0: nowhere)
    beat_metrics_port: int = 0


def worker_metrics_port(configured: int) -> tuple[int, str | None]:
    """The configured worker (or beat) metrics port, or a free one (and why) when it is
    taken, so that a second DIA3 on the machine still serves its metrics somewhere known."""
    if configured and not port_free(METRICS_HOST, configured):
        return free_port(METRICS_HOST), f"{configured} was in use"
    return configured, None


def start_stack(supervisor: Supervisor, port: int | None = None, quiet: bool = False,
                concurrency: int | None = None, knowledge: bool = True,
                llm: bool = True) -> Stack:
    """Embedded Redis, Chroma and LLM server (if needed and possible), one worker and the
    API, all under ``supervisor`` (which stops them in the reverse order). ``knowledge=False``
    leaves the knowledge base (Chroma) out, ``llm=False`` the embedded LLM server."""
    from app.client import DIA3Client

    settings = get_settings()
    port = port or settings.api_port
    if not port_free(settings.api_host, port):
        raise click.ClickException(f"the API port {port} on {settings.api_host} is in use; "
                                   "choose another with --port or DIA3_API_PORT")
    for name, server in (("Redis", runtime.ensure_redis()),
                         ("Chroma", runtime.ensure_chroma() if knowledge else None),
                         ("LLM", runtime.ensure_llm_server() if llm else None)):
        if server is not None:
            supervisor.adopt(name, server.stop)
    extra = [] if knowledge else ["--without-chroma"]
    key = runtime.ensure_local_key()
    settings = get_settings()
    metrics_port, metrics_note = worker_metrics_port(settings.worker_metrics_port)
    beat_port = worker_metrics_port(settings.beat_metrics_port)[0]
    env = {"DIA3_REDIS_URL": settings.redis_url, "DIA3_API_PORT": str(port),
           "DIA3_WORKER_METRICS_PORT": str(metrics_port),
           "DIA3_BEAT_METRICS_PORT": str(beat_port)}
    supervisor.start("worker", ["worker", *extra] + (["-c", str(concurrency)] if concurrency
                                                     else []), env=env, quiet=quiet)
    supervisor.start("beat", ["beat"], env=env, quiet=quiet)
    supervisor.start("api", ["api", "--port", str(port), *extra], env=env, quiet=quiet)
    url = f"http://{settings.api_host}:{port}"
    client = DIA3Client(url, key, timeout=5, retries=0)  # this loop tries again itself
    deadline = time.monotonic() + 90
    while True:
        problem = supervisor.failed()
        if problem:
            raise click.ClickException(problem)
        try:
            client.request("GET", "/readyz")
            break
        except Exception:
            if time.monotonic() > deadline:
                raise click.ClickException("DIA3 did not become ready within 90 s")
            time.sleep(0.3)  # waiting for child processes to come up
    return Stack(url, key, metrics_port, metrics_note, beat_port)


def _say(message: str) -> None:
    """Print a line of ``dia3 up``'s own; a terminal that is gone (SIGHUP) stops nothing."""
    try:
        console.print(message)
    except OSError:
        pass


def _llm_link(settings) -> str:
    """Where the ``embedded`` LLM backend is served, or why it is not."""
    if settings.llm_server_url:
        return f"{settings.llm_server_url} (backend embedded)"
    return f"not running: {runtime.llm_server_problem()}"


def _metrics_link(stack: Stack) -> str:
    if not stack.metrics_port:
        return "metrics off (DIA3_WORKER_METRICS_PORT=0)"
    note = f" ({stack.metrics_note})" if stack.metrics_note else ""
    return f"http://127.0.0.1:{stack.metrics_port}/metrics{note}"


@click.command()
@click.option("--port", type=int, default=None, help="API port (DIA3_API_PORT)")
def up(port: int | None) -> None:
    """Run everything on this machine: embedded Redis, Chroma and, with the local-model extra,
    an LLM server (unless DIA3_REDIS_URL, DIA3_CHROMA_URL, DIA3_LLM_SERVER_URL), a worker, the
    API, Flower, the dashboard, the landing page and the MCP server. Ctrl-C (or SIGTERM) stops
    it all, in the reverse order of the start."""
    from app.cli.processes import Supervisor, ignore_stop_signals, stop_on_signals
    runtime.setup_logging()
    supervisor = Supervisor(report=_say)
    stop_on_signals()
    problem = None
    try:
        stack = start_stack(supervisor, port)
        url, key = stack.url, stack.key
        # the API answers from here on: client commands in other shells find it at once, not
        # only once the slower surfaces (Flower, dashboard, MCP) have started
        runtime.publish_local_url(url)
        settings = get_settings()
        from app.redis_client import redis_url
        links = surfaces.start_surfaces(supervisor, {"DIA3_REDIS_URL": settings.redis_url,
                                                     "DIA3_API_PORT": url.rsplit(":", 1)[1]})
        links["worker"] = _metrics_link(stack)
        links["beat"] = (f"http://127.0.0.1:{stack.beat_metrics_port}/metrics (schedules)"
                         if stack.beat_metrics_port else "metrics off (DIA3_BEAT_METRICS_PORT=0)")
        flower_user, flower_password = surfaces.flower_credentials(settings)
        shown = "".join(f"  {name:<11}{link}\n" for name, link in links.items())
        key_shown, password_shown = secrets_shown(key, flower_password, settings)
        console.print(styled(("DIA3 is up", "bold green"), f"\n  API        {url}/api/v1\n"
                      f"  API docs   {url}/api/v1/docs\n  metrics    {url}/metrics\n{shown}"
                      f"  Redis      {redis_url()}\n  Chroma     {settings.chroma_url}\n"
                      f"  LLM        {_llm_link(settings)}\n"
                      f"  data dir   {settings.data_path} (dia3 commands run with this data "
                      "dir find this API and key)\n"
                      f"  API key    {key_shown}\n"
                      f"  Flower     login {flower_user} / {password_shown}\n"
                      "(Ctrl-C to stop)"))
        while not (problem := supervisor.failed()):
            time.sleep(0.5)  # supervising children
        _say(f"{problem}; stopping")
    except KeyboardInterrupt:
        pass
    finally:
        runtime.withdraw_local_url()
        ignore_stop_signals()
        if supervisor.children:
            _say("stopping DIA3 …")
            supervisor.stop()
            _say("DIA3 stopped.")
    if problem:
        sys.exit(1)


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
    console.print(styled(("DIA3 demo", "bold"), ": starting embedded Redis, a worker and the API"
                         " …"))
    from app.cli.processes import Supervisor, ignore_stop_signals, stop_on_signals
    supervisor = Supervisor()
    stop_on_signals()
    try:
        stack = start_stack(supervisor, port, quiet=True, knowledge=False, llm=False)
        url, key = stack.url, stack.key
        from app.client import DIA3Client
        corpus = json.loads((Path(__file__).parents[1] / "data" / "sample_reviews.json")
                            .read_text())
        client = DIA3Client(url, key)
        console.print(f"API at {url}; submitting sentiment analysis of "
                      f"{len(corpus['texts'])} review snippets")
        job = client.submit("sentiment", {"texts": corpus["texts"], "ids": corpus["ids"],
                                          "timestamps": corpus["timestamps"], "bucket": "day"})
        job = wait_with_progress(client, job, timeout=600)
        show_outcome(client, job)
        if job["state"] != "succeeded":
            sys.exit(1)
    finally:
        ignore_stop_signals()
        supervisor.stop()
        console.print("stopped DIA3.")


COMMANDS = (api, worker, beat, up, demo)
