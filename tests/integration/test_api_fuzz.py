"""Property-based fuzzing of every operation of the OpenAPI document (schemathesis, in
process over WSGI, real Redis and Chroma, no workers: submitted jobs stay queued).

Every response must be no 5xx, a documented status code, the documented content type and
headers, and a body matching the documented schema. CI-sized by default; for a longer run:
``DIA3_FUZZ_EXAMPLES=500 pytest tests/integration/test_api_fuzz.py`` (examples per operation).

The fuzzer works as an admin of a tenant of its own, which it cleans up afterwards. It sees
every key id (GET /keys), and schemathesis feeds values from responses back into requests,
so key ids in paths are given a prefix no real key id has: revoking or rotating the
session's admin key would break the tests that come after.
"""

import os
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = int(os.environ.get("DIA3_FUZZ_EXAMPLES", "15"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
NOT_A_KEY_ID = "fuzz-"  # real key ids are 12 hex digits or "admin"


@pytest.fixture(scope="module")
def fuzz_admin(flask_app):
    """(key, tenant) of an admin of a fresh tenant; what it made is removed afterwards."""
    from app.extensions import job_store, key_store
    from app.workflows.knowledge import service as knowledge
    tenant = f"fuzz{uuid.uuid4().hex[:8]}"
    keys_before = {k["key_id"] for k in key_store().list()}
    key, principal = key_store().create("admin", tenant, name="fuzzer")
    yield key, tenant
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


def fuzz(operation, key: str) -> str | None:
    """Run one operation's generated cases (valid and invalid input); the first failure, or
    None when every response conformed."""
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                      operation.as_strategy(GenerationMode.NEGATIVE))

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=cases)
    def run(case):
        if "key_id" in (case.path_parameters or {}):
            case.path_parameters["key_id"] = NOT_A_KEY_ID + str(case.path_parameters["key_id"])
        case.call_and_validate(headers={"X-API-Key": key}, checks=CHECKS)

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


def test_every_operation_conforms_to_the_spec(flask_app, fuzz_admin, scratch_dir):
    """Each operation is fuzzed in turn (schemathesis's pytest integration cannot take the
    app from a fixture under this pytest), and all failures are reported together."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", flask_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    failures = [f for f in (fuzz(op, fuzz_admin[0]) for op in operations) if f]
    assert not failures, "\n\n".join(failures)
