"""Prometheus for the Compose stack: the scrape config and alert rules pass promtool, every alert
has promtool unit tests that see it fire and stay quiet, and every component is scraped."""

from __future__ import annotations

import re
import shutil

import yaml

from tests.conftest import ROOT
from tests.deploy.tools import COMPOSE_DIR, run, system_binary

PROM_DIR = COMPOSE_DIR / "prometheus"
RULES = PROM_DIR / "rules" / "dia3-alerts.yml"
RULE_TESTS = PROM_DIR / "tests" / "dia3-alerts.test.yml"
REQUIRED_ALERTS = {
    "DIA3WorkerDown", "DIA3QueueBacklogGrowing", "DIA3JobFailureRatioHigh", "DIA3ApiHigh5xxRatio",
    "DIA3ApiLatencyP95High", "DIA3RedisMemoryNearLimit", "DIA3LlmCostHigh",
    "DIA3LlmRateLimitWaitsHigh", "DIA3JobsLost", "DIA3AuditWritesFailing",
}


def promtool(*args: str):
    return run([system_binary("promtool"), *args], cwd=PROM_DIR)


def alert_names() -> set[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule}


def test_config_and_rules_pass_promtool():
    result = promtool("check", "config", "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_unit_tests_firing_and_quiet():
    assert REQUIRED_ALERTS <= alert_names()
    tests = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    firing, quiet = set(), set()
    for case in tests:
        for check in case.get("alert_rule_test", []):
            (firing if check["exp_alerts"] else quiet).add(check["alertname"])
    assert firing == alert_names()
    assert quiet == alert_names()
    result = promtool("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_has_a_runbook_section():
    runbook = (ROOT / "docs" / "operations.md").read_text()
    sections = set(re.findall(r"^### (DIA3\w+)$", runbook, re.M))
    assert alert_names() <= sections, alert_names() - sections


def test_rule_unit_tests_catch_a_wrong_expectation(tmp_path):
    """The unit tests compare labels and annotations: a wrong threshold in the expectation
    fails, so a passing run means the alerts really behave as written."""
    shutil.copytree(PROM_DIR, tmp_path / "prometheus")
    broken = tmp_path / "prometheus" / "tests" / "dia3-alerts.test.yml"
    text = broken.read_text()
    assert "sentiment jobs fail often (30%)" in text
    broken.write_text(text.replace("sentiment jobs fail often (30%)",
                                   "sentiment jobs fail often (40%)"))
    result = run([system_binary("promtool"), "test", "rules", str(broken)])
    assert result.returncode != 0
    assert "DIA3JobFailureRatioHigh" in result.stdout + result.stderr


def test_every_component_is_scraped_or_probed():
    config = yaml.safe_load((PROM_DIR / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    targets = set()
    for job in jobs.values():
        for sd in job.get("dns_sd_configs", []):
            targets |= {f"{name}:{sd['port']}" for name in sd["names"]}
        for static in job.get("static_configs", []):
            targets |= set(static["targets"])
    assert {"api:8003", "worker-agents:9808", "worker-analytics:9808", "worker-ingest:9808",
            "flower:5555", "redis-exporter:9121", "beat:9810"} <= targets
    assert {"http://ui:8501/dashboard/_stcore/health", "http://landing:8502/healthz",
            "http://mcp:8000/mcp", "http://chroma:8000/api/v2/heartbeat",
            "http://ollama:11434/"} <= targets
    # Flower's metrics sit behind its basic auth; the password comes from a mounted secret.
    assert jobs["dia3-flower"]["basic_auth"]["password_file"].startswith("/run/secrets/")


def test_blackbox_probe_modules_are_valid():
    result = run([system_binary("prometheus-blackbox-exporter"),
                  f"--config.file={PROM_DIR / 'blackbox.yml'}", "--config.check"])
    assert result.returncode == 0, result.stdout + result.stderr
    modules = yaml.safe_load((PROM_DIR / "blackbox.yml").read_text())["modules"]
    assert modules["http_401"]["http"]["valid_status_codes"] == [401]  # MCP without a key
