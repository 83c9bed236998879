"""Run a parser in a forked child that is killed at a deadline.

Parsers of untrusted files can take far longer than their input suggests (Python's
HTMLParser is quadratic on unclosed tags: 60 KB took 3 minutes; a PDF's content streams
are parsed in one piece), and a pure-Python loop cannot be interrupted from outside. A child
process can: it gets the bytes by inheritance (fork), sends its JSON result back through a
pipe, and is SIGKILLed when the deadline passes. ``RLIMIT_CPU`` ends it even if the parent
dies first. Without ``os.fork`` (not POSIX) the function runs in this process.
"""

from __future__ import annotations

import json
import logging
import math
import os
import resource
import select
import signal
import time
import warnings
from collections.abc import Callable
from typing import Any

CHUNK = 1 << 20


class DeadlineExceeded(Exception):
    """The child did not finish within its deadline and was killed."""


class ChildFailed(Exception):
    """The child raised an exception that is not part of the function's answer, or died."""


def call_with_deadline(fn: Callable[[], Any], seconds: float) -> Any:
    """``fn()`` (whose result must be JSON-serialisable) computed in a child process;
    raises :class:`DeadlineExceeded` after ``seconds``."""
    if not hasattr(os, "fork"):
        return fn()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(fn, write_end, seconds)
    os.close(write_end)
    try:
        payload = _read_until(read_end, time.monotonic() + seconds)
    finally:
        os.close(read_end)
        _end(pid)
    if payload is None:
        raise DeadlineExceeded(f"did not finish within {seconds:g} s")
    try:
        status, value = json.loads(payload)
    except ValueError:
        raise ChildFailed("the parser process died without an answer") from None
    if status != "ok":
        raise ChildFailed(value)
    return value


def _child(fn: Callable[[], Any], write_end: int, seconds: float) -> None:
    """Compute, write the answer, exit. No logging or warnings: a lock on a stream held by
    another thread of the parent at the fork would stay locked here forever."""
    code = 0
    try:
        # Other threads' pipes must not stay open here, or their readers would wait for us.
        os.closerange(3, write_end)
        os.closerange(write_end + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        logging.disable(logging.CRITICAL)
        warnings.simplefilter("ignore")
        limit = math.ceil(seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (limit, limit))
        try:
            answer: list[Any] = ["ok", fn()]
        except Exception as error:  # reported to the parent, which raises ChildFailed
            answer = ["error", f"{type(error).__name__}: {error}"[:2000]]
        data = json.dumps(answer).encode()
        for start in range(0, len(data), CHUNK):
            os.write(write_end, data[start:start + CHUNK])
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _read_until(fd: int, deadline: float) -> bytes | None:
    """Everything the child writes until it closes the pipe, or None at the deadline."""
    parts: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            return None
        part = os.read(fd, CHUNK)
        if not part:
            return b"".join(parts)
        parts.append(part)


def _end(pid: int) -> None:
    """Kill the child if it still runs, and reap it."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:  # reaped by someone else's SIGCHLD handler
        pass
