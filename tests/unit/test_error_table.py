"""app.error_table is the one place that says how an error is answered: every domain error
gets the status the REST API answers, the audit log records and the MCP server reports, and
no other module pairs error types with HTTP statuses."""

from __future__ import annotations

import ast
from pathlib import Path

import kombu.exceptions
import pytest
import redis
from flask import Flask
from marshmallow import ValidationError
from werkzeug.exceptions import MethodNotAllowed, NotFound

from app import audit
from app.api import errors as api_errors
from app.auth.keys import KeyNotFound, KeyRejected
from app.backpressure import QueueFull
from app.error_table import TABLE, failure_of, status_of
from app.errors import Busy, Conflict, Forbidden, NotReplicated, OverBudget
from app.jobs.store import InvalidTransition, JobNotFound
from app.mcp.server import tool_error
from app.schedules.store import ScheduleNotFound
from app.webhooks.store import DeliveryNotFound, WebhookNotFound
from app.workflows.forecast.errors import ForecastInputError
from app.workflows.knowledge import errors as kb
from app.workflows.monte_carlo.errors import MonteCarloInputError

ROOT = Path(__file__).resolve().parents[2]
TABLE_MODULE = ROOT / "app" / "error_table.py"

# (error, the status every surface gives it) — the statuses the API has always answered
EXPECTED: list[tuple[BaseException, int]] = [
    (KeyRejected("expired"), 401),
    (KeyRejected("missing"), 401),
    (Forbidden("role 'viewer' may only read"), 403),
    (JobNotFound("j-1"), 404),
    (ScheduleNotFound("s-1"), 404),
    (WebhookNotFound("w-1"), 404),
    (DeliveryNotFound("d-1"), 404),
    (KeyNotFound("k-1"), 404),
    (kb.NotFound("collection 'docs' does not exist"), 404),
    (NotFound(), 404),
    (MethodNotAllowed(valid_methods=["GET", "POST"]), 405),
    (InvalidTransition("j-1", "succeeded", "cancelled"), 409),
    (kb.Conflict("collection 'docs' already exists"), 409),
    (Conflict("tenant 'acme' is the tenant of your own key"), 409),
    (kb.EmbedderMismatch("docs", "hashing:256", "hashing:128"), 409),
    (ValidationError({"workflow": ["Unknown workflow 'poetry'."]}), 422),
    (ForecastInputError("series.0.values", "must be a list of numbers"), 422),
    (MonteCarloInputError("params.iterations", "must be an integer"), 422),
    (kb.InputError("query", "must be a non-empty string"), 422),
    (kb.PermanentError("the model does not exist", reason="model_missing"), 422),
    (kb.RateLimited("embeddings", 2.5), 429),
    (OverBudget("Rate limit of 5 per 1 minute per API key exceeded; retry in 7 s.",
                "5 per 1 minute", 7), 429),
    (kb.TransientError("Chroma is unreachable", reason="store_unreachable"), 503),
    (kb.NotInstalled("the local embedder's model is not installed",
                     reason="model_not_installed"), 503),
    (QueueFull("agents", 9, 3), 503),
    (Busy("as many event streams as it may", retry_after=5), 503),
    (NotReplicated(0, 1), 503),
    (redis.ConnectionError("down"), 503),
    (redis.ReadOnlyError("READONLY You can't write against a read only replica."), 503),
    (redis.TimeoutError("slow"), 503),
    (audit.AuditUnavailable("the audit log (Redis) is unavailable"), 503),
    (kombu.exceptions.OperationalError("broker down"), 503),
    (ConnectionRefusedError("refused"), 503),
    (kb.KnowledgeError("the engine failed"), 500),
    (RuntimeError("a detail that must stay on the server"), 500),
    (ValueError("a bare ValueError is a bug, not bad input"), 500),
    (KeyError("a bare KeyError is a bug, not a missing thing"), 500),
]
IDS = [f"{type(exc).__name__}-{status}" for exc, status in EXPECTED]


def listed_type(exc: BaseException) -> type[BaseException]:
    return next(cls for cls in type(exc).__mro__ if cls in TABLE)


def test_every_row_of_the_table_is_checked_here():
    assert {listed_type(exc) for exc, _ in EXPECTED} == set(TABLE)


@pytest.mark.parametrize(("exc", "status"), EXPECTED, ids=IDS)
def test_the_table_gives_each_error_its_status(exc, status):
    assert status_of(exc) == failure_of(exc).status == status
    assert failure_of(exc).internal == (listed_type(exc) is Exception)


