"""Workflows: named, schema-validated analyses that run as Celery canvases."""
