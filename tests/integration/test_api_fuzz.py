"""Property-based fuzzing of every operation of the OpenAPI document (schemathesis, in
process over WSGI, real Redis and Chroma, no workers: submitted jobs stay queued).

Every response must be no 5xx, a documented status code, the documented content type and
headers, and a body matching the documented schema. First each operation on its own (valid
and invalid input), then the stateful phase: sequences of calls that follow the spec's links,
so that operations taking ids get ids that exist (a created job, collection, key, a listed
document). CI-sized by default; for a longer run set the examples per operation:
``DIA3_FUZZ_EXAMPLES=500 pytest tests/integration/test_api_fuzz.py``.

The fuzzer works as an admin of a tenant of its own, which it cleans up afterwards. An admin
reaches every tenant's jobs and every key, so a job or key id in a path that this run did not
create is given a prefix no real id has: cancelling another test's job, or revoking the
session's admin key, would break the tests that come after.
"""

import os
import re
import uuid
from collections import defaultdict

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.engine.errors import is_inconsistent_replay
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = int(os.environ.get("DIA3_FUZZ_EXAMPLES", "30"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
NOT_OURS = "fuzz-"  # real job ids are 32 hex digits, key ids 12 hex digits or "admin"
# A collection of the fuzzer's tenant with one document; "0" is listed first (names sort).
SEEDED = ("0", "handbook")
STEPS = 8  # calls per sequence at most
MAX_SUITES = 20
FUZZ_SETTINGS = {"deadline": None, "derandomize": True, "database": None,
                 "suppress_health_check": list(HealthCheck)}


class Ids:
    """The job, schedule, webhook, delivery and key ids this run created; any other is made
    unknown before it is sent."""

    def __init__(self) -> None:
        self.mine: dict[str, set[str]] = {"job_id": set(), "key_id": set(),
                                          "schedule_id": set(), "webhook_id": set(),
                                          "delivery_id": set()}

    def guard(self, case) -> None:
        params = case.path_parameters or {}
        for name, mine in self.mine.items():
            if name in params and str(params[name]) not in mine:
                params[name] = NOT_OURS + str(params[name])

    def learn(self, case, response) -> None:
        if case.method != "POST" or response.status_code not in (200, 201, 202):
            return
        body = response.json()
        if case.path in ("/api/v1/jobs", "/api/v1/collections/{name}/documents",
                         "/api/v1/schedules/{schedule_id}/run"):
            self.mine["job_id"].add(body["id"])
        elif case.path == "/api/v1/schedules":
            self.mine["schedule_id"].add(body["id"])
        elif case.path == "/api/v1/webhooks":
            self.mine["webhook_id"].add(body["id"])
        elif case.path == "/api/v1/keys":
            self.mine["key_id"].add(body["key_id"])


def reset(principal, ids: Ids) -> None:
    """The state every sequence starts from: a job, a schedule, a webhook with a delivery
    (due in a day: no worker makes it) and a collection with one document for the links from
    lists to lead to (the fuzzer cannot guess a workflow's params,
    and no worker ingests here), and no other collection or key of this run, so that lists
    stay short and a sequence does not depend on the ones before it."""
    from app import service
    from app.extensions import job_store, key_store, schedule_store
    from app.schedules import service as schedules
    from app.workflows.knowledge import service as knowledge
    from workers.knowledge.engine.ingest import ingest_text
    if not job_store().list(principal.tenant, limit=1).items:
        ids.mine["job_id"].add(service.submit(principal, "smoke", {})[0].id)
    if not schedule_store().list(principal.tenant, limit=1).items:
        ids.mine["schedule_id"].add(schedules.create(principal, {
            "workflow": "smoke", "params": {}, "interval_seconds": 86400}).id)
    seed_webhook(principal, ids)
    for key_id in ids.mine["key_id"]:
        key_store().revoke(key_id)
    ids.mine["key_id"].clear()
    name, document = SEEDED
    seeded = None
    for info in knowledge.list_collections(principal.tenant):
        if info.name == name and info.embedder.startswith("hashing"):
            seeded = info
        else:
            knowledge.delete_collection(principal.tenant, info.name)
    if seeded is None:
        knowledge.create_collection(principal.tenant, name, "hashing")
    if seeded is None or seeded.document_count == 0:
        ingest_text(knowledge.open_collection(principal.tenant, name),
                    "Employees get thirty vacation days per year.", document_id=document)


def seed_webhook(principal, ids: Ids) -> None:
    """The tenant's first webhook with a delivery, made unless it has one with deliveries."""
    import time

    from app.extensions import webhook_store
    from app.webhooks import service as webhooks
    from app.webhooks.dispatch import delivery_of
    store = webhook_store()
    for hook in store.list(principal.tenant, limit=1).items:
        delivered = store.deliveries(hook.id, limit=1).items
        if delivered:
            ids.mine["webhook_id"].add(hook.id)
            ids.mine["delivery_id"].add(delivered[0].id)
            return
    hook, _ = webhooks.create(principal, {"url": "http://127.0.0.1:9/fuzz",
                                          "events": ["job.succeeded"]})
    later = time.time() + 86400
    event = {"type": "job.succeeded", "job_id": "fuzz", "workflow": "smoke",
             "state": "succeeded", "at": repr(later)}
    delivery = delivery_of(hook, "1-0", event, later)
    store.add_delivery(delivery, later)
    ids.mine["webhook_id"].add(hook.id)
    ids.mine["delivery_id"].add(delivery.id)


@pytest.fixture(scope="module")
def fuzz_admin(flask_app):
    """(key, principal) of an admin of a fresh tenant; what it made is removed afterwards."""
    from app.extensions import job_store, key_store, schedule_store
    from app.workflows.knowledge import service as knowledge
    tenant = f"fuzz{uuid.uuid4().hex[:8]}"
    keys_before = {k["key_id"] for k in key_store().list()}
    key, principal = key_store().create("admin", tenant, name="fuzzer")
    yield key, principal
    for entry in key_store().list():
        if entry["key_id"] not in keys_before:
            key_store().revoke(entry["key_id"])
    for info in knowledge.list_collections(tenant):
        knowledge.delete_collection(tenant, info.name)
    store = job_store()
    page = store.list(tenant, limit=1000)
    for job in page.items:
        if job.state in ("queued", "running"):
            store.cancel(job.id)
    schedules = schedule_store()
    for schedule in schedules.list(tenant, limit=1000).items:  # none fires after the run
        schedules.delete(schedule)
    from app.extensions import webhook_store
    for hook in webhook_store().of_tenant(tenant):  # none is called after the run
        webhook_store().delete(hook)


@pytest.fixture(scope="module")
def schema(flask_app):
    """Every operation but the event streams, which answer until their job ends (the tenant's
    never): a fuzzer reads whole responses. test_job_events_api.py tests them."""
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", flask_app).exclude(
        path_regex=r"/events$")


def fuzz(operation, key: str, ids: Ids) -> str | None:
    """Run one operation's generated cases (valid and invalid input); the first failure, or
    None when every response conformed."""
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                      operation.as_strategy(GenerationMode.NEGATIVE))

    @settings(max_examples=EXAMPLES, **FUZZ_SETTINGS)
    @given(case=cases)
    def run(case):
        ids.guard(case)
        response = case.call_and_validate(headers={"X-API-Key": key}, checks=CHECKS)
        ids.learn(case, response)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # reported with the others below
        return f"{operation.label}: {exc}"
    return None