@pytest.fixture(scope="module")
def api():
    app = Flask("error-table-test")
    api_errors.register(app)

    @app.post("/raise/<int:index>")
    def raise_one(index: int):
        raise EXPECTED[index][0]
    return app.test_client()


@pytest.mark.parametrize("index", range(len(EXPECTED)), ids=IDS)
def test_the_api_answers_what_the_table_says(api, index):
    exc, status = EXPECTED[index]
    failure = failure_of(exc)
    response = api.post(f"/raise/{index}")
    assert response.status_code == status
    assert response.get_json() == failure.body("json")
    assert {k: response.headers[k] for k in failure.headers} == failure.headers


@pytest.mark.parametrize(("exc", "status"), EXPECTED, ids=IDS)
def test_the_audit_log_records_the_status_the_api_answers(exc, status):
    assert audit.classify(exc) == ("denied" if status in (401, 403) else "error", status)


@pytest.mark.parametrize(("exc", "status"), EXPECTED, ids=IDS)
def test_mcp_reports_what_the_table_says_and_hides_internal_errors(exc, status):
    failure, error = failure_of(exc), tool_error(exc)
    if failure.internal:
        assert error is None
        return
    assert error.status == status
    assert str(error).startswith("Invalid request: " if failure.fields else failure.message)


def test_the_body_shape_and_field_errors():
    body = failure_of(kb.InputError("where.year", "invalid filter")).body("query")
    assert body == {"code": 422, "status": "Unprocessable Entity",
                    "message": "The request has invalid fields; see 'errors'.",
                    "errors": {"query": {"where": {"year": ["invalid filter"]}}}}
    rate = failure_of(kb.RateLimited("embeddings", 2.5))
    assert rate.headers == {"Retry-After": "3"} and rate.errors == {"reason": "rate_limited"}
    assert failure_of(KeyRejected("invalid")).headers["WWW-Authenticate"].startswith("Bearer")
    short = failure_of(NotReplicated(0, 1))
    assert short.headers == {"Retry-After": "2"}
    assert short.errors == {"replicas": {"acknowledged": 0, "required": 1}}


# ---- nothing else maps errors to statuses -------------------------------------------------
def sources() -> list[Path]:
    return [path for folder in ("app", "workers") for path in sorted((ROOT / folder).rglob(
        "*.py")) if path != TABLE_MODULE]


def parsed() -> list[tuple[Path, ast.AST]]:
    return [(path, ast.parse(path.read_text(), str(path))) for path in sources()]


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{node.lineno}"


def is_status(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and type(node.value) is int
            and 100 <= node.value <= 599)


def is_class_ref(node: ast.AST | None) -> bool:
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
    return isinstance(node, (ast.Name, ast.Attribute)) and name[:1].isupper()


def test_no_error_carries_an_http_status():
    found = [where(path, node) for path, tree in parsed() for node in ast.walk(tree)
             if (isinstance(node, ast.Name) and node.id == "http_status")
             or (isinstance(node, ast.Attribute) and node.attr == "http_status")
             or (isinstance(node, ast.Constant) and node.value == "http_status")]
    assert not found, f"statuses belong in app/error_table.py: {found}"


def test_only_the_table_pairs_error_types_with_statuses():
    found = []
    for path, tree in parsed():
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                pairs = list(zip(node.keys, node.values, strict=True))
            elif isinstance(node, ast.Tuple) and len(node.elts) == 2:
                pairs = [tuple(node.elts)]
            else:
                continue
            found += [where(path, node) for key, value in pairs
                      if is_class_ref(key) and is_status(value)]
    assert not found, f"error -> status pairs belong in app/error_table.py: {found}"


def test_error_handlers_take_their_status_from_the_table():
    """Handlers are registered by app/api/errors.py; the only other one (the rate limiter's,
    which needs the limiter's window for its message) has no status of its own."""
    registering = ("register_error_handler", "app_errorhandler", "errorhandler")
    elsewhere, literal = [], []
    for path, tree in parsed():
        decorators = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and any(
                    "errorhandler" in ast.unparse(d) for d in node.decorator_list):
                decorators.update(map(id, node.decorator_list))
                literal += [where(path, n) for n in ast.walk(node) if is_status(n)]
        elsewhere += [where(path, node) for node in ast.walk(tree)
                      if isinstance(node, ast.Call) and id(node) not in decorators
                      and getattr(node.func, "attr", "") in registering
                      and path != ROOT / "app/api/errors.py"]
    assert not elsewhere and not literal, (elsewhere, literal)
