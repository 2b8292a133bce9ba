"""Stepping is backward(): on random programs, bit for bit, however the steps go back and forth."""

import math
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Stepper, Value, apply, backward_steps, topological_order

# Ops whose values stay finite however they are chained (no exp, log or division).
UNARY = ("neg", "tanh", "sigmoid", "sin", "cos", "relu", "abs", "softplus")
BINARY = ("add", "sub", "mul")


@st.composite
def programs(draw):
    """(input values, steps): each step an op applied to earlier nodes, so reuse comes up.

    A step is (op name, indices of earlier nodes); shrinking removes steps and moves the
    indices and values toward 0.  A program with no steps is a lone leaf.
    """
    inputs = draw(st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=1, max_size=3))
    steps = []
    for i in range(draw(st.integers(0, 8))):
        earlier = st.integers(0, len(inputs) + i - 1)
        kind = draw(st.sampled_from(("unary", "binary", "sum", "dot", "custom")))
        if kind == "custom":  # micrograd's way: a free op label and a _backward closure
            steps.append((draw(st.sampled_from(sorted(CUSTOM))), (draw(earlier), draw(earlier))))
        elif kind == "unary":
            steps.append((draw(st.sampled_from(UNARY)), (draw(earlier),)))
        elif kind == "binary":
            steps.append((draw(st.sampled_from(BINARY)), (draw(earlier), draw(earlier))))
        elif kind == "sum":
            steps.append(("sum", tuple(draw(st.lists(earlier, min_size=1, max_size=4)))))
        else:
            half = draw(st.integers(1, 2))
            steps.append(("dot", tuple(draw(st.lists(earlier, min_size=2 * half, max_size=2 * half)))))
    return inputs, steps


def custom_mul(a, b):
    out = Value(a.data * b.data, (a, b), "times")

    def _backward():
        a.grad += b.data * out.grad
        b.grad += a.data * out.grad

    out._backward = _backward
    return out


def custom_tanh_sum(a, b):
    out = Value(math.tanh(a.data + b.data), (a, b), "tanh(a+b)")

    def _backward():
        d = (1 - out.data**2) * out.grad
        a.grad += d
        b.grad += d

    out._backward = _backward
    return out


CUSTOM = {"custom_mul": custom_mul, "custom_tanh_sum": custom_tanh_sum}


def build(program, leaf_grads=0.0):
    """A fresh graph for the program; its output is the last node."""
    inputs, steps = program
    nodes = [Value(x, label=f"x{i}") for i, x in enumerate(inputs)]
    for leaf in nodes:
        leaf.grad = leaf_grads
    for op, args in steps:
        inputs = [nodes[i] for i in args]
        nodes.append(CUSTOM[op](*inputs) if op in CUSTOM else apply(op, *inputs))
    return nodes[-1]


def bits(root):
    """Every grad of the graph as its exact bit pattern (so -0.0 differs from 0.0)."""
    return [struct.pack("<d", node.grad) for node in topological_order(root)]


gradients = st.sampled_from([1.0, -0.5, 3.0])


@settings(max_examples=150, deadline=None)
@given(programs(), gradients, st.sampled_from([0.0, 0.25]))
def test_stepping_to_the_end_is_backward_bit_for_bit(program, gradient, leaf_grads):
    expected = build(program, leaf_grads)
    expected.backward(gradient)
    stepped = build(program, leaf_grads)
    steps = list(backward_steps(stepped, gradient))
    assert len(steps) == max(1, sum(1 for n in topological_order(stepped) if n._prev))
    assert bits(stepped) == bits(expected)


@settings(max_examples=150, deadline=None)
@given(programs(), gradients, st.data())
def test_any_walk_back_and_forth_ends_at_backward(program, gradient, data):
    expected = build(program)
    expected.backward(gradient)
    root = build(program)
    s = Stepper(root, gradient)
    for move in data.draw(st.lists(st.sampled_from(("step", "back", "reset", "run_to")), max_size=12)):
        if move == "step" and s.position < len(s):
            s.step()
        elif move == "back" and s.position > 0:
            s.back()
        elif move == "reset":
            s.reset()
        elif move == "run_to":
            s.run_to(data.draw(st.sampled_from(topological_order(root))))
    for _ in s:
        pass
    assert bits(root) == bits(expected)


@settings(max_examples=150, deadline=None)
@given(programs(), st.data())
def test_back_then_step_restores_the_same_state(program, data):
    root = build(program)
    s = Stepper(root)
    for _ in range(data.draw(st.integers(0, len(s) - 1))):
        s.step()
    before = bits(root) if s.position else None  # before the first step nothing is set up yet
    s.step()
    after = bits(root)
    s.back()
    if before is not None:
        assert bits(root) == before
    s.step()
    assert bits(root) == after
