"""Signed webhooks (Standard Webhooks): receivers told of job events as they happen.

``store`` keeps webhooks and their deliveries in Redis, ``service`` is what the API and the
CLI call (tenant-scoped, role-checked, audited), ``signing`` makes the signature headers,
``addresses`` refuses URLs that reach private networks, ``backoff`` spaces the retries,
``dispatch`` turns the tenants' job events into deliveries and sends the due ones to the
``webhooks`` queue, where a worker makes each attempt (docs/webhooks.md).
"""
