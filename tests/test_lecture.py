"""The code of "The spelled-out intro to neural networks and backpropagation" runs unchanged.

These cells are the lecture's, typed as a learner types them (only the notebook's display
calls are left out), run against ``engine.Value``.
"""

import math
import random

import pytest
from graphviz import Digraph

from engine import OPS, Value


def trace(root):
    # builds a set of all nodes and edges in a graph
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def draw_dot(root):
    dot = Digraph(format="svg", graph_attr={"rankdir": "LR"})  # LR = left to right
    nodes, edges = trace(root)
    for n in nodes:
        uid = str(id(n))
        # for any value in the graph, create a rectangular ('record') node for it
        dot.node(name=uid, label="{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad), shape="record")  # noqa: UP031
        if n._op:
            # if this value is a result of some operation, create an op node for it
            dot.node(name=uid + n._op, label=n._op)
            # and connect this node to it
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        # connect n1 to the op node of n2
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


def test_first_expression_and_manual_grads():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f
    L.label = "L"
    assert L.data == -8.0
    assert d._prev == (e, c) and d._op
    L.grad = 1.0
    L._backward()
    d._backward()
    e._backward()
    assert (a.grad, b.grad, c.grad, f.grad) == (6.0, -4.0, -2.0, 4.0)
    source = draw_dot(L).source
    assert "data -8.0000" in source and "grad 1.0000" in source
    svg = draw_dot(L).pipe(format="svg").decode()
    assert "<svg" in svg


def test_neuron_manual_backward_then_topo_then_backward():
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.grad = 1.0
    o._backward()
    n._backward()
    b._backward()
    x1w1x2w2._backward()
    x2w2._backward()
    x1w1._backward()
    assert o.data == pytest.approx(0.7071, abs=1e-4)
    assert (n.grad, x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((0.5, -1.5, 1.0, 0.5, 0.0))

    topo = []
    visited = set()

    def build_topo(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(o)
    assert topo[-1] is o and len(topo) == 10

    for v in (x1, x2, w1, w2, b):
        v.grad = 0.0
    o.backward()
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0))
    assert "grad 0.5000" in draw_dot(o).source


def test_reuse_bug_is_fixed_and_mixed_operands():
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    b.backward()
    assert a.grad == 2.0
    a = Value(-2.0, label="a")
    b = Value(3.0, label="b")
    d = a * b
    e = a + b
    f = d * e
    f.backward()
    assert (a.grad, b.grad) == (-3.0, -8.0)
    a = Value(2.0)
    assert (a + 1).data == 3.0 and (2 * a).data == 4.0 and (a * 2).data == 4.0
    assert a.exp().data == pytest.approx(math.exp(2.0))
    b = Value(4.0)
    assert (a / b).data == 0.5 and (a - b).data == -2.0 and (a**2).data == 4.0


def test_tanh_expanded_into_exp_and_division():
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    o.label = "o"
    o.backward()
    assert o.data == pytest.approx(0.7071, abs=1e-4)
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0))


# The lecture's own Neuron, Layer and MLP, written as in the lecture (plain classes, not nn's).
class Neuron:
    def __init__(self, nin):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(random.uniform(-1, 1))

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.tanh()

    def parameters(self):
        return self.w + [self.b]


class Layer:
    def __init__(self, nin, nout):
        self.neurons = [Neuron(nin) for _ in range(nout)]

    def __call__(self, x):
        outs = [n(x) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def parameters(self):
        return [p for neuron in self.neurons for p in neuron.parameters()]


class MLP:
    def __init__(self, nin, nouts):
        sz = [nin] + nouts
        self.layers = [Layer(sz[i], sz[i + 1]) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


def test_the_lectures_mlp_trains():
    random.seed(1337)
    n = MLP(3, [4, 4, 1])
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    first = None
    for k in range(50):  # noqa: B007 - the lecture's loop
        ypred = [n(x) for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
        for p in n.parameters():
            p.grad = 0.0
        loss.backward()
        for p in n.parameters():
            p.data += -0.1 * p.grad
        first = loss.data if first is None else first
    assert loss.data < 0.1 * first
    assert [y.data > 0 for y in ypred] == [True, False, False, True]


def test_the_lectures_own_ops_written_with_closures_run_and_backprop():
    # The lecture writes ops as micrograd does: a node with a free op label and a closure.
    def exp(self):
        x = self.data
        out = Value(math.exp(x), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def power(self, other):
        out = Value(self.data**other, (self,), f"**{other}")

        def _backward():
            self.grad += other * (self.data ** (other - 1)) * out.grad

        out._backward = _backward
        return out

    x = Value(0.5, label="x")
    y = power(exp(x), 2)
    assert y._op == "**2"  # drawn and printed as written
    y.backward()
    assert y.data == pytest.approx(math.exp(1.0)) and x.grad == pytest.approx(2 * math.exp(1.0))
    assert "**2" in draw_dot(y).source


def test_the_coming_from_the_lecture_page_runs_as_shown(capsys):
    # docs/lecture.md is where backward's no-rule error sends a learner: every block must run.
    import pathlib
    import re

    page = pathlib.Path(__file__).parent.parent / "docs" / "lecture.md"
    namespace: dict = {}
    before = dict(OPS)
    try:
        for block in re.findall(r"```python\n(.*?)```", page.read_text(), re.S):
            if not block.lstrip().startswith(">>>"):  # REPL sessions run as doctests in test_docs.py
                exec(block, namespace)
    finally:
        assert OPS == before  # the page cleans up the ops it adds
        OPS.clear()
        OPS.update(before)
    printed = capsys.readouterr().out
    assert "0.7071 0.5" in printed and "8.0 12.0" in printed and "2.0 False" in printed
    assert "docs/lecture.md" in printed  # the no-rule error the page shows points back here
