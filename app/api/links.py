"""OpenAPI links: which operations take the ids that a response returns.

Every operation gets an ``operationId`` (its method and view, e.g. ``getJobById``), and an
operation that returns ids (a created job, collection or key, a page of jobs or documents)
declares with :func:`links` where they go, so a client or code generator can follow them, and
so can a contract fuzzer's stateful phase (``tests/integration/test_api_fuzz.py``) instead of
guessing ids. The list of keys links nowhere: it is every tenant's, and its first key is as
likely the admin's own as any other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from apispec import BasePlugin
from flask_smorest import Blueprint

JOB_OPERATIONS = ("getJobById", "getJobEvents", "getJobResult", "postJobCancel",
                  "postJobRetry", "deleteJobById")
COLLECTION_OPERATIONS = ("getCollectionByName", "getDocuments", "postDocuments", "postSearch",
                         "deleteCollectionByName")
DOCUMENT_OPERATIONS = ("getDocumentById", "deleteDocumentById")
KEY_OPERATIONS = ("postKeyRotation", "deleteKeyById")
SCHEDULE_OPERATIONS = ("getScheduleById", "patchScheduleById", "postScheduleRun",
                       "deleteScheduleById")
WEBHOOK_OPERATIONS = ("getWebhookById", "patchWebhookById", "deleteWebhookById",
                      "postWebhookSecretRotation", "getWebhookDeliveries")
DELIVERY_OPERATIONS = ("postWebhookRedelivery",)
# A created key names its tenant: what an admin can do with the tenant as a whole.
TENANT_OPERATIONS = ("getTenantExport", "postTenantErasureRequest", "deleteTenant")


class OperationIds(BasePlugin):
    """apispec plugin: ``operationId`` = method + view class name (``postJobCancel``)."""

    def operation_helper(self, path: str | None = None, operations: dict | None = None,
                         **kwargs: Any) -> None:
        view = kwargs["rule"].endpoint.rsplit(".", 1)[-1]
        for method, operation in (operations or {}).items():
            operation.setdefault("operationId", f"{method}{view}")


def links(statuses: tuple[int, ...], operations: tuple[str, ...],
          parameters: dict[str, str], *more: tuple[tuple[str, ...], dict[str, str]]
          ) -> Callable:
    """Decorator: each response of ``statuses`` links to each of ``operations`` (operationIds),
    with ``parameters`` (runtime expressions such as ``$response.body#/id``); ``more`` adds
    further (operations, parameters) pairs to the same responses."""
    declared = {operation: {"operationId": operation, "parameters": params}
                for targets, params in ((operations, parameters), *more)
                for operation in targets}
    return Blueprint.doc(responses={status: {"links": declared} for status in statuses})


def to_job(*statuses: int, at: str = "$response.body#/id") -> Callable:
    """``at`` (in the response; by default its ``id``) is a job's id."""
    return links(statuses, JOB_OPERATIONS, {"job_id": at})


def to_collection(*statuses: int, at: str = "$response.body#/name") -> Callable:
    """``at`` (in the response; by default its ``name``) is a collection's name."""
    return links(statuses, COLLECTION_OPERATIONS, {"name": at})


def to_document(*statuses: int, at: str = "$response.body#/document_id") -> Callable:
    """``at`` (in the response) is the id of a document of the collection in the path."""
    return links(statuses, DOCUMENT_OPERATIONS,
                 {"name": "$request.path.name", "document_id": at})


def to_schedule(*statuses: int, at: str = "$response.body#/id") -> Callable:
    """``at`` (in the response; by default its ``id``) is a schedule's id."""
    return links(statuses, SCHEDULE_OPERATIONS, {"schedule_id": at})


def to_webhook(*statuses: int, at: str = "$response.body#/id") -> Callable:
    """``at`` (in the response; by default its ``id``) is a webhook's id."""
    return links(statuses, WEBHOOK_OPERATIONS, {"webhook_id": at})


def to_delivery(*statuses: int, at: str = "$response.body#/items/0/id") -> Callable:
    """``at`` (in the response) is a delivery of the webhook in the path."""
    return links(statuses, DELIVERY_OPERATIONS,
                 {"webhook_id": "$request.path.webhook_id", "delivery_id": at})


def to_key(*statuses: int) -> Callable:
    """The response describes a key: link to what takes its id, and to its tenant's export and
    erasure."""
    return links(statuses, KEY_OPERATIONS, {"key_id": "$response.body#/key_id"},
                 (TENANT_OPERATIONS, {"tenant": "$response.body#/tenant"}))
