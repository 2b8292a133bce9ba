"""gradcheck: compare what ``backward()`` computes with central finite differences.

NB: shaped like ``torch.autograd.gradcheck``.  For every input x_i and every output y_j,
the analytical gradient dy_j/dx_i from ``backward()`` must match the numerical one,
(f(x_i + eps) - f(x_i - eps)) / (2 eps), within ``atol + rtol * |numerical|``.  When it
does not, the error says which output and input disagree, by how much, and why if it
can tell: a point on a kink (relu at 0), a point at the edge of a domain (sqrt at 0), a
function that branches on ``.data``, or the one op of the table whose derivative rule is
wrong.

>>> from engine import Value, gradcheck
>>> x = Value(0.5, label='x')
>>> gradcheck(lambda x: x.tanh() * x, [x])
True
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from .gradcheck_why import DOMAIN_ERRORS, close, kink, trace, wrong_rule
from .text import names_for, op_row, visible
from .value import Value, no_grad, topological_order

__all__ = ["GradcheckError", "gradcheck", "gradcheck_module", "assert_gradients_close", "nodes_near_kinks"]


class GradcheckError(RuntimeError):
    """gradcheck found a gradient that does not match finite differences.

    Besides the message, it keeps what a test may want to look at: ``output_index``,
    ``input_index`` (None in fast mode's random direction), ``analytical``, ``numerical``,
    ``cause`` (``'mismatch'``, ``'wrong derivative'``, ``'kink'``, ``'domain'``, ``'branch'`` or
    ``'not finite'``) and ``op`` (the name of the op to blame, or None).
    """

    def __init__(
        self,
        message: str,
        *,
        cause: str = "mismatch",
        output_index: int | None = None,
        input_index: int | None = None,
        analytical: float | None = None,
        numerical: float | None = None,
        op: str | None = None,
    ):
        super().__init__(message)
        self.cause = cause
        self.output_index = output_index
        self.input_index = input_index
        self.analytical = analytical
        self.numerical = numerical
        self.op = op




# --- public API ---------------------------------------------------------------------------


def gradcheck(
    f: Callable[..., Value | Sequence[Value]],
    inputs: Sequence[Value | float],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    fast_mode: bool = False,
    seed: int = 0,
) -> bool:
    """Check ``backward()`` against central finite differences; True, or raise ``GradcheckError``.

    ``f(*inputs)`` takes Values and returns a Value or a list of Values.  Plain numbers in
    ``inputs`` become Values.  Each input's ``.data`` is moved by ``+-eps`` in place and put
    back; the inputs' ``.grad`` are left as they were.

    ``fast_mode=True`` checks one random direction (seeded by ``seed``) instead of every
    input: 2 evaluations of f instead of 2 per input.  With ``raise_exception=False`` a
    failure returns False instead of raising.

    >>> from engine import Value, register_op, OPS
    >>> gradcheck(lambda a, b: a * b + b.exp(), [2.0, -1.0])
    True
    >>> bad_cube = register_op("bad_cube", lambda a: a ** 3, lambda out, a: (3 * a,))   # should be 3 a^2
    >>> gradcheck(lambda x: bad_cube(x), [Value(2.0, label='x')])
    Traceback (most recent call last):
    ...
    engine.gradcheck.GradcheckError: gradcheck: d(output 0)/d(input 0 'x') does not match...
    ...
    >>> del OPS["bad_cube"]
    """
    if not callable(f):
        raise TypeError(f"gradcheck: f must be a function of Values, got {type(f).__name__} {f!r}")
    points = _as_values(inputs, "gradcheck")
    names = [f"input {i} {v.label!r}" if v.label else f"input {i}" for i, v in enumerate(points)]
    return _check(lambda: f(*points), points, names, eps, atol, rtol, raise_exception, fast_mode, seed)


def gradcheck_module(
    module: object,
    inputs: Sequence[Value | float],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    fast_mode: bool = False,
    seed: int = 0,
) -> bool:
    """gradcheck a module's outputs ``module(inputs)`` with respect to all its parameters.

    Any object with ``named_parameters()`` (or ``parameters()``) and a ``__call__`` works, so
    every nn module can be checked.  Values among ``inputs`` are checked too; plain numbers
    are constants.  Errors name the parameter: ``'layers.0.neurons.1.w.0'``.

    >>> from engine import Value
    >>> class Scale:
    ...     def __init__(self): self.w = Value(3.0, label='w')
    ...     def parameters(self): return [self.w]
    ...     def __call__(self, xs): return [(self.w * x).tanh() for x in xs]
    >>> gradcheck_module(Scale(), [0.1, Value(-0.2, label='x')])
    True
    """
    if not callable(module):
        raise TypeError(f"gradcheck_module: module must be callable, got {type(module).__name__} {module!r}")
    if hasattr(module, "named_parameters"):
        named = list(module.named_parameters())
    elif hasattr(module, "parameters"):
        named = [(p.label, p) for p in module.parameters()]
    else:
        raise TypeError(
            f"gradcheck_module: {type(module).__name__} has neither named_parameters() nor parameters()"
        )
    inputs = list(inputs)
    points, names = [], []
    for name, p in named:
        if not isinstance(p, Value):
            raise TypeError(f"gradcheck_module: parameter {name!r} must be a Value, got {type(p).__name__} {p!r}")
        points.append(p)
        names.append(f"parameter {name!r}")
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            points.append(x)
            names.append(f"inputs[{i}] {x.label!r}" if x.label else f"inputs[{i}]")
    if not points:
        raise ValueError(f"gradcheck_module: {type(module).__name__} has no parameters and no Value inputs to check")
    return _check(lambda: module(inputs), points, names, eps, atol, rtol, raise_exception, fast_mode, seed)


def assert_gradients_close(
    f: Callable[..., Value | Sequence[Value]], inputs: Sequence[Value | float], **options: object
) -> None:
    """``assert``-style gradcheck for pytest: raises AssertionError with gradcheck's message.

    Takes gradcheck's keyword options (eps, atol, rtol, fast_mode, seed).

    >>> assert_gradients_close(lambda x: x.sigmoid(), [0.3])
    >>> assert_gradients_close(lambda x: x.relu(), [0.0])
    Traceback (most recent call last):
    ...
    AssertionError: gradcheck: d(output 0)/d(input 0) does not match, but the point sits on a kink...
    ...
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not this one
    try:
        gradcheck(f, inputs, raise_exception=True, **options)
    except GradcheckError as err:
        raise AssertionError(str(err)) from None


def nodes_near_kinks(outputs: Value | Sequence[Value], margin: float = 0.0) -> list[tuple[Value, float]]:
    """Nodes whose op has a kink within ``margin`` of the node's first input: (node, kink) pairs.

    >>> from engine import Value
    >>> x = Value(0.0, label='x')
    >>> [(n._op, k) for n, k in nodes_near_kinks(x.relu() + x.tanh())]
    [('relu', 0.0)]
    """
    found = []
    for node in _graph(_as_outputs(outputs, "nodes_near_kinks")):
        op = op_row(node)
        if op is None or not op.kinks:
            continue
        for at in op.kinks:
            if abs(node._prev[0].data - at) <= margin:
                found.append((node, at))
    return found


# --- the check ----------------------------------------------------------------------------


def _check(evaluate, points, names, eps, atol, rtol, raise_exception, fast_mode, seed) -> bool:
    for option, value in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= sys.float_info.max:
            raise ValueError(f"gradcheck: {option} must be a finite number >= 0, got {visible(repr(value), 60)}")
    if eps == 0:
        raise ValueError("gradcheck: eps must be > 0, got 0")
    try:
        _run_check(evaluate, points, names, eps, atol, rtol, fast_mode, seed)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _run_check(evaluate, points, names, eps, atol, rtol, fast_mode, seed) -> None:
    try:
        outputs = _as_outputs(evaluate(), "gradcheck: f")
    except DOMAIN_ERRORS as err:
        raise GradcheckError(
            f"gradcheck: f cannot be evaluated at the given point, which is outside an op's domain:\n  {err}",
            cause="domain",
        ) from err
    if not outputs:
        raise ValueError("gradcheck: f returned no outputs, so there is nothing to check; return the Value "
                         "(or list of Values) whose gradients you want checked")
    analytical = _analytical(outputs, points)  # analytical[j][i] = d(output j)/d(point i)
    if fast_mode:
        rng = random.Random(seed)
        direction = [rng.gauss(0.0, 1.0) for _ in points]
        norm = math.sqrt(sum(d * d for d in direction)) or 1.0
        direction = [d / norm for d in direction]
        numerical = _central_difference(evaluate, points, direction, eps, "a random direction")
        for j, row in enumerate(analytical):
            along = sum(g * d for g, d in zip(row, direction))
            if not close(along, numerical[j], atol, rtol):
                # Find which input is wrong with the full check; it only costs more on failure.
                _run_check(evaluate, points, names, eps, atol, rtol, False, seed)
                raise GradcheckError(
                    f"gradcheck (fast mode): d(output {j}) along a random direction does not match.\n"
                    + _numbers(along, numerical[j], eps, atol, rtol),
                    output_index=j,
                    analytical=along,
                    numerical=numerical[j],
                )
        return
    for i, name in enumerate(names):
        direction = [1.0 if k == i else 0.0 for k in range(len(points))]
        numerical = _central_difference(evaluate, points, direction, eps, name)
        for j, row in enumerate(analytical):
            if not close(row[i], numerical[j], atol, rtol):
                head = f"gradcheck: d(output {j})/d({name}) does not match"
                fields = dict(output_index=j, input_index=i, analytical=row[i], numerical=numerical[j])
                numbers = _numbers(row[i], numerical[j], eps, atol, rtol)
                raise _explain(evaluate, outputs, points, direction, name, head, numbers, fields, (eps, atol, rtol))


def _analytical(outputs: list[Value], points: list[Value]) -> list[list[float]]:
    """d(output j)/d(point i) for every j and i, from one backward() per output; grads restored."""
    graph = _graph(outputs)
    saved = {id(v): (v, v.grad) for v in list(graph) + points}
    rows = []
    try:
        for out in outputs:
            for v, _ in saved.values():
                v.grad = 0.0
            out.backward()
            rows.append([p.grad for p in points])
    finally:
        for v, grad in saved.values():
            v.grad = grad
    return rows


def _central_difference(evaluate, points, direction, eps, where) -> list[float]:
    """(f(x + eps d) - f(x - eps d)) / 2 eps for each output, with the points put back after."""
    results = []
    for sign in (1.0, -1.0):
        try:
            with _moved(points, direction, sign * eps), no_grad():
                results.append([o.data for o in _as_outputs(evaluate(), "gradcheck: f")])
        except DOMAIN_ERRORS as err:
            raise GradcheckError(
                f"gradcheck: f is not defined at {where} {'+' if sign > 0 else '-'} eps (eps={eps!r}): "
                f"the point is within eps of the edge of an op's domain, where finite differences "
                f"cannot be taken.\n  {err}",
                cause="domain",
            ) from err
    plus, minus = results
    if len(plus) != len(minus):
        raise GradcheckError(
            f"gradcheck: f returned {len(plus)} outputs at {where} + eps but {len(minus)} at {where} - eps",
            cause="branch",
        )
    return [(a - b) / (2.0 * eps) for a, b in zip(plus, minus)]


@contextmanager
def _moved(points: list[Value], direction: list[float], step: float) -> Iterator[None]:
    """Move each point's data by step * direction_i for the duration of a with block."""
    saved = [p.data for p in points]
    for p, x, d in zip(points, saved, direction):
        p.data = x + step * d
    try:
        yield
    finally:
        for p, x in zip(points, saved):
            p.data = x


def _numbers(analytical: float, numerical: float, eps: float, atol: float, rtol: float) -> str:
    return (
        f"  analytical (backward):          {analytical!r}\n"
        f"  numerical (central difference): {numerical!r}   (eps={eps!r})\n"
        f"  |difference| = {abs(analytical - numerical):.6g} > atol + rtol * |numerical| "
        f"= {atol + rtol * abs(numerical):.6g}"
    )


# --- explaining a mismatch ----------------------------------------------------------------


def _explain(evaluate, outputs, points, direction, name, head, numbers, fields, tolerances) -> GradcheckError:
    """Build the GradcheckError for a mismatch, saying why when the graph tells us."""
    eps, atol, rtol = tolerances
    if not (math.isfinite(fields["analytical"]) and math.isfinite(fields["numerical"])):
        return GradcheckError(
            f"{head}: a gradient is not finite, the function is not differentiable here.\n{numbers}",
            cause="not finite",
            **fields,
        )
    # Rebuild the graph at x - eps and x + eps: same ops in the same order, or f branched.
    center = _graph(outputs)
    traces = [trace(center, points)]
    for sign in (-1.0, 1.0):
        # Read the numbers inside the with block: the points' data is put back after it.
        with _moved(points, direction, sign * eps):
            traces.append(trace(_graph(_as_outputs(evaluate(), "gradcheck: f")), points))
    shapes = [shape for shape, _ in traces]
    if shapes[0] != shapes[1] or shapes[0] != shapes[2]:
        return GradcheckError(
            f"{head}: f builds a different graph at {name} +- eps, so it is not differentiable here "
            f"(does it branch on .data, e.g. with an if or max()?).\n{numbers}",
            cause="branch",
            **fields,
        )
    names = names_for(center, {})
    on_kink = kink(center, traces, names)
    if on_kink:
        message = f"{head}, but the point sits on a kink: {on_kink[1]}\n{numbers}"
        return GradcheckError(message, cause="kink", op=on_kink[0], **fields)
    for node in center:
        blame = wrong_rule(node, names[node], eps, atol, rtol) if node._prev else None
        if blame:
            return GradcheckError(
                f"{head}.\n{numbers}\nLikely cause: {blame}", cause="wrong derivative", op=node._op, **fields
            )
    return GradcheckError(f"{head}.\n{numbers}", **fields)


# --- small helpers --------------------------------------------------------------------------


def _as_values(inputs: Sequence[Value | float], where: str) -> list[Value]:
    if isinstance(inputs, (Value, int, float)):
        raise TypeError(f"{where}: inputs must be a list of Values or numbers, got a single {type(inputs).__name__}")
    values = []
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            values.append(x)
        elif isinstance(x, (int, float)) and not isinstance(x, bool):
            values.append(Value(x))
        else:
            raise TypeError(f"{where}: inputs[{i}] must be a Value or a number, got {type(x).__name__} {x!r}")
    if not values:
        raise ValueError(f"{where}: needs at least one input, got an empty list")
    return values


def _as_outputs(result: object, where: str) -> list[Value]:
    """f's result as a list of Values: a Value, or a (nested) list or tuple of them."""
    if isinstance(result, Value):
        return [result]
    if isinstance(result, (list, tuple)):
        outputs = []
        for item in result:
            outputs.extend(_as_outputs(item, where))
        return outputs
    raise TypeError(f"{where} must return a Value or a list of Values, got {type(result).__name__} {result!r}")


def _graph(outputs: list[Value]) -> list[Value]:
    """Every node of several outputs' graphs, inputs before the nodes computed from them."""
    seen, order = set(), []
    for out in outputs:
        for node in topological_order(out):
            if node not in seen:
                seen.add(node)
                order.append(node)
    return order
