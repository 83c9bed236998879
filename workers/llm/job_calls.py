"""What agent steps share: LLM calls whose usage is recorded on the running job, and LLM
throttling or outages turned into transient step errors (retried with backoff)."""

from __future__ import annotations

from dataclasses import fields

from app.extensions import job_store
from app.logs import job_id_var
from workers.llm.errors import LLMError, LLMTransientError
from workers.llm.usage import UsageRecord, summarise_usage
from workers.runtime.errors import TransientError


def usage_record(data: dict) -> UsageRecord:
    names = {f.name for f in fields(UsageRecord)}
    return UsageRecord(**{k: v for k, v in data.items() if k in names})


def llm_call(fn):
    """Run ``fn``; LLM throttling and outages become transient (retried with backoff).

    A failed call's usage (the requests it sent, its retries and waits, a first structured
    reply before a failed repair) is recorded on the job and in its summary before the error
    goes on, so a failed or retried job still shows what reached the provider."""
    try:
        return fn()
    except LLMError as exc:
        if exc.usage is not None:
            job_store().add_usage(job_id_var.get(), exc.usage.to_dict())
            job_usage()
        if isinstance(exc, LLMTransientError):
            raise TransientError(str(exc), retry_after=exc.retry_after) from None
        raise


def call_agent(fn, *args):
    """Run one agent call, recording its usage on the job."""
    data, usage = llm_call(lambda: fn(*args))
    if usage:
        job_store().add_usage(job_id_var.get(), usage)
    return data


def job_usage() -> dict:
    """The job's LLM usage so far, summarised and stored on the job."""
    store = job_store()
    usage = summarise_usage(usage_record(r) for r in store.usage_records(job_id_var.get()))
    store.set_usage(job_id_var.get(), usage)
    return usage
