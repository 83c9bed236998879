"""The chart pointed at an external Redis with Sentinel (values redis.sentinel): every
component gets the Sentinels and the replica count, the passwords stay in the Secret, the
egress reaches the Sentinels' ports, and KEDA's scaler asks the Sentinels too."""

from __future__ import annotations

import pytest
import yaml

from tests.deploy.test_helm import by_kind, chart, render  # noqa: F401 - chart: the fixture

SENTINEL = {
    "keda": {"enabled": True},
    "redis": {"enabled": False, "password": "pr1mary",
              "sentinel": {"addresses": "s1.example:26379,s2.example:26379,s3.example:26380",
                           "masterName": "analysis", "tls": True, "minReplicas": 1,
                           "password": "s3ntinel"}},
}


def test_components_follow_the_sentinels_with_the_passwords_in_the_secret(chart):  # noqa: F811
    objects = render(chart, SENTINEL)
    config = by_kind(objects, "ConfigMap")["dia3"]["data"]
    assert config["DIA3_REDIS_SENTINELS"] == SENTINEL["redis"]["sentinel"]["addresses"]
    assert (config["DIA3_REDIS_MASTER_NAME"], config["DIA3_REDIS_SENTINEL_TLS"],
            config["DIA3_REDIS_MIN_REPLICAS"]) == ("analysis", "true", "1")
    secret = by_kind(objects, "Secret")["dia3"]["stringData"]
    assert secret["DIA3_REDIS_URL"] == ""
    assert secret["DIA3_REDIS_PASSWORD"] == "pr1mary"
    assert secret["DIA3_REDIS_SENTINEL_PASSWORD"] == "s3ntinel"
    for obj in objects:
        if obj["kind"] != "Secret":
            text = yaml.safe_dump(obj)
            assert "pr1mary" not in text and "s3ntinel" not in text, obj["kind"]
    egress = by_kind(objects, "NetworkPolicy")["dia3-backends"]["spec"]["egress"]
    redis_ports = [rule["ports"] for rule in egress if {"protocol": "TCP", "port": 6379}
                   in rule.get("ports", [])][0]
    assert redis_ports == [{"protocol": "TCP", "port": p} for p in (6379, 26379, 26380)]


def test_keda_asks_the_sentinels_for_the_queue_lengths(chart):  # noqa: F811
    objects = render(chart, SENTINEL)
    for trigger in by_kind(objects, "ScaledObject")["dia3-worker-ingest"]["spec"]["triggers"]:
        assert trigger["type"] == "redis-sentinel"
        assert trigger["metadata"]["sentinelMaster"] == "analysis"
        assert trigger["metadata"]["addresses"] == SENTINEL["redis"]["sentinel"]["addresses"]
        assert trigger["metadata"]["enableTLS"] == "true"
    refs = by_kind(objects, "TriggerAuthentication")["dia3-redis-auth"]["spec"]["secretTargetRef"]
    assert {"parameter": "sentinelPassword", "name": "dia3",
            "key": "DIA3_REDIS_SENTINEL_PASSWORD"} in refs


def test_sentinels_with_a_bundled_or_url_redis_are_refused(chart):  # noqa: F811
    for redis in ({"enabled": True}, {"enabled": False, "externalUrl": "redis://r:6379/0"}):
        values = {"redis": {**redis, "sentinel": {"addresses": "s1:26379"}}}
        with pytest.raises(Exception, match="redis.sentinel.addresses is for an external Redis"):
            render(chart, values)
    with pytest.raises(Exception):  # noqa: B017 - the schema's own error type
        render(chart, {"redis": {"enabled": False, "sentinel": {"addresses": "no-port"}}})
