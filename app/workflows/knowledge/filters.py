"""Search filters (``where``) checked against the grammar Chroma accepts, before Chroma sees
them.

The grammar is chromadb's (``chromadb.api.types.validate_where``) with what its server
refuses besides, so that every refusal is a field-level 422 rather than an error from deep
in Chroma:

* a filter is an object with exactly one key: ``$and`` or ``$or`` with a list of two or more
  filters, or a metadata key (1-64 characters: letters, digits and ``_.-``, starting with a
  letter) with a value or an object of one operator;
* values are strings, booleans, 64-bit integers or finite floats; ``$gt``, ``$gte``, ``$lt``
  and ``$lte`` take a number, ``$in`` and ``$nin`` a non-empty list of values of one type;
  ``$eq``, ``$ne``, ``$contains`` and ``$not_contains`` a value.

Chroma's SQLite layer fails on large filters ("Expression tree is too large", "too many SQL
variables"), and a ``$or`` of some ten thousand conditions brings its server down, so a
filter holds at most MAX_CONDITIONS conditions and MAX_VALUES list values.
"""

from __future__ import annotations

from typing import Any

from app.workflows.knowledge.errors import InputError
from app.workflows.knowledge.metadata import KEY_RULE, METADATA_KEY, value_problem

LOGICAL = ("$and", "$or")
NUMERIC = ("$gt", "$gte", "$lt", "$lte")
LISTS = ("$in", "$nin")
SCALAR = ("$eq", "$ne", "$contains", "$not_contains")
OPERATORS = NUMERIC + LISTS + SCALAR
MAX_CONDITIONS = 100
MAX_VALUES = 1000


class _Checker:
    def __init__(self, field: str) -> None:
        self.field = field
        self.conditions = 0
        self.values = 0

    def fail(self, at: str, problem: str) -> InputError:
        return InputError(self.field, f"invalid filter{f' at {at}' if at else ''}: {problem}")

    def clause(self, where: Any, at: str) -> None:
        if not isinstance(where, dict) or len(where) != 1:
            raise self.fail(at, "a filter is an object with exactly one key (combine "
                                "several conditions with $and or $or)")
        ((key, value),) = where.items()
        here = f"{at}.{key}" if at else key
        if key in LOGICAL:
            if not isinstance(value, list) or len(value) < 2:
                raise self.fail(here, f"{key} takes a list of two or more filters")
            for i, part in enumerate(value):
                self.clause(part, f"{here}.{i}")
            return
        if not isinstance(key, str) or not METADATA_KEY.match(key):
            raise self.fail(here, f"{key!r} is not a metadata key or $and/$or: {KEY_RULE}")
        self.condition(value, here)

    def condition(self, value: Any, at: str) -> None:
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise self.fail(at, f"more than {MAX_CONDITIONS} conditions")
        if not isinstance(value, dict):
            return self.value(value, at)
        if len(value) != 1 or next(iter(value)) not in OPERATORS:
            raise self.fail(at, "a condition is a value or an object of one operator: "
                                f"{', '.join(OPERATORS)}")
        ((operator, operand),) = value.items()
        at = f"{at}.{operator}"
        if operator in NUMERIC and (isinstance(operand, bool)
                                    or not isinstance(operand, int | float)):
            raise self.fail(at, f"{operator} takes a number")
        if operator in LISTS:
            return self.values_of(operator, operand, at)
        return self.value(operand, at)

    def values_of(self, operator: str, operand: Any, at: str) -> None:
        if not isinstance(operand, list) or not operand:
            raise self.fail(at, f"{operator} takes a non-empty list of values")
        self.values += len(operand)
        if self.values > MAX_VALUES:
            raise self.fail(at, f"more than {MAX_VALUES} list values in the filter")
        if len({type(item) for item in operand}) > 1:
            raise self.fail(at, "the values of a list must all be of one type")
        for i, item in enumerate(operand):
            self.value(item, f"{at}.{i}")

    def value(self, value: Any, at: str) -> None:
        problem = value_problem(value)
        if problem:
            raise self.fail(at, problem)


def check_where(where: Any, field: str = "where") -> dict:
    """``where`` itself when Chroma will accept it; otherwise an InputError on ``field``
    whose message says where in the filter the problem is."""
    _Checker(field).clause(where, "")
    return where
