"""Derivatives of payoff expressions through dual numbers, against finite differences."""

import numpy as np
import pytest

from app.workflows.monte_carlo.expression import compile_expression
from workers.monte_carlo.engine.dual import value_and_derivative


@pytest.mark.parametrize("text", [
    "max(S - 100, 0)", "min(S, 120) - 90", "abs(S - 100) * 2", "exp(S / 100) + log(S)",
    "sqrt(S) ** 3", "S ** 2 / (1 + S)", "2 ** (S / 50)", "-S + 3 % S", "max(S - 90, 0, 110 - S)",
])
def test_derivative_matches_central_differences(text):
    fn = compile_expression(text, ("S",))
    s = np.array([80.3, 95.1, 104.7, 131.9])
    value, slope = value_and_derivative(fn, s)
    h = 1e-5
    numeric = (fn({"S": s + h}) - fn({"S": s - h})) / (2 * h)
    assert np.allclose(value, fn({"S": s}))
    assert np.allclose(slope, numeric, rtol=1e-5, atol=1e-7)


def test_a_constant_payoff_has_zero_derivative_and_a_step_payoff_zero_too():
    s = np.array([1.0, 2.0])
    assert value_and_derivative(compile_expression("5", ("S",)), s)[1].tolist() == [0, 0]
    assert value_and_derivative(compile_expression("S // 1", ("S",)), s)[1].tolist() == [0, 0]
