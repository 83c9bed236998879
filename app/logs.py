"""JSON logs carrying a correlation id from the HTTP request through every task.

The request id, job id and task id live in context variables; the API sets the first from
``X-Request-ID`` (or makes one), it travels in Celery task headers, and the worker's task base
class sets all three before a step runs. Every log line includes whichever are set.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
from typing import Any

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id",
                                                                           default=None)
job_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("job_id", default=None)
task_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("task_id", default=None)
#: the client address of the current API request (for audit entries, not for log lines)
client_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("client", default=None)

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line with time, level, logger, message, ids and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, var in (("request_id", request_id_var), ("job_id", job_id_var),
                          ("task_id", task_id_var)):
            value = var.get()
            if value:
                out[name] = value
        for key, value in record.__dict__.items():
            # Celery attaches task args as "data": they may hold user text, so never log them
            if key not in _STANDARD and not key.startswith("_") and key != "data":
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ids = " ".join(f"{n}={v.get()}" for n, v in (("req", request_id_var),
                                                       ("job", job_id_var)) if v.get())
        base = super().format(record)
        return f"{base} [{ids}]" if ids else base


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Install the DIA3 handler on the root logger (idempotent)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_dia3", False):
            root.removeHandler(old)
    handler._dia3 = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("urllib3", "chromadb", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
