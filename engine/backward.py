"""The backward pass: names for nodes, the topological walk, and the chain rule, written once.

A node's rule is the op of the table that made it (its local derivatives come from the
table), a micrograd-style ``_backward`` closure, or nothing for a leaf.  ``backward_pass``
walks the graph from the output back to the inputs and, at each node, adds
d(node)/d(input) * d(L)/d(node) to each input's grad.  Use these through ``engine`` or
``engine.value``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Iterator

from . import switches
from .ops import OPS, Op
from .switches import AnomalyError

__all__ = ["node_name", "name_nodes", "rule_of", "local_derivatives", "topological_order", "backward_pass"]

# --- numbers and names: one function each, for every view and message --------------------


def as_float(x: object, what: str = "Value: data") -> float:
    """x as a float, or a TypeError/ValueError that says what was given as ``what``."""
    if type(x) is float:
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        hint = " (it is already a Value: use it directly, or its .data)" if hasattr(x, "_rule") else ""
        raise TypeError(f"{what} must be a real number (int or float), got {shown(x)}{hint}")
    try:
        return float(x)
    except OverflowError:
        raise ValueError(f"{what} is too large for a float (at most about 1.8e308), got {shown(x)}") from None


def shown(x: object) -> str:
    """ "str '1'" or "an int of 401 digits": what was given, short enough for a message."""
    if isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > 64:
        digits = len(str(abs(x))) if x.bit_length() < 10_000 else "thousands of"
        return f"an int of {digits} digits"
    text = repr(x)
    return f"{type(x).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def node_name(node) -> str:
    """How every view and message names a node: its label, else its auto-name, else its number.

    >>> from engine import Value
    >>> x = Value(2.0, label='x'); y = x * 3
    >>> node_name(x), node_name(Value(3.0))
    ('x', '3.0')
    >>> name_nodes(topological_order(y)); node_name(y)
    't1'
    """
    if node.label:
        return node.label
    if node._name:
        return node._name
    text = repr(node._data)
    return text if len(text) <= 10 else f"{node._data:.6g}"


def name_nodes(order: Iterable) -> None:
    """Give every unlabelled, unnamed computed node in ``order`` an auto-name: t1, t2, ...

    The numbers are the smallest not already used by a node of ``order``, in order; a node
    keeps its auto-name, so every view of it says the same.
    """
    order = list(order)
    used = {node.label or node._name for node in order}
    k = 0
    for node in order:
        if node._prev and not node.label and not node._name:
            k += 1
            while f"t{k}" in used:
                k += 1
            node._name = f"t{k}"


def _quoted(node) -> str:
    return repr(node_name(node))


# --- rules ---------------------------------------------------------------------------------


def rule_of(node) -> Op | Callable[[], object] | None:
    """The node's derivative rule: the Op that made it, a ``_backward`` closure, or None.

    >>> from engine import Value
    >>> rule_of(Value(2.0) * 3)
    Op('mul', symbol='*')
    """
    return node._rule


def table_rule(label: str, n_inputs: int) -> Op | None:
    """The rule for Value(..., _op=label): a table op named or written so ('mul', '*'), else None."""
    if not n_inputs:
        return None
    candidates = [OPS[label]] if label in OPS else [op for op in OPS.values() if op.symbol == label]
    return next((op for op in candidates if op.arity in (None, n_inputs)), None)


def local_derivatives(node) -> tuple[float, ...] | None:
    """d(node)/d(input) for each input, from the node's table rule (None for a closure or a leaf).

    >>> from engine import Value
    >>> local_derivatives(Value(2.0) * 3)
    (3.0, 2.0)
    """
    rule = node._rule
    return _local(node, rule) if isinstance(rule, Op) and node._prev else None


def _local(node, op: Op) -> tuple[float, ...]:
    """The op's derivatives at the node's inputs, checked: one float per input."""
    prev = node._prev
    try:  # one and two inputs spelled out: building a list per node is slow
        if len(prev) == 2:
            local = op.derivatives(node._data, prev[0]._data, prev[1]._data)
        elif len(prev) == 1:
            local = op.derivatives(node._data, prev[0]._data)
        else:
            local = op.derivatives(node._data, *[p._data for p in prev])
    except Exception as err:
        raise op_error(op, "derivatives", err, prev, node) from err
    if op in _BUILT_IN:  # the table's own rows are tested (tests/test_ops.py): no checks here
        return local
    if type(local) is tuple and len(local) == len(prev):
        for d in local:
            if type(d) is not float:
                break
        else:
            return local
    return _checked_local(op, local, node)


_BUILT_IN = frozenset(OPS.values())  # every op in the table before any user adds one


def _checked_local(op: Op, local: object, node) -> tuple[float, ...]:
    """Derivatives a custom rule returned, made floats, or a ValueError/TypeError saying what is wrong."""
    n = len(node._prev)
    where = f"{op.name}: derivatives at node {_quoted(node)}"
    if not isinstance(local, (tuple, list)):
        raise TypeError(
            f"{where} returned {type(local).__name__} {local!r}; it must return a tuple "
            f"of {n} float(s), one d(out)/d(input) per input, e.g. (2.0,)"
        )
    if len(local) != n:
        raise ValueError(
            f"{where} returned {len(local)} value(s) for {n} input(s); it must return one d(out)/d(input) per input"
        )
    for i, d in enumerate(local):
        if isinstance(d, bool) or not isinstance(d, numbers.Real):
            raise TypeError(
                f"{where} returned {shown(d)} for input {i}; derivatives must be real numbers (int or float)"
            )
    return tuple(as_float(d, f"{where}: the derivative for input {i}") for i, d in enumerate(local))


def op_error(op: Op, part: str, err: Exception, inputs: tuple, node=None) -> Exception:
    """An error from inside an op's forward or derivatives, named: the op, the node, the inputs."""
    where = describe(op, inputs)
    if isinstance(err, OverflowError):
        return OverflowError(f"{op.name}: the result is too large for a float, got {where}")
    if part == "forward" and isinstance(err, (ValueError, ZeroDivisionError)):
        return ValueError(f"{op.name}: {err}, got {where}")  # a domain the op's check did not foresee
    at = f" at node {_quoted(node)}" if node is not None else ""
    kind = TypeError if isinstance(err, TypeError) else ValueError
    return kind(f"{op.name}: its {part} raised {type(err).__name__}: {err}{at}, for {where}")


