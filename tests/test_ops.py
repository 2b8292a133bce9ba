"""Every op in the table: its value and local derivatives, at many points inside its domain.

Parametrized over ``engine.OPS``, so an op added to the table is tested here automatically:
its derivatives against central finite differences of its own forward, and (for the
built-in ops) both forward and derivatives against closed forms written out independently.
"""

import itertools
import math

import pytest

import engine
from engine import OPS, Value

# take, max and detach are tested by name below: random floats cannot probe them.
SMOOTH = sorted(name for name, op in OPS.items() if op.smooth)
GRID = [-3.7, -2.0, -1.0, -0.3, -1e-3, 0.0, 1e-3, 0.25, 0.5, 1.0, 1.7, 2.0, 3.0, 4.5]
MANY_INPUTS = [(0.5,), (1.0, -2.0, 3.5), (0.1, 0.2, -0.3, 0.4, 1.5, -2.5)]

# Closed forms, written independently of engine/ops.py: (forward, derivatives).
CLOSED_FORM = {
    "add": (lambda a, b: a + b, lambda a, b: (1, 1)),
    "sub": (lambda a, b: a - b, lambda a, b: (1, -1)),
    "mul": (lambda a, b: a * b, lambda a, b: (b, a)),
    "div": (lambda a, b: a / b, lambda a, b: (1 / b, -a / b**2)),
    "pow": (lambda a, b: a**b, lambda a, b: (b * a ** (b - 1), a**b * math.log(a) if a > 0 else 0.0)),
    "neg": (lambda a: -a, lambda a: (-1,)),
    "abs": (lambda a: abs(a), lambda a: (math.copysign(1, a) if a else 0.0,)),
    "exp": (lambda a: math.e**a, lambda a: (math.e**a,)),
    "log": (lambda a: math.log(a), lambda a: (1 / a,)),
    "sqrt": (lambda a: a**0.5, lambda a: (1 / (2 * a**0.5),)),
    "relu": (lambda a: max(a, 0.0), lambda a: (float(a > 0),)),
    "leaky_relu": (lambda a, s: a if a > 0 else s * a, lambda a, s: (1.0 if a > 0 else s, 0.0 if a > 0 else a)),
    "tanh": (lambda a: (math.e**a - math.e**-a) / (math.e**a + math.e**-a), lambda a: (1 / math.cosh(a) ** 2,)),
    "sigmoid": (lambda a: 1 / (1 + math.e**-a), lambda a: (math.e**-a / (1 + math.e**-a) ** 2,)),
    "softplus": (lambda a: math.log(1 + math.e**a), lambda a: (1 / (1 + math.e**-a),)),
    "sin": (lambda a: math.sin(a), lambda a: (math.cos(a),)),
    "cos": (lambda a: math.cos(a), lambda a: (-math.sin(a),)),
    "sum": (lambda *xs: math.fsum(xs), lambda *xs: (1,) * len(xs)),
    "dot": (
        lambda *a: math.fsum(w * x for w, x in zip(a[: len(a) // 2], a[len(a) // 2 :])),
        lambda *a: a[len(a) // 2 :] + a[: len(a) // 2],
    ),
}


def points(op):
    """Points strictly inside the op's domain and away from its kinks (where FD cannot agree)."""
    if op.arity is None:
        candidates = [xs + xs[::-1] if op.name == "dot" else xs for xs in MANY_INPUTS]
    else:
        candidates = itertools.product(GRID, repeat=op.arity)
    out = []
    for args in candidates:
        if op.check is not None and op.check(*args):
            continue
        if any(abs(args[0] - k) < 1e-2 for k in op.kinks):
            continue
        if op.name == "pow" and (args[0] <= 0.05 or abs(args[1]) > 3):  # keep d/db smooth and FD tame
            continue
        if op.name in ("div", "log", "sqrt") and min(abs(a) for a in args[-1:] + args[:1]) < 0.05:
            continue  # too close to the pole for a 1e-6 central difference
        out.append(args)
    return out


def central_difference(f, args, i, h=1e-6):
    up = list(args)
    down = list(args)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


@pytest.mark.parametrize("name", SMOOTH)
def test_local_derivatives_match_finite_differences(name):
    op = OPS[name]
    pts = points(op)
    assert len(pts) >= 3, f"too few test points for {name}"
    for args in pts:
        out = op.forward(*args)
        local = op.derivatives(out, *args)
        assert len(local) == len(args)
        for i, d in enumerate(local):
            numeric = central_difference(op.forward, args, i)
            assert d == pytest.approx(numeric, rel=1e-5, abs=1e-6), (name, args, i)


@pytest.mark.parametrize("name", sorted(CLOSED_FORM))
def test_forward_and_derivatives_match_closed_form(name):
    op = OPS[name]
    forward, derivatives = CLOSED_FORM[name]
    for args in points(op):
        out = op.forward(*args)
        assert out == pytest.approx(forward(*args), rel=1e-12, abs=1e-12), (name, args)
        expected = derivatives(*args)
        assert op.derivatives(out, *args) == pytest.approx(expected, rel=1e-9, abs=1e-12), (name, args)


def test_every_builtin_op_has_a_closed_form_here():
    builtin = {"add", "sub", "mul", "div", "pow", "neg", "abs", "exp", "log", "sqrt", "relu", "leaky_relu"}
    builtin |= {"tanh", "sigmoid", "softplus", "sin", "cos", "sum", "dot"}
    assert builtin <= set(OPS)
    assert builtin <= set(CLOSED_FORM)


@pytest.mark.parametrize("name", SMOOTH)
def test_op_through_values_matches_table(name):
    """Running the op on Values records one node whose backward applies the table's rule."""
    op = OPS[name]
    args = points(op)[len(points(op)) // 2]
    inputs = [Value(a, label=f"x{i}") for i, a in enumerate(args)]
    out = engine.apply(name, *inputs)
    assert out._op == name and out._prev == tuple(inputs)
    assert out.data == op.forward(*args)
    out.backward()
    assert [v.grad for v in inputs] == list(op.derivatives(out.data, *args))


def test_kinks_follow_pytorch():
    for name in ("relu", "abs"):
        x = Value(0.0)
        engine.apply(name, x).backward()
        assert x.grad == 0.0
    x = Value(0.0)
    x.leaky_relu(0.1).backward()
    assert x.grad == 0.1


# --- the rows that random floats cannot probe: take, max, detach ----------------------------


def test_the_rows_random_floats_cannot_probe_are_marked():
    assert {name for name, op in OPS.items() if not op.smooth} == {"take", "max", "detach"}


def test_take_row_picks_by_the_last_input_and_passes_gradient_to_the_pick_only():
    take = OPS["take"]
    assert take.forward(4.0, 5.0, 6.0, 1.0) == 5.0 and take.forward(4.0, 5.0, 6.0, -1.0) == 6.0
    assert take.derivatives(5.0, 4.0, 5.0, 6.0, 1.0) == (0.0, 1.0, 0.0, 0.0)
    assert take.derivatives(6.0, 4.0, 5.0, 6.0, -1.0) == (0.0, 0.0, 1.0, 0.0)
    assert take.check(4.0, 5.0, 2.0) == "index 2 is out of range for 2 values"
    assert take.check(4.0, 0.5) == "index must be an integer, got 0.5"
    assert take.check(4.0, math.nan) == "index must be an integer, got nan"


def test_max_row_and_detach_row():
    m = OPS["max"]
    assert m.forward(1.0, 3.0, 2.0) == 3.0 and m.derivatives(3.0, 1.0, 3.0, 3.0) == (0.0, 1.0, 0.0)
    assert math.isnan(m.forward(1.0, math.nan, 5.0))
    assert m.derivatives(math.nan, 1.0, math.nan, math.nan) == (0.0, 1.0, 0.0)
    d = OPS["detach"]
    assert d.forward(2.5) == 2.5 and d.derivatives(2.5, 2.5) == (0.0,)


def test_take_and_max_match_torch_float64_away_from_ties():
    torch = pytest.importorskip("torch")
    data = [0.3, -1.2, 2.5, 0.7]
    for i in range(-4, 4):
        xs = [Value(x) for x in data]
        engine.take(xs, i).backward()
        t = torch.tensor(data, dtype=torch.float64, requires_grad=True)
        t[i].backward()
        assert [x.grad for x in xs] == t.grad.tolist()
    xs = [Value(x) for x in data]
    m = engine.max(xs)
    m.backward()
    t = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    t.max().backward()
    assert m.data == t.max().item() and [x.grad for x in xs] == t.grad.tolist()
