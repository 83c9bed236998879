"""The OpenAPI links lead somewhere: for every link of the spec, a real response of its source
operation gives parameters with which its target operation finds what it names (an answer
other than 404, and one the target documents). Real Redis and Chroma; with or without a
worker (a job may have finished by the time a link is followed)."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.integration.kb_helpers import COLLECTIONS, text_doc

JOBS = "/api/v1/jobs"
SMOKE = {"workflow": "smoke", "params": {}}
# Still active a moment after it was submitted, even with a worker: it can be cancelled.
STALLING = {"workflow": "smoke", "params": {"stall_seconds": 1}}
DOCUMENT = "Employees get thirty vacation days per year."
# A request body for targets that need one (the others take only path parameters).
TARGET_BODIES = {"postDocuments": {"documents": [text_doc("Another document.")]},
                 "postSearch": {"query": "vacation days"},
                 "patchScheduleById": {"name": "renamed"},
                 "patchWebhookById": {"description": "renamed"}}
SCHEDULES = "/api/v1/schedules"
SCHEDULE = {"workflow": "smoke", "params": {}, "interval_seconds": 3600}
KEY = {"role": "viewer", "tenant": "links"}
WEBHOOKS = "/api/v1/webhooks"
WEBHOOK = {"url": "http://127.0.0.1:9/links", "events": ["job.succeeded"]}


@pytest.fixture(scope="module")
def spec(flask_app) -> dict:
    return flask_app.test_client().get("/api/v1/openapi.json").get_json()


@pytest.fixture
def admin(make_client):
    return make_client("admin")


def operations(spec: dict) -> dict[str, tuple[str, str]]:
    """operationId → (method, path template)."""
    return {op["operationId"]: (method.upper(), path) for path, item in spec["paths"].items()
            for method, op in item.items() if method != "parameters"}


def declared_links(spec: dict) -> dict[tuple[str, str], dict]:
    """(source operationId, status) → that response's links."""
    return {(op["operationId"], status): response["links"]
            for item in spec["paths"].values() for method, op in item.items()
            if method != "parameters" for status, response in op["responses"].items()
            if response.get("links")}


def resolve(expression: str, request_path: dict[str, str], body) -> str:
    """A runtime expression of the two kinds the spec uses: ``$response.body#/a/0/b`` and
    ``$request.path.name``."""
    if expression.startswith("$request.path."):
        return request_path[expression.removeprefix("$request.path.")]
    pointer = expression.removeprefix("$response.body#")
    for part in filter(None, pointer.split("/")):
        body = body[int(part)] if isinstance(body, list) else body[part]
    return str(body)


def call(client, method: str, template: str, path: dict[str, str], body=None):
    url = re.sub(r"{(\w+)}", lambda m: path[m.group(1)], template)
    return client.client.open(url, method=method, json=body,
                              headers={"X-API-Key": client.key})


