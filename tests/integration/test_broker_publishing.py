"""Sending through the broker: publish blocks and the transport's one client per channel
(real Redis)."""

from __future__ import annotations

import pytest
from kombu import Connection

from app import broker, broker_transport
from app.extensions import celery
from app.redis_client import celery_url, get_redis

QUEUE = "publishing-test"  # no worker consumes it


def test_a_publish_block_inside_another_joins_its_batch_and_survives_its_error():
    app, client = celery(), get_redis()
    client.delete(QUEUE)

    def send() -> None:
        app.send_task("dia3.smoke.add_one", args=(1,), kwargs={"job_id": "j", "step": "first"},
                      queue=QUEUE)
    with broker.publishing(app) as outer:
        with pytest.raises(ValueError), broker.publishing(app) as inner:
            assert inner is outer
            send()
            raise ValueError("this job's own error")
        send()
        assert client.llen(QUEUE) == 0  # buffered until the outer block ends
    assert client.llen(QUEUE) == 2
    client.delete(QUEUE)


def test_a_broker_channel_sends_through_one_client_of_its_current_pool(redis_url):
    broker_transport.install()
    with Connection(celery_url(redis_url)) as connection:
        channel = connection.default_channel
        assert isinstance(channel, broker_transport.Channel)
        with channel.conn_or_acquire() as first, channel.conn_or_acquire() as second:
            assert first is second and first.ping()
        channel._pool = None  # what kombu does after a fork or a lost connection
        with channel.conn_or_acquire() as third:
            assert third is not first and third.connection_pool is channel.pool
            assert third.ping()
