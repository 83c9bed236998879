"""What the knowledge-base steps share: engine errors as step errors, progress per batch."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from app.extensions import job_store
from app.logs import job_id_var
from app.workflows.knowledge import errors as kb
from workers.runtime.errors import PermanentError, TransientError
from workers.runtime.job_step import JobStep


@contextlib.contextmanager
def step_errors() -> Iterator[None]:
    """The engine's transient errors are retried with backoff (at least their
    ``retry_after``); everything else it raises on purpose fails the job with its reason."""
    try:
        yield
    except kb.TransientError as error:
        raise TransientError(f"{error.message} [{error.reason}]",
                             retry_after=error.retry_after) from error
    except kb.PermanentError as error:
        raise PermanentError(f"{error.message} [{error.reason}]") from error
    except kb.KnowledgeError as error:
        raise PermanentError(f"{error.message} [{error.code}]") from error


def batch_progress(task: JobStep) -> Callable[[int, int], None]:
    """An ``on_batch`` callback that records batches done/total on the running step's record
    and stops the step when its job was cancelled."""
    job_id, step = job_id_var.get(), task.current_step

    def on_batch(done: int, total: int) -> None:
        job_store().step_progress(job_id, step, batches_done=done, batches_total=total)
        task.check_cancelled()
    return on_batch