@pytest.fixture
def scratch_dir(monkeypatch, tmp_path):
    """Schemathesis and Hypothesis keep their state (``.schemathesis/``, ``.hypothesis/``)
    in the current directory: here, a temporary one instead of the checkout."""
    from hypothesis.configuration import set_hypothesis_home_dir
    monkeypatch.chdir(tmp_path)
    set_hypothesis_home_dir(tmp_path / ".hypothesis")
    yield tmp_path
    set_hypothesis_home_dir(None)


def test_every_operation_conforms_to_the_spec(schema, fuzz_admin, scratch_dir):
    """Each operation is fuzzed in turn (schemathesis's pytest integration cannot take the
    app from a fixture under this pytest), and all failures are reported together."""
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    ids = Ids()
    failures = [f for f in (fuzz(op, fuzz_admin[0], ids) for op in operations) if f]
    assert not failures, "\n\n".join(failures)


def run_sequences(machine, scenarios: int, counted: list[int]) -> None:
    """Run ``scenarios`` sequences of ``machine`` (``counted[0]`` counts them, from its
    ``setup``), suite after suite. A suite ends early when Hypothesis replays a sequence and
    the API answers it differently (state the sequences share, such as a collection name
    taken by an earlier one): schemathesis's own runner then starts another suite, and so
    does this; a failing check is raised at once."""
    for seed in range(MAX_SUITES):
        if counted[0] >= scenarios:
            return
        try:
            hypothesis.seed(seed)(machine).run(settings=settings(
                max_examples=scenarios - counted[0], stateful_step_count=STEPS,
                phases=[Phase.generate], **{**FUZZ_SETTINGS, "derandomize": False}))
        except Flaky:
            continue
        except AssertionError as exc:
            if not is_inconsistent_replay(exc):
                raise
    assert counted[0] >= scenarios, f"{counted[0]} of {scenarios} sequences in {MAX_SUITES} suites"


def test_sequences_that_follow_the_links_conform_and_reach_real_ids(schema, fuzz_admin,
                                                                   scratch_dir):
    """The stateful phase: sequences of calls that follow the spec's links conform, and reach
    operations with ids that exist (an answer other than 404) for every kind of id. Which
    operations a run of this size reaches is up to Hypothesis; test_api_links.py follows
    every link once."""
    key, principal = fuzz_admin
    ids, answers, counted = Ids(), defaultdict(set), [0]
    schema.config.phases.stateful.inference.algorithms = []  # the spec's links, none guessed

    class Sequences(schema.as_state_machine()):
        def setup(self):
            counted[0] += 1
            reset(principal, ids)

        def before_call(self, case):
            ids.guard(case)

        def get_call_kwargs(self, case):
            return {"headers": {"X-API-Key": key}}

        def after_call(self, response, case):
            super().after_call(response, case)
            ids.learn(case, response)
            answers[case.operation.label].add(response.status_code)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None,
                                   recorder=self.recorder)

    assert schema.statistic.transitions.total >= 40
    run_sequences(Sequences, EXAMPLES * 5, counted)
    reached = {param for op in schema.get_all_operations() if answers[op.ok().label] - {404}
               for param in re.findall(r"{(\w+)}", op.ok().path)}
    # a delivery is two links from the seeded webhook: a run reaches it or not, by chance
    assert reached - {"delivery_id"} == {"job_id", "key_id", "name", "document_id", "tenant",
                                         "schedule_id", "webhook_id"}, \
        dict(answers)
