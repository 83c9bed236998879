"""TLS inside the stack: Redis speaks only TLS and only to clients with a certificate of the
stack's internal CA; the API serves only HTTPS, with a certificate for the name ``api`` that
nginx and Prometheus verify; a job still runs end to end over both hops."""

from __future__ import annotations

import json

import pytest

from tests.conftest import wait_for
from tests.stack.jobs import assert_each_text_once, run, texts

pytestmark = pytest.mark.stack

CA = "/run/secrets/internal_ca"

# Run inside a DIA3 container (its Python and redis-py), printing one JSON answer per attempt.
REDIS_ATTEMPTS = f"""
import json, redis
def attempt(**options):
    try:
        return str(redis.Redis(host="redis", port=6379, socket_timeout=5,
                               socket_connect_timeout=5, **options).ping())
    except Exception as exc:
        return type(exc).__name__
print(json.dumps({{
    "plain": attempt(),
    "tls_without_certificate": attempt(ssl=True, ssl_ca_certs="{CA}"),
    "tls_with_certificate": attempt(ssl=True, ssl_ca_certs="{CA}",
                                    ssl_certfile="/run/secrets/redis_client_cert",
                                    ssl_keyfile="/run/secrets/redis_client_key"),
    "tls_other_ca": attempt(ssl=True),
}}))
"""

API_ATTEMPTS = f"""
import json, ssl, urllib.request
def attempt(url, context=None):
    try:
        with urllib.request.urlopen(url, timeout=5, context=context) as response:
            return response.status
    except Exception as exc:
        return type(exc).__name__
print(json.dumps({{
    "http": attempt("http://api:8003/healthz"),
    "https_verified": attempt("https://api:8003/healthz",
                              ssl.create_default_context(cafile="{CA}")),
    "https_system_cas": attempt("https://api:8003/healthz", ssl.create_default_context()),
}}))
"""


def in_container(stack, service: str, code: str) -> dict:
    return json.loads(stack.exec(service, "python", "-c", code).stdout)


def test_redis_refuses_plain_text_and_clients_without_a_certificate(stack):
    answers = in_container(stack, "worker-analytics", REDIS_ATTEMPTS)
    assert answers["tls_with_certificate"] == "True", answers  # the components' way in
    assert answers["plain"] != "True", answers
    assert answers["tls_without_certificate"] != "True", answers
    assert answers["tls_other_ca"] != "True", answers  # its certificate is the internal CA's


def test_the_api_serves_only_https_with_a_certificate_of_the_internal_ca(stack):
    answers = in_container(stack, "landing", API_ATTEMPTS)
    assert answers["https_verified"] == 200, answers
    assert answers["http"] != 200, answers
    assert answers["https_system_cas"] != 200, answers


def test_prometheus_scrapes_every_api_instance_over_verified_https(stack):
    def api_targets() -> list[dict]:
        targets = stack.prometheus("/api/v1/targets", state="active")["activeTargets"]
        return [t for t in targets if t["labels"]["job"] == "dia3-api"]

    def both_up() -> bool:
        api = api_targets()
        return len(api) == 2 and all(t["health"] == "up" for t in api)
    wait_for(both_up, 90, interval=2, what="both API instances scraped")
    assert all(t["scrapeUrl"].startswith("https://") for t in api_targets())


def test_a_job_runs_end_to_end_over_both_tls_hops(stack, analyst):
    _, result = run(analyst, "sentiment", {"texts": texts(12, "tls")})  # must succeed
    assert_each_text_once(result, 12)
