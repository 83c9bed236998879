"""Forward-mode derivatives of a payoff expression, for pathwise Greeks.

A payoff is a user expression in S compiled to numpy operations; evaluating it on a
:class:`Dual` (values and their derivative with respect to S) instead of an array gives
f(S) and f'(S) in one pass, through the same compiled tree, so no symbolic differentiation
of user text is needed. Kinks (max, min, abs) take the derivative of the active branch,
which is the pathwise estimator's almost-sure derivative; steps (``//``, ``%``) have
derivative 0 almost everywhere, so pathwise Greeks of discontinuous payoffs are biased:
use the likelihood-ratio estimator for those.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin


def _power(value, a, b, da, db):
    out = 0.0
    if not _zero(da):
        out = out + b * np.power(a, b - 1) * da
    if not _zero(db):
        out = out + value * np.log(a) * db
    return out


def _zero(d) -> bool:
    return isinstance(d, float) and d == 0.0


_RULES: dict[np.ufunc, Callable] = {
    np.add: lambda v, a, b, da, db: da + db,
    np.subtract: lambda v, a, b, da, db: da - db,
    np.multiply: lambda v, a, b, da, db: da * b + a * db,
    np.true_divide: lambda v, a, b, da, db: (da - v * db) / b,
    np.floor_divide: lambda v, a, b, da, db: np.zeros_like(v),
    np.remainder: lambda v, a, b, da, db: da - np.floor_divide(a, b) * db,
    np.power: _power,
    np.maximum: lambda v, a, b, da, db: np.where(a >= b, da, db),
    np.minimum: lambda v, a, b, da, db: np.where(a <= b, da, db),
    np.negative: lambda v, a, da: -da,
    np.positive: lambda v, a, da: da,
    np.absolute: lambda v, a, da: np.sign(a) * da,
    np.exp: lambda v, a, da: v * da,
    np.log: lambda v, a, da: da / a,
    np.sqrt: lambda v, a, da: da / (2 * v),
}


class Dual(NDArrayOperatorsMixin):
    """Values with their derivative with respect to one input."""

    def __init__(self, value: np.ndarray, grad: np.ndarray | float) -> None:
        self.value = value
        self.grad = grad

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        rule = _RULES.get(ufunc)
        if method != "__call__" or kwargs or rule is None:
            return NotImplemented
        values = [x.value if isinstance(x, Dual) else x for x in inputs]
        grads = [x.grad if isinstance(x, Dual) else 0.0 for x in inputs]
        value = ufunc(*values)
        return Dual(value, rule(value, *values, *grads))


def value_and_derivative(fn: Callable, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f(S) and f'(S) of a compiled payoff, as arrays of the shape of ``s``."""
    out = fn({"S": Dual(s, np.ones_like(s))})
    if not isinstance(out, Dual):  # a payoff that does not depend on S
        return np.broadcast_to(np.asarray(out, dtype=float), s.shape).copy(), np.zeros_like(s)
    value = np.broadcast_to(np.asarray(out.value, dtype=float), s.shape).copy()
    grad = np.broadcast_to(np.asarray(out.grad, dtype=float), s.shape).copy()
    return value, grad
