"""API errors, auth, roles and tenant isolation (in-process API, real Redis)."""

import re
import uuid

import pytest

from tests.conftest import ADMIN_KEY, ApiClient


def assert_error(response, code, fragment=None):
    body = response.get_json()
    assert response.status_code == code, body
    assert set(body) == {"code", "status", "message", "errors"}
    assert body["code"] == code and body["message"]
    if fragment:
        assert fragment in body["message"] or fragment in str(body["errors"])
    return body


def test_missing_and_bad_keys_are_401(flask_app):
    assert_error(ApiClient(flask_app, None).get("/api/v1/jobs"), 401, "Missing API key")
    assert_error(ApiClient(flask_app, "nope").get("/api/v1/jobs"), 401, "Invalid")


def test_bearer_header_is_accepted(flask_app):
    client = flask_app.test_client()
    response = client.get("/api/v1/workflows", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert response.status_code == 200


def test_openapi_spec_is_public_and_describes_jobs(flask_app):
    spec = flask_app.test_client().get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/jobs" in spec["paths"] and "/api/v1/jobs/{job_id}/cancel" in spec["paths"]
    assert "ApiKeyHeader" in spec["components"]["securitySchemes"]


def test_openapi_spec_has_each_workflows_params_and_examples(flask_app):
    from app.api.workflows import params_json_schema
    from app.workflows.registry import all_workflows, get_workflow
    spec = flask_app.test_client().get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    for workflow in all_workflows():
        own = params_json_schema(workflow)
        assert schemas[workflow.schema.__name__] == {k: v for k, v in own.items()
                                                     if k != "components"}
        for name, nested in own.get("components", {}).get("schemas", {}).items():
            assert schemas[name] == nested, name
    assert schemas["MonteCarloParams"]["discriminator"]["propertyName"] == "model"
    examples = spec["paths"]["/api/v1/jobs"]["post"]["requestBody"]["content"][
        "application/json"]["examples"]
    assert examples["monte_carlo-1"]["value"] == {
        "workflow": "monte_carlo", "params": get_workflow("monte_carlo").examples[0].params}
    assert {e["value"]["workflow"] for e in examples.values()} == {
        w.name for w in all_workflows()}


def test_one_422_lists_every_error_of_a_job(analyst):
    params = {"model": "gbm", "n_simulations": 0,
              "params": {"s0": -1, "drift": 0.05, "volatility": 0.2}}
    errors = assert_error(analyst.submit("monte_carlo", params), 422)["errors"]["json"]
    assert set(errors["params"]) == {"n_simulations", "params"}
    assert set(errors["params"]["params"]) == {"s0"}
    # a bad field of the body itself is reported with them, not before them
    response = analyst.submit("monte_carlo", params, idempotency_key="has spaces")
    assert assert_error(response, 422)["errors"]["json"] == {
        **errors, "idempotency_key": ["Printable ASCII without spaces."]}
    # field errors of one series and the engine's of another, in one answer
    series = {"values": [1.0, 2.0, 3.0], "frequency": "D"}
    response = analyst.submit("forecast", {"horizon": 2, "series": [
        series, {**series, "values": [1, "x"]}, {**series, "frequency": "fortnightly"}]})
    errors = assert_error(response, 422)["errors"]["json"]["params"]["series"]
    assert set(errors) == {"1", "2"} and "frequency" in errors["2"]
    response = analyst.submit("poetry", {}, idempotency_key="")
    assert set(assert_error(response, 422)["errors"]["json"]) == {"workflow",
                                                                  "idempotency_key"}


def test_the_idempotency_key_header_dedups_like_the_body_field(analyst):
    key = {"Idempotency-Key": "hdr-" + uuid.uuid4().hex}
    body = {"workflow": "smoke", "params": {"start": 1}}
    first = analyst.post("/api/v1/jobs", json=body, headers=key)
    again = analyst.post("/api/v1/jobs", json=body, headers=key)  # e.g. a proxy's retry
    both = analyst.post("/api/v1/jobs", json={**body, "idempotency_key": key["Idempotency-Key"]},
                        headers=key)
    assert first.status_code == 202 and again.status_code == 200 and both.status_code == 200
    assert first.get_json()["id"] == again.get_json()["id"] == both.get_json()["id"]
    assert analyst.post("/api/v1/jobs", json=body).status_code == 202  # no key: a new job
    clash = analyst.post("/api/v1/jobs", json={**body, "idempotency_key": "other"}, headers=key)
    assert "Idempotency-Key" in assert_error(clash, 422)["errors"]["headers"]
    bad = analyst.post("/api/v1/jobs", json=body, headers={"Idempotency-Key": "has spaces"})
    assert "Idempotency-Key" in assert_error(bad, 422)["errors"]["headers"]


def test_workflows_list_their_params_schema(analyst):
    workflows = {w["name"]: w for w in analyst.get("/api/v1/workflows").get_json()}
    schema = workflows["sentiment"]["params_schema"]
    assert schema["required"] == ["texts"] and schema["properties"]["texts"]["maxItems"] == 10000
    assert schema["additionalProperties"] is False


def test_422_is_field_level(analyst):
    body = assert_error(analyst.submit("sentiment", {"texts": []}), 422)
    assert "texts" in body["errors"]["json"]["params"]
    body = assert_error(analyst.submit("nope", {}), 422, "Unknown workflow 'nope'")
    assert "workflow" in body["errors"]["json"]
    body = assert_error(analyst.post("/api/v1/jobs", json={"params": {}}), 422)
    assert "workflow" in body["errors"]["json"]
    assert_error(analyst.get("/api/v1/jobs?limit=0"), 422)
    assert_error(analyst.get("/api/v1/jobs?cursor=garbage"), 422, "cursor")
    assert_error(analyst.get("/api/v1/jobs?state=sleeping"), 422)


def test_malformed_json_is_a_4xx(analyst):
    response = analyst.post("/api/v1/jobs", data="{not json",
                            headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500


def test_body_over_the_limit_is_413(analyst, flask_app):
    limit = flask_app.config["MAX_CONTENT_LENGTH"]
    response = analyst.post("/api/v1/jobs", data=b"x" * (limit + 1),
                            headers={"Content-Type": "application/json"})
    assert_error(response, 413, "larger than the limit")


def test_unknown_job_is_404_and_other_tenants_jobs_do_not_exist(make_client):
    alice, bob = make_client("analyst"), make_client("analyst")
    assert_error(alice.get(f"/api/v1/jobs/{uuid.uuid4().hex}"), 404)
    job = alice.submit("smoke", {"start": 1}).get_json()
    for call in (lambda: bob.get(f"/api/v1/jobs/{job['id']}"),
                 lambda: bob.get(f"/api/v1/jobs/{job['id']}/result"),
                 lambda: bob.post(f"/api/v1/jobs/{job['id']}/cancel"),
                 lambda: bob.delete(f"/api/v1/jobs/{job['id']}")):
        assert_error(call(), 404)
    assert job["id"] not in [j["id"] for j in bob.get("/api/v1/jobs").get_json()["items"]]
    assert job["id"] in [j["id"] for j in alice.get("/api/v1/jobs").get_json()["items"]]


def test_jobs_are_listed_by_id_prefix_within_the_tenant(make_client, flask_app):
    alice, bob = make_client("analyst"), make_client("analyst")
    job = alice.submit("smoke", {"start": 1}).get_json()

    def by_prefix(client, prefix, *query):
        response = client.get("/api/v1/jobs?" + "&".join([f"id_prefix={prefix}", *query]))
        assert response.status_code == 200, response.get_json()
        return [j["id"] for j in response.get_json()["items"]]
    assert by_prefix(alice, job["id"][:8]) == [job["id"]]
    assert by_prefix(alice, job["id"]) == [job["id"]]
    assert by_prefix(alice, job["id"][:8], "state=cancelled") == []
    assert by_prefix(bob, job["id"][:8]) == []
    assert by_prefix(bob, job["id"][:8], "all_tenants=true") == []  # only admins see all
    assert by_prefix(ApiClient(flask_app, ADMIN_KEY), job["id"][:8],
                     "all_tenants=true") == [job["id"]]
    for bad in ("", "XYZ", job["id"] + "0", "a%25"):
        assert_error(alice.get(f"/api/v1/jobs?id_prefix={bad}"), 422, "id_prefix")
    spec = flask_app.test_client().get("/api/v1/openapi.json").get_json()
    assert "id_prefix" in [p["name"] for p in spec["paths"]["/api/v1/jobs"]["get"]["parameters"]]


def test_role_matrix(make_client):
    tenant = "roles" + uuid.uuid4().hex[:6]
    viewer, analyst = make_client("viewer", tenant), make_client("analyst", tenant)
    admin = make_client("admin", tenant)
    job = analyst.submit("smoke", {"start": 1}).get_json()
    # everyone in the tenant reads
    for client in (viewer, analyst, admin):
        assert client.get(f"/api/v1/jobs/{job['id']}").status_code == 200
        assert client.get("/api/v1/workflows").status_code == 200
    # viewers never write
    assert_error(viewer.submit("smoke", {}), 403, "viewer")
    assert_error(viewer.post(f"/api/v1/jobs/{job['id']}/cancel"), 403)
    assert_error(viewer.delete(f"/api/v1/jobs/{job['id']}"), 403)
    # only admins manage keys
    assert_error(analyst.get("/api/v1/keys"), 403, "admin")
    assert_error(analyst.post("/api/v1/keys", json={"role": "admin", "tenant": "x"}), 403)
    created = admin.post("/api/v1/keys", json={"role": "viewer", "tenant": tenant})
    assert created.status_code == 201 and created.get_json()["key"].startswith("dia3_")
    assert all("key" not in k for k in admin.get("/api/v1/keys").get_json())


def test_revoked_key_is_refused_on_the_next_request(make_client, flask_app):
    admin = make_client("admin")
    created = admin.post("/api/v1/keys", json={"role": "analyst", "tenant": "rev"}).get_json()
    client = ApiClient(flask_app, created["key"])
    assert client.get("/api/v1/jobs").status_code == 200
    assert admin.delete(f"/api/v1/keys/{created['key_id']}").status_code == 204
    assert_error(client.get("/api/v1/jobs"), 401)
    assert_error(admin.delete(f"/api/v1/keys/{created['key_id']}"), 404)


def test_request_id_is_echoed_and_recorded(analyst):
    response = analyst.post(
        "/api/v1/jobs", json={"workflow": "smoke", "params": {}},
        headers={"X-Request-ID": "req-abc-123"})
    assert response.headers["X-Request-ID"] == "req-abc-123"
    assert response.get_json()["request_id"] == "req-abc-123"
    assert response.headers["Location"].endswith(response.get_json()["id"])
    bad = analyst.get("/api/v1/jobs", headers={"X-Request-ID": "has spaces <script>"})
    assert bad.headers["X-Request-ID"] != "has spaces <script>"


def test_security_headers_everywhere(flask_app):
    response = flask_app.test_client().get("/healthz")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_unknown_route_and_method_are_json(analyst):
    assert_error(analyst.get("/api/v1/nothing-here"), 404)
    assert_error(analyst.client.put("/api/v1/jobs", headers={"X-API-Key": analyst.key}), 405)


@pytest.mark.parametrize("path", ["/healthz", "/metrics"])
def test_health_and_metrics_are_public(flask_app, path):
    assert flask_app.test_client().get(path).status_code == 200


def test_the_interactive_docs_load_only_the_apis_own_files(flask_app):
    """Swagger UI's page references its scripts and styles on the API itself (no CDN), and
    those files are served without a key, like the page."""
    client = flask_app.test_client()
    page = client.get("/api/v1/docs").get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/api/v1/docs/assets/") for s in sources), sources
    assert "//" not in " ".join(sources)
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200 and len(asset.data) > 1000, source
    assert client.get("/api/v1/docs/assets/../../openapi.json").status_code == 404