class Sources:
    """A real call of each operation whose responses link elsewhere, each on a job,
    collection, document or key of its own (a link may delete what it names)."""

    def __init__(self, client) -> None:
        from app.extensions import key_store
        self.client = client
        self.tenant = key_store().lookup(client.key).tenant

    def job(self, cancelled: bool = False, active: bool = False) -> str:
        response = self.client.post(JOBS, json=STALLING if cancelled or active else SMOKE)
        assert response.status_code == 202, response.get_json()
        job_id = response.get_json()["id"]
        if cancelled:
            assert self.client.post(f"{JOBS}/{job_id}/cancel").status_code == 200
        return job_id

    def schedule(self) -> str:
        response = self.client.post(SCHEDULES, json=SCHEDULE)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    def webhook(self, delivered: bool = False) -> str:
        """A webhook; ``delivered``: with a delivery (due in an hour, so no worker makes it)."""
        import time

        from app.extensions import webhook_store
        from app.webhooks.dispatch import delivery_of
        response = self.client.post(WEBHOOKS, json=WEBHOOK)
        assert response.status_code == 201, response.get_json()
        webhook_id = response.get_json()["id"]
        if delivered:
            store, later = webhook_store(), time.time() + 3600
            event = {"type": "job.succeeded", "job_id": "j", "workflow": "smoke",
                     "state": "succeeded", "at": repr(later)}
            store.add_delivery(delivery_of(store.get(webhook_id), "1-0", event, later), later)
        return webhook_id

    def collection(self) -> str:
        """A collection with one document, ``leave`` (added as a worker would)."""
        from app.workflows.knowledge import service as knowledge
        from workers.knowledge.engine.ingest import ingest_text
        name = f"links-{uuid.uuid4().hex[:8]}"
        assert self.client.post(COLLECTIONS, json={"name": name, "embedder": "hashing"}
                                ).status_code == 201
        ingest_text(knowledge.open_collection(self.tenant, name), DOCUMENT,
                    document_id="leave")
        return name

    def request(self, source: str) -> tuple[str, str, dict[str, str], dict | None]:
        """(method, path template, path parameters, body) of a call of ``source``."""
        fresh = f"links-{uuid.uuid4().hex[:8]}"
        made = {
            "postJobs": lambda: ("POST", JOBS, {}, SMOKE),
            "getJobs": lambda: ("GET", JOBS, {"job_id": self.job()}, None),
            "getJobById": lambda: ("GET", JOBS + "/{job_id}", {"job_id": self.job()}, None),
            "postJobCancel": lambda: ("POST", JOBS + "/{job_id}/cancel",
                                      {"job_id": self.job(active=True)}, None),
            "postJobRetry": lambda: ("POST", JOBS + "/{job_id}/retry",
                                     {"job_id": self.job(cancelled=True)}, None),
            "postCollections": lambda: ("POST", COLLECTIONS, {},
                                        {"name": fresh, "embedder": "hashing"}),
            "getCollections": lambda: ("GET", COLLECTIONS, {"name": self.collection()}, None),
            "getCollectionByName": lambda: ("GET", COLLECTIONS + "/{name}",
                                            {"name": self.collection()}, None),
            "getDocuments": lambda: ("GET", COLLECTIONS + "/{name}/documents",
                                     {"name": self.collection()}, None),
            "postDocuments": lambda: ("POST", COLLECTIONS + "/{name}/documents",
                                      {"name": self.collection()},
                                      {"documents": [text_doc("A third document.")]}),
            "getDocumentById": lambda: ("GET", COLLECTIONS + "/{name}/documents/{document_id}",
                                        {"name": self.collection(), "document_id": "leave"},
                                        None),
            "postSearch": lambda: ("POST", COLLECTIONS + "/{name}/search",
                                   {"name": self.collection()}, {"query": "vacation days"}),
            "postKeys": lambda: ("POST", "/api/v1/keys", {}, KEY),
            "postSchedules": lambda: ("POST", SCHEDULES, {}, SCHEDULE),
            "getSchedules": lambda: ("GET", SCHEDULES, {"schedule_id": self.schedule()}, None),
            "getScheduleById": lambda: ("GET", SCHEDULES + "/{schedule_id}",
                                        {"schedule_id": self.schedule()}, None),
            "patchScheduleById": lambda: ("PATCH", SCHEDULES + "/{schedule_id}",
                                          {"schedule_id": self.schedule()}, {"name": "x"}),
            "postScheduleRun": lambda: ("POST", SCHEDULES + "/{schedule_id}/run",
                                        {"schedule_id": self.schedule()}, None),
            "postWebhooks": lambda: ("POST", WEBHOOKS, {}, WEBHOOK),
            "getWebhooks": lambda: ("GET", WEBHOOKS, {"webhook_id": self.webhook()}, None),
            "getWebhookById": lambda: ("GET", WEBHOOKS + "/{webhook_id}",
                                       {"webhook_id": self.webhook()}, None),
            "patchWebhookById": lambda: ("PATCH", WEBHOOKS + "/{webhook_id}",
                                         {"webhook_id": self.webhook()}, {"description": "x"}),
            "postWebhookSecretRotation": lambda: ("POST", WEBHOOKS + "/{webhook_id}/rotate-secret",
                                                  {"webhook_id": self.webhook()}, None),
            "getWebhookDeliveries": lambda: ("GET", WEBHOOKS + "/{webhook_id}/deliveries",
                                             {"webhook_id": self.webhook(delivered=True)}, None),
            "postKeyRotation": lambda: ("POST", "/api/v1/keys/{key_id}/rotate", {
                "key_id": self.client.post("/api/v1/keys", json=KEY).get_json()["key_id"]},
                None),
        }
        return made[source]()


def test_every_create_operation_links_to_the_operations_taking_its_ids(spec):
    links = declared_links(spec)
    targets = {source: {link["operationId"] for link in found.values()}
               for (source, _), found in links.items()}
    assert targets["postJobs"] == targets["postDocuments"] == {
        "getJobById", "getJobEvents", "getJobResult", "postJobCancel", "postJobRetry",
        "deleteJobById"}
    assert targets["postCollections"] == {"getCollectionByName", "getDocuments",
                                          "postDocuments", "postSearch",
                                          "deleteCollectionByName"}
    assert targets["postKeys"] == {"postKeyRotation", "deleteKeyById", "getTenantExport",
                                   "postTenantErasureRequest", "deleteTenant"}
    assert targets["getDocuments"] == {"getDocumentById", "deleteDocumentById"}
    assert targets["postSchedules"] == {"getScheduleById", "patchScheduleById",
                                        "postScheduleRun", "deleteScheduleById"}
    assert targets["postScheduleRun"] == targets["postJobs"]
    assert targets["postWebhooks"] == {"getWebhookById", "patchWebhookById",
                                       "deleteWebhookById", "postWebhookSecretRotation",
                                       "getWebhookDeliveries"}
    assert targets["getWebhookDeliveries"] == {"postWebhookRedelivery"}
    taking_ids = {op for op, (_, path) in operations(spec).items() if "{" in path}
    assert set().union(*targets.values()) == taking_ids
    assert len(set(operations(spec))) == sum(
        len([m for m in item if m != "parameters"]) for item in spec["paths"].values())


def test_following_each_link_finds_what_it_names(spec, admin):
    index, links, sources = operations(spec), declared_links(spec), Sources(admin)
    followed = 0
    for (source, status), found in sorted(links.items()):
        # each link from a response of its own, since a link may delete what it names
        for link in found.values():
            method, template, path, body = sources.request(source)
            if status == "200" and source in ("postJobs", "postDocuments"):
                body = {**body, "idempotency_key": uuid.uuid4().hex}  # 200: sent again
                call(admin, method, template, path, body)
            response = call(admin, method, template, path, body)
            assert str(response.status_code) == status, (source, response.get_json())
            target = link["operationId"]
            params = {param: resolve(expression, path, response.get_json())
                      for param, expression in link["parameters"].items()}
            t_method, t_template = index[target]
            answer = call(admin, t_method, t_template, params, TARGET_BODIES.get(target))
            documented = spec["paths"][t_template][t_method.lower()]["responses"]
            assert answer.status_code != 404, (source, target, params, answer.get_json())
            assert str(answer.status_code) in documented, (source, target, answer.status_code)
            followed += 1
    assert followed == sum(len(found) for found in links.values()) >= 60