def describe(op: Op, inputs: tuple) -> str:
    """'-1.0 (node 'x')' or '1.0 / 0.0 (nodes 'a', 'b')': the numbers and who they are."""
    shown = inputs if len(inputs) <= 6 else (*inputs[:5], inputs[-1])
    values = [repr(v._data) for v in shown]
    if len(inputs) > 6:
        values.insert(5, f"... {len(inputs)} inputs ...")
    if op.is_infix:
        numbers = f"{values[0]} {op.symbol} {values[1]}"
    elif len(values) == 1:
        numbers = values[0]
    else:
        numbers = f"{op.name}({', '.join(values)})"
    names = ", ".join(_quoted(v) for v in shown)
    return f"{numbers} (node{'s' if len(inputs) > 1 else ''} {names})"


# --- walking the graph -------------------------------------------------------------------


def topological_order(root) -> list:
    """Every node ``root`` depends on, each listed after all of its inputs; root last.

    An explicit stack instead of recursion (a million-node chain is fine), and inputs
    taken in ``_prev`` order, so the order is the same in every process.

    >>> from engine import Value
    >>> a = Value(1.0, label='a'); b = a * 2; c = b + a
    >>> [node_name(n) for n in topological_order(c)]
    ['a', '2.0', '2.0', '3.0']
    """
    if not hasattr(root, "_prev") or not hasattr(root, "_rule"):
        raise TypeError(f"topological_order: expected a Value, got {type(root).__name__} {root!r}")
    order = []
    visited = {root}
    # A depth-first walk without recursion.  `node` is the node being looked at and `i` how
    # many of its inputs have been looked at; going down into an input puts the pair on
    # two plain lists, coming back takes it off.  No Python object is made per node, so
    # the walk leaves no garbage for the collector.
    path: list = []
    seen: list[int] = []
    node, inputs, i = root, root._prev, 0
    n = len(inputs)
    while True:
        while i < n:
            child = inputs[i]
            i += 1
            if child not in visited:
                visited.add(child)
                if child._prev:  # go down into it, and come back to input i afterwards
                    path.append(node)
                    seen.append(i)
                    node, inputs, i = child, child._prev, 0
                    n = len(inputs)
                else:
                    order.append(child)  # a leaf: nothing below it
        order.append(node)  # all its inputs are listed
        if not path:
            return order
        node, i = path.pop(), seen.pop()
        inputs = node._prev
        n = len(inputs)


