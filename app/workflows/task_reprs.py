"""What task messages, task events, Flower and Celery's logs show of a step's arguments.

Celery copies ``repr(args)`` and ``repr(kwargs)`` of every task into its message
(``argsrepr``/``kwargsrepr``), from there into the task events Flower displays to anyone
with its login, and into its own log lines. A step's arguments are a tenant's content (texts,
series, documents), so DIA3 sets both reprs itself: the job id and step name as they are,
every other argument as its type and size only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: keyword arguments shown verbatim: identifiers DIA3 made, never user content
SHOWN = frozenset({"job_id", "step"})


def describe(value: Any) -> str:
    """``str[12]``, ``list[250]``, ``dict[3]``, ``int``: a value's type and size only."""
    if value is None:
        return "None"
    if isinstance(value, str | bytes | bytearray | list | tuple | dict | set | frozenset):
        return f"{type(value).__name__}[{len(value)}]"
    return type(value).__name__


def args_repr(args: Sequence[Any]) -> str:
    return "(" + ", ".join(describe(arg) for arg in args) + ")"


def kwargs_repr(kwargs: Mapping[str, Any]) -> str:
    shown = (f"{key!r}: {value!r}" if key in SHOWN else f"{key!r}: {describe(value)}"
             for key, value in kwargs.items())
    return "{" + ", ".join(shown) + "}"


def repr_options(args: Sequence[Any], kwargs: Mapping[str, Any]) -> dict[str, str]:
    """The ``argsrepr``/``kwargsrepr`` options of a task message for these arguments."""
    return {"argsrepr": args_repr(args), "kwargsrepr": kwargs_repr(kwargs)}
