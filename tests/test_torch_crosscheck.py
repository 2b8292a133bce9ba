"""Cross-check values and gradients of random programs against PyTorch in float64.

An extra, on top of gradcheck and forward mode: it runs only where torch is installed
(``pytest.importorskip``), and needs nothing of torch to pass elsewhere.
"""

import math

import pytest
from hypothesis import given

from engine import OPS
from engine.strategies import programs

torch = pytest.importorskip("torch")
F = torch.nn.functional

# Each op of the table written with torch, on float64 scalars.
TORCH = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
    "neg": lambda a: -a,
    "abs": torch.abs,
    "exp": torch.exp,
    "log": torch.log,
    "sqrt": torch.sqrt,
    "relu": torch.relu,
    "leaky_relu": lambda a, s: torch.where(a > 0, a, s * a),
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "softplus": F.softplus,
    "sin": torch.sin,
    "cos": torch.cos,
    "sum": lambda *xs: torch.stack(xs).sum(),
    "dot": lambda *xs: torch.dot(torch.stack(xs[: len(xs) // 2]), torch.stack(xs[len(xs) // 2 :])),
}


def run_in_torch(program):
    """The program's outputs, and d(sum of outputs)/d(inputs), computed by torch."""
    xs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in program.inputs]
    nodes = list(xs)
    for ins in program.instructions:
        args = [nodes[a] if isinstance(a, int) else torch.tensor(a, dtype=torch.float64) for a in ins.args]
        nodes.append(TORCH[ins.op](*args))
    outputs = [nodes[i] for i in program.output_indices()]
    torch.stack(outputs).sum().backward()
    return [o.item() for o in outputs], [0.0 if x.grad is None else x.grad.item() for x in xs]


def test_the_torch_table_covers_every_builtin_op():
    assert set(TORCH) == {name for name, op in OPS.items() if op.smooth}


@given(programs(n_inputs=3, max_nodes=10, ops=list(TORCH)))
def test_random_programs_match_torch_float64(program):
    xs = program.values()
    outputs = program(*xs)
    total = outputs[0] if len(outputs) == 1 else sum(outputs[1:], outputs[0])
    total.backward()
    torch_values, torch_grads = run_in_torch(program)
    assert [o.data for o in outputs] == pytest.approx(torch_values, rel=1e-12, abs=1e-12)
    for x, g in zip(xs, torch_grads):
        assert math.isclose(x.grad, g, rel_tol=1e-9, abs_tol=1e-9), (x.label, x.grad, g)