def backward_pass(root, gradient: float = 1.0) -> Iterator[tuple]:
    """The backward pass as a generator: each ``next()`` applies one node's chain rule.

    Yields ``(node, local)``: ``local`` is the tuple of local derivatives the node's table
    rule gave, or None for a node with a ``_backward`` closure.  ``Value.backward()`` runs
    it to the end; the stepper runs it one step at a time.  Nothing runs until the first
    ``next()``.
    """
    gradient = as_float(gradient, "backward: gradient")
    order = topological_order(root)
    # Interior grads are recomputed on each call; leaves keep theirs and accumulate.
    for node in order:
        if node._prev:
            if node._rule is None:
                raise no_rule_error(node)
            node.grad = 0.0
    root.grad = gradient if root._prev else root.grad + gradient
    anomaly = switches.is_anomaly_enabled()
    for node in reversed(order):
        prev = node._prev
        if not prev:
            continue
        rule = node._rule
        if type(rule) is Op and len(prev) == 2 and not anomaly:
            # Fast path for two-input table nodes (``python -m benchmarks``: the chain's
            # backward runs ~20% faster): chain_rule, inline.  Anything unusual (an error,
            # a result that is not two floats) takes chain_rule, which explains it.
            a, b = prev
            try:
                local = rule.derivatives(node._data, a._data, b._data)
            except Exception:
                local = None
            if type(local) is tuple and len(local) == 2 and type(local[0]) is float and type(local[1]) is float:
                grad = node.grad
                a.grad += local[0] * grad
                b.grad += local[1] * grad
                yield node, local
                continue
        local = chain_rule(node)
        if anomaly:
            _check_grads(node, local)
        yield node, local


def chain_rule(node) -> tuple[float, ...] | None:
    """Add d(node)/d(input) * d(L)/d(node) to each input's grad: the chain rule, once.

    Returns the local derivatives used, or None when the node's rule is a closure.
    """
    rule = node._rule
    if not isinstance(rule, Op):
        if rule is None:
            raise no_rule_error(node)
        rule()  # a micrograd closure adds to its inputs' grads itself
        return None
    local = _local(node, rule)
    grad = node.grad
    prev = node._prev
    if len(prev) == 2:  # fast path: most nodes have two inputs; the loop below, unrolled
        prev[0].grad += local[0] * grad
        prev[1].grad += local[1] * grad
    else:
        for parent, d in zip(prev, local):
            parent.grad += d * grad  # d(L)/d(parent) += d(node)/d(parent) * d(L)/d(node)
    return local


def no_rule_error(node) -> ValueError:
    name = _quoted(node)
    return ValueError(
        f"backward: node {name} (op {node._op!r}) has inputs but no rule for its local derivatives. "
        f"Give it one: register the op with engine.register_op(name, forward, derivatives) and make "
        f"the node with it (recommended: the table's rule is tested, drawn and stepped), or assign a "
        f"closure as micrograd does: out._backward = f, where f adds d(out)/d(input) * out.grad to "
        f"each input's .grad"
    )


def _check_grads(node, local: tuple | None) -> None:
    """detect_anomaly's backward check: the grads this node just passed to its inputs."""
    for i, parent in enumerate(node._prev):
        if not math.isfinite(parent.grad):
            used = f"; local derivative {local[i]!r}" if local is not None else ""
            raise AnomalyError(
                f"detect_anomaly: backward through {node._op} node {_quoted(node)} "
                f"(value {node._data!r}, grad {node.grad!r}) gave input {i} {_quoted(parent)} "
                f"(value {parent._data!r}) the gradient {parent.grad!r}{used}"
            )
