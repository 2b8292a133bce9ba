"""Forward mode: push tangents from the inputs to the outputs, using the same op table as backward.

Reverse mode (``backward()``) gives every input's gradient of one output; forward mode
gives one directional derivative of every output: with tangents t_i on the inputs, each
node's tangent is  sum_i d(node)/d(input_i) * tangent(input_i),  visited inputs first.
Both read their local derivatives from the op table (``local_derivatives``), so agreeing on random programs checks the
graph walks and the chain rule, not the table (gradcheck checks the table).

NB: ``torch.autograd.functional.jvp``.

>>> from engine import Value, jvp
>>> x, y = Value(2.0), Value(3.0)
>>> jvp(lambda x, y: x * y, [x, y], [1.0, 0.0])   # d(x*y)/dx = y
(Value(data=6.0, grad=0.0), 3.0)
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping, Sequence

from .value import Value, local_derivatives, node_name, topological_order

__all__ = ["jvp", "tangents"]


def tangents(outputs: Value | Sequence[Value], seeds: Mapping[Value, float]) -> dict[Value, float]:
    """The tangent of every node the outputs depend on, given the tangents of some leaves.

    ``seeds`` maps input nodes to their tangents; every other leaf has tangent 0.
    Dict keys are nodes themselves (Values hash by identity).

    >>> from engine import Value
    >>> x = Value(3.0)
    >>> y = x * x
    >>> tangents(y, {x: 1.0})[y]   # dy/dx = 2x
    6.0
    """
    if not isinstance(seeds, Mapping):
        raise TypeError(
            f"tangents: seeds must map input Values to their tangents, e.g. {{x: 1.0}}, "
            f"got {type(seeds).__name__} {seeds!r}"
        )
    seeds = {node: _tangent(t, f"seeds[{node_name(node)!r}]") for node, t in seeds.items()}
    roots = [outputs] if isinstance(outputs, Value) else list(outputs)
    tangent: dict[Value, float] = {}
    for root in roots:
        if not isinstance(root, Value):
            raise TypeError(f"tangents: outputs must be Values, got {type(root).__name__} {root!r}")
        for node in topological_order(root):
            if node in tangent:
                continue
            if not node._prev:
                tangent[node] = seeds.get(node, 0.0)
                continue
            local = local_derivatives(node)
            if local is None:
                raise ValueError(
                    f"tangents: node {node_name(node)!r} was made by a rule written in Python ({node._op or 'no op'}), "
                    f"whose local derivatives forward mode cannot read; register the op with engine.register_op"
                )
            # The chain rule forwards: one term per edge, so x*x counts x twice, as backward does.
            tangent[node] = sum((d * tangent[p] for d, p in zip(local, node._prev)), 0.0)
    return tangent


def jvp(
    f: Callable[..., Value | Sequence[Value]], inputs: Sequence[Value], directions: Sequence[float]
) -> tuple[Value | list[Value], float | list[float]]:
    """Run ``f(*inputs)`` and return its output(s) and their derivative(s) along ``directions``.

    The derivative of output y along direction t is  sum_i dy/dx_i * t_i.  For a list of
    outputs, a list of derivatives comes back.

    >>> from engine import Value
    >>> a = Value(1.0)
    >>> jvp(lambda a: [a.exp(), -a], [a], [2.0])
    ([Value(data=2.718281828459045, grad=0.0), Value(data=-1.0, grad=0.0)], [5.43656365691809, -2.0])
    """
    inputs = list(inputs)
    directions = list(directions)
    if len(inputs) != len(directions):
        raise ValueError(
            f"jvp: needs one direction per input, got {len(inputs)} inputs and {len(directions)} directions"
        )
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"jvp: inputs[{i}] must be a Value, got {type(x).__name__} {x!r}")
    seeds: dict[Value, float] = {}
    for i, (x, t) in enumerate(zip(inputs, directions)):
        seeds[x] = seeds.get(x, 0.0) + _tangent(t, f"directions[{i}]")  # the same Value given twice moves twice
    out = f(*inputs)
    outs = [out] if isinstance(out, Value) else list(out)
    tangent = tangents(outs, seeds)
    derivs = [tangent[o] for o in outs]
    return (out, derivs[0]) if isinstance(out, Value) else (out, derivs)


def _tangent(t: object, what: str) -> float:
    """A tangent as a float, or a TypeError naming it (bools, strings, complex numbers and Values refused)."""
    if isinstance(t, bool) or not isinstance(t, numbers.Real):
        raise TypeError(f"forward mode: {what} must be a real number, got {type(t).__name__} {t!r}")
    return float(t)
