"""Safe arithmetic expressions over named variables, e.g. ``units * price - fixed_cost``.

User text is parsed with ``ast`` and only a whitelist of node types is accepted: numbers,
declared variable names, + - * / // % **, unary +/-, and calls of a few named numeric
functions. Anything else (attributes, subscripts, comprehensions, lambdas, strings, keyword
arguments, undeclared names) is rejected with a message; nothing is ever passed to ``eval``.
The result is a closure tree that evaluates on numpy arrays.

Nesting is limited (``MAX_DEPTH``), but a left-associated chain of one operator family —
``a + b - c + …`` or ``a * b / c …``, which is how Python parses a sum or product written
without parentheses — counts as one level: it is compiled as a flat list of operands and
folded left to right, in the same order as the nested tree would be. So a sum of all 100
allowed variables is accepted, while genuinely deep nesting is still refused.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterable, Mapping

import numpy as np

from app.workflows.monte_carlo.checks import finite
from app.workflows.monte_carlo.errors import MonteCarloInputError

MAX_LENGTH = 2000
MAX_DEPTH = 50

Evaluator = Callable[[Mapping[str, np.ndarray]], np.ndarray]

_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}  # fmt: skip
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
#: operators that fold left to right in a chain of the same family (``**`` is right-associative)
_FAMILY = {ast.Add: "sum", ast.Sub: "sum", ast.Mult: "product", ast.Div: "product",
           ast.FloorDiv: "product", ast.Mod: "product"}


def _fold(fn: Callable) -> Callable:
    def apply(*args):
        out = args[0]
        for arg in args[1:]:
            out = fn(out, arg)
        return out

    return apply


FUNCTIONS: dict[str, tuple[Callable, int, int | None]] = {  # name -> (fn, min args, max args)
    "min": (_fold(np.minimum), 2, None),
    "max": (_fold(np.maximum), 2, None),
    "abs": (np.abs, 1, 1),
    "exp": (np.exp, 1, 1),
    "log": (np.log, 1, 1),
    "sqrt": (np.sqrt, 1, 1),
}


class _Compiler:
    def __init__(self, names: frozenset[str], field: str) -> None:
        self.names = names
        self.field = field

    def fail(self, message: str) -> MonteCarloInputError:
        return MonteCarloInputError(self.field, message)

    def number(self, value: int | float) -> float:
        """A literal as a float64; ``10**400`` written out, or ``1e400``, is refused."""
        try:
            return finite(value, self.field)
        except MonteCarloInputError as exc:
            raise self.fail(f"a number in the expression {exc.message}") from None

    def compile(self, node: ast.AST, depth: int = 0) -> Evaluator:
        if depth > MAX_DEPTH:
            raise self.fail("expression is nested too deeply")
        if isinstance(node, ast.Expression):
            return self.compile(node.body, depth + 1)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise self.fail(f"only numeric constants are allowed, got {node.value!r}")
            value = np.float64(self.number(node.value))
            return lambda env: value
        if isinstance(node, ast.Name):
            if node.id not in self.names:
                raise self.fail(f"unknown variable {node.id!r}")
            name = node.id
            return lambda env: env[name]
        if isinstance(node, ast.BinOp) and type(node.op) in _FAMILY:
            return self.compile_chain(node, depth)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            op = _BINARY[type(node.op)]
            left, right = self.compile(node.left, depth + 1), self.compile(node.right, depth + 1)
            return lambda env: op(left(env), right(env))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            op = _UNARY[type(node.op)]
            operand = self.compile(node.operand, depth + 1)
            return lambda env: op(operand(env))
        if isinstance(node, ast.Call):
            return self.compile_call(node, depth)
        raise self.fail(f"{type(node).__name__} is not allowed in an expression")

    def compile_chain(self, node: ast.BinOp, depth: int) -> Evaluator:
        """``((a + b) - c) + d`` as ``a`` then ``[(+, b), (-, c), (+, d)]``: one level deep,
        walked without recursion, evaluated in the same order as the tree."""
        family = _FAMILY[type(node.op)]
        links: list[tuple[Callable, ast.AST]] = []
        while isinstance(node, ast.BinOp) and _FAMILY.get(type(node.op)) == family:
            links.append((_BINARY[type(node.op)], node.right))
            node = node.left
        first = self.compile(node, depth + 1)
        rest = [(op, self.compile(right, depth + 1)) for op, right in reversed(links)]

        def fold(env: Mapping[str, np.ndarray]) -> np.ndarray:
            out = first(env)
            for op, operand in rest:
                out = op(out, operand(env))
            return out
        return fold

    def compile_call(self, node: ast.Call, depth: int) -> Evaluator:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            allowed = ", ".join(sorted(FUNCTIONS))
            raise self.fail(f"only these functions may be called: {allowed}")
        if node.keywords:
            raise self.fail("keyword arguments are not allowed")
        fn, lo, hi = FUNCTIONS[node.func.id]
        if len(node.args) < lo or (hi is not None and len(node.args) > hi):
            raise self.fail(f"{node.func.id}() takes {lo if hi == lo else f'{lo}+'} argument(s)")
        args = [self.compile(arg, depth + 1) for arg in node.args]
        return lambda env: fn(*(arg(env) for arg in args))


def compile_expression(text: str, names: Iterable[str], field: str = "expression") -> Evaluator:
    """Compile ``text`` into a function of a mapping name -> array; raises on anything unsafe."""
    if not isinstance(text, str) or not text.strip():
        raise MonteCarloInputError(field, "must be a non-empty string")
    if len(text) > MAX_LENGTH:
        raise MonteCarloInputError(field, f"must be at most {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise MonteCarloInputError(field, f"invalid syntax: {exc.msg}") from None
    evaluator = _Compiler(frozenset(names), field).compile(tree)

    def evaluate(env: Mapping[str, np.ndarray]) -> np.ndarray:
        with np.errstate(all="ignore"):
            return evaluator(env)

    return evaluate

