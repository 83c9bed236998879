"""Webhook deliveries end to end: the session's real worker (its dispatcher reading the tenant
event streams, its ``webhooks`` queue making the attempts) and a real HTTP receiver in this
process. A finished job's event arrives signed per Standard Webhooks (checked with an
independent HMAC implementation: the ``standardwebhooks`` package is not installed); a
receiver that answers 503 at first gets the event later, each attempt with the same
``webhook-id``; a job's events arrive in their order; a delivery can be made again."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.jobs import events
from tests.conftest import ApiClient, wait_for

pytestmark = pytest.mark.integration


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def event(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """An HTTP server that records every POST and answers 503 to the first ``down`` ones."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.down = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    status = 503 if receiver.down > 0 else 200
                    receiver.down -= 1
                    receiver.received.append(Received(
                        {k.lower(): v for k, v in self.headers.items()}, body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/dia3"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def of_job(self, job_id: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.event["data"]["job_id"] == job_id]


@pytest.fixture
def receiver():
    server = Receiver()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def verified(secret: str, request: Received) -> bool:
    """A receiver's check of the signature header (any of its ``v1,`` signatures)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = (f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}."
              .encode() + request.body)
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(sent, expected)
               for sent in request.headers["webhook-signature"].split(" "))


def create(client: ApiClient, url: str, kinds: list[str]) -> dict:
    response = client.post("/api/v1/webhooks", json={"url": url, "events": kinds})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def deliveries(client: ApiClient, webhook_id: str) -> list[dict]:
    response = client.get(f"/api/v1/webhooks/{webhook_id}/deliveries")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def delivered(receiver: Receiver, job_id: str, kind: str, count: int = 1):
    """Wait until ``kind`` of the job was accepted (2xx) ``count`` times."""
    def accepted():
        found = [r for r in receiver.of_job(job_id)
                 if r.status == 200 and r.event["type"] == kind]
        return found if len(found) >= count else None
    return wait_for(accepted, timeout=30, interval=0.05, what=f"{kind} of {job_id}")


def test_a_finished_job_is_delivered_signed(analyst, worker, receiver):
    hook = create(analyst, receiver.url, ["job.succeeded", "job.failed"])
    job = analyst.submit("smoke", {"start": 1}).get_json()
    assert analyst.wait(job["id"])["state"] == "succeeded"
    [request] = delivered(receiver, job["id"], "job.succeeded")
    assert verified(hook["secret"], request)
    assert request.headers["webhook-id"].startswith("msg_")
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 60
    assert request.headers["content-type"] == "application/json"
    body = request.event
    assert body["type"] == "job.succeeded" and body["timestamp"].endswith("+00:00")
    assert body["data"]["job_id"] == job["id"] and body["data"]["state"] == "succeeded"
    assert body["data"]["workflow"] == "smoke"
    assert set(body["data"]) <= {"job_id", "workflow", "state", "steps_done", "steps_total",
                                 "step", "schedule_id", "parent_id", "error_type"}
    assert [r.event["type"] for r in receiver.of_job(job["id"])] == ["job.succeeded"]

    def recorded():
        [delivery] = deliveries(analyst, hook["id"])
        return delivery if delivery["state"] == "succeeded" else None
    delivery = wait_for(recorded, timeout=10, what="the delivery's outcome")
    assert (delivery["attempts"], delivery["last_status"]) == (1, 200)
    assert delivery["message_id"] == request.headers["webhook-id"]
    assert delivery["next_attempt_at"] is None
    analyst.delete(f"/api/v1/webhooks/{hook['id']}")


def test_a_receiver_that_was_down_gets_every_event_in_order(analyst, worker, receiver):
    kinds = ["job.queued", "job.running", "job.succeeded"]
    hook = create(analyst, receiver.url, kinds)
    receiver.down = 3  # the first three attempts fail: all at the job's first event
    job = analyst.submit("smoke", {"start": 1}).get_json()
    assert analyst.wait(job["id"])["state"] == "succeeded"
    delivered(receiver, job["id"], "job.succeeded")

    expected = [fields["type"] for _, fields in events.job_events(job["id"])
                if fields["type"] in kinds]
    requests = receiver.of_job(job["id"])
    assert [r.status for r in requests[:3]] == [503, 503, 503]
    first_id = requests[0].headers["webhook-id"]
    assert all(r.headers["webhook-id"] == first_id for r in requests[:4])
    assert requests[3].status == 200 and requests[3].event["type"] == "job.queued"
    assert [r.event["type"] for r in requests if r.status == 200] == expected
    assert all(verified(hook["secret"], r) for r in requests)
    assert len({r.headers["webhook-id"] for r in requests}) == len(expected)
    stamps = [int(r.headers["webhook-timestamp"]) for r in requests]
    assert stamps == sorted(stamps)

    def recorded():
        shown = deliveries(analyst, hook["id"])
        return shown if all(d["state"] == "succeeded" for d in shown) else None
    shown = wait_for(recorded, timeout=10, what="every delivery's outcome")
    by_message = {d["message_id"]: d for d in shown}
    assert (by_message[first_id]["attempts"], by_message[first_id]["last_status"]) == (4, 200)
    assert by_message[first_id]["event_type"] == "job.queued"

    redo = analyst.post(f"/api/v1/webhooks/{hook['id']}/deliveries/"
                        f"{by_message[first_id]['id']}/redeliver")
    assert redo.status_code == 202, redo.get_json()
    again = delivered(receiver, job["id"], "job.queued", count=2)
    assert again[-1].headers["webhook-id"] == first_id and verified(hook["secret"], again[-1])
    analyst.delete(f"/api/v1/webhooks/{hook['id']}")
