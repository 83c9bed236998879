"""The scenario expression compiler accepts arithmetic and rejects everything else."""

import numpy as np
import pytest

from workers.monte_carlo.engine import MonteCarloInputError, compile_expression

NAMES = ("units", "price", "fixed_cost")


def run(text: str, **env):
    values = {name: np.asarray(env.get(name, 1.0)) for name in NAMES}
    return compile_expression(text, NAMES)(values)


def test_arithmetic_and_whitelisted_functions():
    assert run("units * price - fixed_cost", units=10, price=3, fixed_cost=5) == 25
    assert run("-units ** 2 + 7 // 2 + 7 % 4", units=3) == -9 + 3 + 3
    assert run("max(units, price, 4) + min(units, 0) + abs(-2)", units=1, price=2) == 4 + 0 + 2
    assert run("sqrt(units) * exp(0) + log(price)", units=9, price=1) == 3
    out = run("max(units - 2, 0)", units=np.array([1.0, 5.0]))
    assert out.tolist() == [0.0, 3.0]


def test_overflow_and_division_by_zero_give_inf_not_exceptions():
    assert np.isinf(run("10.0 ** 10 ** 10"))
    assert np.isinf(run("units / 0"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("units.__class__", "Attribute"),
        ("price[0]", "Subscript"),
        ("__import__('os')", "only these functions"),
        ("open('x')", "only these functions"),
        ("units.real", "Attribute"),
        ("(lambda: 1)()", "only these functions"),
        ("[units for units in price]", "ListComp"),
        ("'abc'", "numeric constants"),
        ("True + units", "numeric constants"),
        ("units if price else 1", "IfExp"),
        ("units < price", "Compare"),
        ("revenue - fixed_cost", "unknown variable 'revenue'"),
        ("max(units)", "argument"),
        ("exp(units, price)", "argument"),
        ("max(units, key=price)", "keyword"),
        ("units +", "invalid syntax"),
        ("", "non-empty"),
        ("units; price", "invalid syntax"),
        ("x := 3", "invalid syntax"),
    ],
)
def test_rejects_unsafe_or_invalid_expressions(text, message):
    with pytest.raises(MonteCarloInputError, match=message) as err:
        compile_expression(text, NAMES, field="params.expression")
    assert err.value.field == "params.expression"


def test_rejects_overlong_and_deeply_nested_expressions():
    with pytest.raises(MonteCarloInputError, match="at most"):
        compile_expression("units + " * 400 + "units", NAMES)
    with pytest.raises(MonteCarloInputError, match="nested"):
        compile_expression("-" * 60 + "units", ("units",))


def test_long_sums_and_products_count_as_one_level():
    """A sum of 100 variables (the most a scenario may declare) parses as a left-leaning
    chain 100 levels deep; it is one level for the depth limit and evaluates in order."""
    names = [f"v{i}" for i in range(100)]
    env = {name: np.asarray(float(i)) for i, name in enumerate(names)}
    assert compile_expression(" + ".join(names), names)(env) == sum(range(100))
    mixed = " - ".join(names[:60]) + " + " + " + ".join(names[60:])
    assert compile_expression(mixed, names)(env) == 0 - sum(range(1, 60)) + sum(range(60, 100))
    product = " * ".join(names[1:80]) + " / v2 // v1 % v7"
    ones = {name: np.asarray(1.0 + (i == 2)) for i, name in enumerate(names)}
    assert compile_expression(product, names)(ones) == (2.0 / 2.0) // 1.0 % 1.0
    # nesting that is not a chain is still limited, and so is a chain inside deep nesting
    with pytest.raises(MonteCarloInputError, match="nested"):
        compile_expression("abs(" * 30 + "v1 + " + "-" * 30 + "v2" + ")" * 30, names)
    assert compile_expression("abs(" * 20 + " + ".join(names) + ")" * 20, names)(env) == 4950


def test_chains_keep_the_evaluation_order_of_the_tree():
    """Floating point is not associative: the flat chain must fold exactly like the tree."""
    values = {"units": np.asarray(1e16), "price": np.asarray(1.0), "fixed_cost": np.asarray(-1e16)}
    text = "units + price + fixed_cost + price"
    tree = ((1e16 + 1.0) + -1e16) + 1.0
    assert compile_expression(text, NAMES)(values) == tree
    assert run("units - price - fixed_cost", units=10, price=3, fixed_cost=5) == 2
    assert run("units / price / fixed_cost", units=60, price=3, fixed_cost=5) == 4
    assert run("units ** price ** fixed_cost", units=2, price=3, fixed_cost=2) == 2 ** 9
