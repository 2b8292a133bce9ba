"""The engine core: the node, grad semantics, numerics, errors, depth and determinism."""

import gc
import math
import subprocess
import sys
import textwrap

import pytest

import engine
from engine import AnomalyError, Value, detect_anomaly, no_grad
from engine.value import rule_of

# --- the node ------------------------------------------------------------------------------


def test_data_is_coerced_to_float():
    v = Value(3)
    assert type(v.data) is float and v.data == 3.0
    assert v.grad == 0.0 and v._prev == () and v._op == "" and v.label == ""


@pytest.mark.parametrize(
    "bad, shown",
    [(True, "bool True"), ("2.0", "str '2.0'"), (None, "NoneType None"), (1j, "complex 1j"), ([1.0], "list [1.0]")],
)
def test_bad_data_is_refused_naming_what_was_given(bad, shown):
    with pytest.raises(TypeError, match="data must be a real number") as err:
        Value(bad)
    assert shown in str(err.value)


def test_a_value_as_data_is_refused_with_a_hint():
    with pytest.raises(TypeError, match="already a Value"):
        Value(Value(1.0))


def test_nan_and_inf_are_accepted_as_data():
    assert math.isnan(Value(float("nan")).data)
    assert Value(float("inf")).data == math.inf


def test_repr():
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"
    assert repr(Value(2, label="a")) == "Value(data=2.0, grad=0.0, label='a')"


def test_slots_no_dict_and_no_closure():
    v = Value(1.0)
    assert not hasattr(v, "__dict__")
    with pytest.raises(AttributeError):
        v.something = 1
    # the rule lives in the table: the node only names its op
    assert (v * 2)._op == "mul"


def test_prev_is_an_ordered_tuple_keeping_duplicates():
    a, b = Value(2.0), Value(3.0)
    assert (a * a)._prev == (a, a)
    assert (b - a)._prev == (b, a)


def test_item_float_is_leaf():
    a = Value(2.5)
    b = a * 2
    assert a.item() == 2.5 and float(b) == 5.0
    assert a.is_leaf and not b.is_leaf


def test_ordering_compares_data_and_max_works():
    a, b, c = Value(1.0), Value(3.0), Value(2.0)
    assert a < b and b > c and a <= 1 and 3 >= b and not (c < 1.5)
    assert max([a, b, c]) is b
    with pytest.raises(TypeError):
        a < "x"  # noqa: B015


def test_equality_and_hash_are_identity():
    a, b = Value(2.0), Value(2.0)
    assert a != b and a == a
    assert len({a, b}) == 2


def test_constructor_with_children_and_op():
    a, b = Value(2.0), Value(3.0)
    c = Value(a.data * b.data, (a, b), "*")  # micrograd's symbol is understood
    assert c._op == "*" and rule_of(c) is engine.OPS["mul"]
    c.backward()
    assert (a.grad, b.grad) == (3.0, 2.0)
    with pytest.raises(TypeError, match="_children must be Values"):
        Value(1.0, (1.0,), "neg")


# --- every operator, with numbers on either side -----------------------------------------


def test_operators_with_plain_numbers_on_either_side():
    x = Value(2.0)
    cases = {
        "2 * x": (2 * x, 4.0, 2.0),
        "x * 2": (x * 2, 4.0, 2.0),
        "1 - x": (1 - x, -1.0, -1.0),
        "x - 1": (x - 1, 1.0, 1.0),
        "2 / x": (2 / x, 1.0, -0.5),
        "x / 4": (x / 4, 0.5, 0.25),
        "2 ** x": (2**x, 4.0, 4.0 * math.log(2)),
        "x ** 3": (x**3, 8.0, 12.0),
        "1 + x": (1 + x, 3.0, 1.0),
        "-x": (-x, -2.0, -1.0),
        "abs(-x)": (abs(-x), 2.0, 1.0),
    }
    for text, (y, value, grad) in cases.items():
        x.grad = 0.0
        y.backward()
        assert y.data == pytest.approx(value), text
        assert x.grad == pytest.approx(grad), text


def test_value_exponent_gets_its_gradient():
    x, y = Value(2.0), Value(3.0)
    z = x**y
    z.backward()
    assert z.data == 8.0
    assert x.grad == 12.0
    assert y.grad == pytest.approx(8.0 * math.log(2.0))


def test_sub_div_neg_are_single_nodes():
    a, b = Value(1.0), Value(2.0)
    assert (a - b)._op == "sub" and (a / b)._op == "div" and (-a)._op == "neg"
    assert len(engine.topological_order(a - b)) == 3


def test_unsupported_operand_gives_pythons_type_error():
    x = Value(1.0)
    for bad in ("a", None, [1], True):
        with pytest.raises(TypeError):
            x + bad
        with pytest.raises(TypeError):
            bad * x


def test_sum_and_dot_are_one_node_each():
    ws = [Value(1.0), Value(2.0), Value(-1.0)]
    xs = [Value(3.0), Value(4.0), 5.0]
    d = engine.dot(ws, xs)
    assert d._op == "dot" and len(d._prev) == 6 and d.data == 6.0
    d.backward()
    assert [w.grad for w in ws] == [3.0, 4.0, 5.0]
    assert [x.grad for x in xs[:2]] == [1.0, 2.0]
    s = engine.sum(ws)
    assert s._op == "sum" and s.data == 2.0
    with pytest.raises(ValueError, match="2 weights and 3 inputs"):
        engine.dot(ws[:2], xs)
    with pytest.raises(ValueError, match="empty"):
        engine.sum([])
    with pytest.raises(TypeError, match="sum: values must be Values or real numbers, got str 'x'"):
        engine.sum([Value(1.0), "x"])


# --- micrograd's two tests, their exact numbers, no PyTorch --------------------------------


def test_micrograd_sanity_check():
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert y.data == -20.0
    assert x.grad == 46.0


def test_micrograd_more_ops():
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    assert g.data == pytest.approx(24.70408163265306, abs=1e-6)
    assert a.grad == pytest.approx(138.83381924198252, abs=1e-6)
    assert b.grad == pytest.approx(645.5772594752186, abs=1e-6)


# --- grad semantics ------------------------------------------------------------------------


def test_reuse_accumulates_over_every_edge():
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert (a.grad, b.grad, c.grad) == (4.0, 2.0, 1.0)


def test_backward_twice_leaves_accumulate_interior_recomputed():
    x = Value(2.0)
    h = x * x
    y = h * 3
    y.backward()
    assert (x.grad, h.grad, y.grad) == (12.0, 3.0, 1.0)
    y.backward()
    assert (x.grad, h.grad, y.grad) == (24.0, 3.0, 1.0)
    y.zero_grad()
    assert (x.grad, h.grad, y.grad) == (0.0, 0.0, 0.0)


def test_gradient_argument_scales_leaf_grads():
    x, w = Value(2.0), Value(-3.0)
    y = (x * w).tanh()
    y.backward()
    base = (x.grad, w.grad)
    x.grad = w.grad = 0.0
    y.backward(gradient=2.5)
    assert (x.grad, w.grad) == pytest.approx((2.5 * base[0], 2.5 * base[1]))
    with pytest.raises(TypeError, match="gradient"):
        y.backward(gradient="1")


def test_backward_on_a_leaf_accumulates_the_gradient():
    x = Value(1.0)
    x.backward()
    x.backward(2.0)
    assert x.grad == 3.0


def test_manual_backward_like_the_lecture():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x2w2 = x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    o.grad = 1.0
    for node in (o, n, b, x1w1x2w2, x2w2, x1w1):
        node._backward()
    assert n.grad == pytest.approx(0.5)
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0))
    assert b._backward() == ()


def test_topological_order_lists_inputs_first():
    a = Value(1.0)
    b = a * 2
    c = b + a
    order = engine.topological_order(c)
    assert order[-1] is c and order.index(a) < order.index(b)
    assert len(order) == 4
    with pytest.raises(TypeError, match="expected a Value"):
        engine.topological_order(3.0)


def test_same_program_same_grads_in_every_process():
    program = textwrap.dedent(
        """
        import random
        from engine import Value
        rng = random.Random(1)
        xs = [Value(rng.uniform(-1, 1)) for _ in range(20)]
        acc = xs[0]
        for i in range(300):
            a, b = xs[rng.randrange(20)], xs[rng.randrange(20)]
            acc = (acc * a + b).tanh() + acc * 0.5
        acc.backward()
        print([x.grad.hex() for x in xs])
        """
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", program],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin", "PYTHONPATH": "."},
        ).stdout
        for seed in ("0", "1", "2")
    }
    assert len(runs) == 1


# --- depth and memory ----------------------------------------------------------------------


def test_million_node_chain_forward_and_backward_without_recursion():
    program = textwrap.dedent(
        """
        import sys
        from engine import Value
        assert sys.getrecursionlimit() == 1000
        x = Value(0.5)
        y = x
        for _ in range(1_000_000):
            y = y * 1.0000001
        y.backward()
        print(x.grad)
        del y  # freeing a million-deep graph must not crash either
        print("freed")
        """
    )
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env={"PYTHONPATH": "."})
    assert out.returncode == 0, out.stderr
    grad, freed = out.stdout.split()
    assert float(grad) == pytest.approx(1.0000001**1_000_000, rel=1e-6)
    assert freed == "freed"


def test_dropping_the_root_frees_the_graph_without_the_garbage_collector():
    gc.collect()
    gc.disable()
    try:
        x = Value(1.0)
        y = x
        for _ in range(1000):
            y = (y * 1.5).tanh() + x
        y.backward()
        del y, x
        assert gc.collect() == 0  # nothing was left for the cycle collector: no cycles per node
    finally:
        gc.enable()


# --- numerics ------------------------------------------------------------------------------


def test_stable_where_the_result_is_finite():
    for x, op, value, grad in [
        (1000.0, "tanh", 1.0, 0.0),
        (-1000.0, "tanh", -1.0, 0.0),
        (-1000.0, "sigmoid", 0.0, 0.0),
        (1000.0, "sigmoid", 1.0, 0.0),
        (1000.0, "softplus", 1000.0, 1.0),
        (-1000.0, "softplus", 0.0, 0.0),
    ]:
        v = Value(x)
        y = engine.apply(op, v)
        y.backward()
        assert (y.data, v.grad) == (value, grad), (op, x)


# --- errors: the op, the numbers and the node ----------------------------------------------


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda x: x.log(), "log: input must be > 0, got -1.0 (node 'x')"),
        (lambda x: (x + 1).log(), "log: input must be > 0, got 0.0 (node 't1')"),
        (lambda x: x.sqrt(), "sqrt: input must be >= 0, got -1.0 (node 'x')"),
        (lambda x: x**0.5, "pow: a negative base needs an integer exponent, got -1.0 ** 0.5 (nodes 'x', "),
        (lambda x: (x + 1) ** -1, "pow: 0 cannot be raised to a negative power, got 0.0 ** -1.0"),
        (lambda x: 1 / (x + 1), "div: division by zero, got 1.0 / 0.0 (nodes '1.0', 't1')"),
        (lambda x: x / Value(0.0, label="z"), "div: division by zero, got -1.0 / 0.0 (nodes 'x', 'z')"),
    ],
)
def test_domain_errors_name_op_input_and_node(make, message):
    x = Value(-1.0, label="x")
    with pytest.raises(ValueError) as err:
        make(x)
    assert str(err.value).startswith(message)


def test_exp_overflow_names_the_node():
    with pytest.raises(OverflowError, match=r"exp: the result is too large for a float, got 1000.0 \(node 'big'\)"):
        Value(1000.0, label="big").exp()
    with pytest.raises(OverflowError, match="pow"):
        Value(10.0) ** 400


def test_micrograd_silently_returns_complex_here_we_refuse():
    with pytest.raises(ValueError, match="negative base"):
        Value(-8.0) ** (1 / 3)


# --- no_grad and anomaly mode ------------------------------------------------------------


def test_no_grad_records_nothing_and_restores():
    w = Value(2.0)
    with no_grad():
        assert not engine.is_grad_enabled()
        y = (w * 3 + 1).tanh()
    assert engine.is_grad_enabled()
    assert y.is_leaf and y.data == pytest.approx(math.tanh(7.0))
    z = w * 3
    assert z._prev == (w, z._prev[1])


def test_detect_anomaly_forward_names_the_node():
    x = Value(float("inf"), label="x")
    with detect_anomaly():
        with pytest.raises(AnomalyError, match=r"mul produced nan from inf \* 0.0 \(nodes 'x'"):
            x * 0
    assert (x * 0).data != (x * 0).data  # outside the mode NaN flows on silently


def test_detect_anomaly_backward_names_node_and_input():
    x = Value(0.0, label="x")
    y = x.sqrt()  # d sqrt/dx is inf at 0
    y.label = "y"
    with detect_anomaly():
        with pytest.raises(AnomalyError, match="backward through sqrt node 'y'.*input 0 'x'.*inf"):
            y.backward()
    assert issubclass(AnomalyError, ValueError)


def test_custom_op_returning_wrong_number_of_derivatives_is_named():
    engine.register_op("bad_twice", lambda a: 2 * a, lambda out, a: (2.0, 1.0))
    try:
        y = engine.apply("bad_twice", Value(1.0, label="x"))
        y.label = "y"
        with pytest.raises(ValueError, match="bad_twice: derivatives at node 'y' returned 2 value.* for 1 input"):
            y.backward()
    finally:
        del engine.OPS["bad_twice"]


# --- micrograd's way: free op labels and _backward closures --------------------------------


def micrograd_tanh(self):
    # The lecture's own code, as typed in the video.
    x = self.data
    t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
    out = Value(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - t**2) * out.grad

    out._backward = _backward
    return out


def micrograd_relu(self):
    out = Value(0 if self.data < 0 else self.data, (self,), "ReLU")

    def _backward():
        self.grad += (out.data > 0) * out.grad

    out._backward = _backward
    return out


def test_a_closure_assigned_to_backward_runs_in_backward():
    x = Value(0.5, label="x")
    y = micrograd_tanh(x) * 2
    y.backward()
    assert x.grad == pytest.approx(2 * (1 - math.tanh(0.5) ** 2), rel=1e-15)
    assert rule_of(y._prev[0]) is not engine.OPS["tanh"] and callable(rule_of(y._prev[0]))
    z = micrograd_relu(Value(-1.0)) + micrograd_relu(x)
    assert z._prev[0]._op == "ReLU"  # a free label, kept as written
    z.backward()
    assert x.grad == pytest.approx(2 * (1 - math.tanh(0.5) ** 2) + 1.0)


def test_backward_pass_yields_none_as_the_local_derivatives_of_a_closure_node():
    x = Value(0.5)
    t = micrograd_tanh(x)
    y = t * 3
    steps = list(engine.backward_pass(y))
    assert [(node, local) for node, local in steps] == [(y, (3.0, t.data)), (t, None)]
    assert engine.value.local_derivatives(t) is None and engine.value.local_derivatives(y) == (3.0, t.data)


def test_a_node_with_a_label_but_no_rule_explains_both_ways_to_give_one():
    a = Value(2.0, label="a")
    y = Value(a.data**2, (a,), "**2", label="y")
    assert y._op == "**2" and rule_of(y) is None
    with pytest.raises(ValueError) as err:
        y.backward()
    message = str(err.value)
    assert "node 'y' (op '**2') has inputs but no rule" in message
    assert "engine.register_op" in message and "recommended" in message and "out._backward = f" in message
    assert "docs/lecture.md" in message
    assert a.grad == 0.0
    y._backward = lambda: None  # micrograd's way fixes it
    y.backward()


def test_manual_backward_by_hand_works_for_closure_and_table_nodes():
    x = Value(0.5)
    t = micrograd_tanh(x)
    y = t * 2
    y.grad = 1.0
    y._backward()
    t._backward()
    assert x.grad == pytest.approx(2 * (1 - math.tanh(0.5) ** 2))
    with pytest.raises(TypeError, match="_backward must be a function"):
        y._backward = 3


# --- take, max, detach ---------------------------------------------------------------------


def test_take_picks_one_value_and_only_it_gets_the_gradient():
    xs = [Value(1.0), Value(5.0), Value(3.0)]
    y = engine.take(xs, -1) * 2
    y.backward()
    assert y.data == 6.0 and [x.grad for x in xs] == [0.0, 0.0, 2.0]
    index = Value(1.0, label="i")
    z = engine.take(xs, index)
    assert z._prev[-1] is index and z.data == 5.0
    z.backward()
    assert index.grad == 0.0 and xs[1].grad == 1.0


def test_take_uses_the_graph_input_of_a_traced_int():
    class TracedInt(int):
        pass

    i = TracedInt(2)
    i.graph_input = Value(2.0, label="i")
    y = engine.take([1.0, 2.0, 7.0], i)
    assert y._prev[-1] is i.graph_input and y.data == 7.0


@pytest.mark.parametrize(
    "index, error, message",
    [
        (3, ValueError, "take: index 3 is out of range for 3 values"),
        (-4, ValueError, "take: index -4 is out of range for 3 values"),
        (Value(1.5), ValueError, "take: index must be an integer, got 1.5"),
        (1.0, TypeError, "take: index must be an int or a Value holding one, got float 1.0"),
        (True, TypeError, "take: index must be an int"),
        (10**400, ValueError, "take: index is too large for a float"),
    ],
)
def test_take_refuses_bad_indices_naming_index_and_length(index, error, message):
    with pytest.raises(error, match=message):
        engine.take([Value(1.0), Value(2.0), Value(3.0)], index)


def test_max_is_one_node_and_the_first_largest_gets_the_gradient():
    xs = [Value(1.0), Value(3.0), Value(3.0)]
    y = engine.max(xs)
    y.backward()
    assert y.data == 3.0 and len(y._prev) == 3 and [x.grad for x in xs] == [0.0, 1.0, 0.0]
    assert math.isnan(engine.max([1.0, math.nan, 2.0]).data)
    with pytest.raises(ValueError, match="max: needs at least one"):
        engine.max([])


def test_detach_is_a_node_with_no_gradient_through_it():
    x = Value(3.0)
    d = x.detach()
    assert d.data == 3.0 and d._prev == (x,)
    y = x * d
    y.backward()
    assert x.grad == 3.0


# --- names -------------------------------------------------------------------------------


def test_node_names_come_from_labels_auto_names_or_numbers():
    from engine.value import name_nodes, node_name

    x = Value(2.0, label="x")
    a = x * 3
    t1 = Value(0.0, label="t1")  # a label already using t1
    b = a + t1
    c = b.tanh()
    c.label = "out"
    assert node_name(Value(0.1 + 0.2)) == "0.3" and node_name(Value(12345678.0)) == "1.23457e+07"
    name_nodes(engine.topological_order(c))
    assert [node_name(n) for n in (x, a, b, c)] == ["x", "t2", "t3", "out"]
    name_nodes(engine.topological_order(c * 2))  # names already given are kept
    assert node_name(a) == "t2"
    d = (x * 4).exp()  # named first by node_name (an error message): its graph is numbered as the views do
    assert node_name(d) == "t2" and node_name(d._prev[0]) == "t1"


# --- the fast paths give exactly what the readable paths give ------------------------------


def test_operator_fast_path_makes_the_same_nodes_as_apply():
    from engine.backward import chain_rule

    rng = __import__("random").Random(3)
    for _ in range(200):
        a, b = Value(rng.uniform(-3, 3)), rng.choice([rng.uniform(-3, 3), Value(rng.uniform(-3, 3)), 2])
        for name, fast in [("add", a + b), ("sub", a - b), ("mul", a * b), ("pow", abs(a) ** 1.5)]:
            inputs = fast._prev
            slow = engine.apply(name, *inputs)
            assert (fast.data, fast._op, fast._prev, rule_of(fast), fast.label) == (
                slow.data, slow._op, slow._prev, rule_of(slow), slow.label)  # fmt: skip
            constant = inputs[1]
            assert isinstance(b, Value) or (constant.is_leaf and constant._op == constant.label == "")
            assert rule_of(constant) is None or constant is b
    # backward's inline chain rule against chain_rule, node by node, on a random graph
    xs = [Value(rng.uniform(-1, 1)) for _ in range(5)]
    y = xs[0]
    for _ in range(300):
        y = (y * rng.choice(xs) + rng.choice(xs)).tanh() - y * 0.5
    y.backward()
    fast = [x.grad for x in xs]
    for x in xs:
        x.grad = 0.0
    order = engine.topological_order(y)
    for node in order:
        if not node.is_leaf:
            node.grad = 0.0
    y.grad = 1.0
    for node in reversed(order):
        if not node.is_leaf:
            chain_rule(node)
    assert [x.grad for x in xs] == fast


def test_the_backward_fast_path_does_not_accept_a_two_input_rule_returning_the_wrong_kind():
    for derivative in (lambda out, a, b: [1.0, 2.0], lambda out, a, b: (1, 2), lambda out, a, b: (1j, 1.0)):
        with engine.scoped_op("pair", lambda a, b: a + b, derivative, arity=2) as pair:
            x = Value(1.0)
            y = pair(x, 2.0)
            if derivative(0, 0, 0)[0] == 1j:
                with pytest.raises(TypeError, match="complex"):
                    y.backward()
            else:
                y.backward()
                assert x.grad == 1.0 and type(x.grad) is float


# --- the core's layout ---------------------------------------------------------------------

CORE_IMPORTS = {  # each core module and the core modules it may import; nothing else of the package
    "ops": set(),
    "switches": set(),
    "backward": {"ops", "switches"},
    "value": {"ops", "switches", "backward"},
    "functions": {"ops", "backward", "value"},
}


def test_the_core_imports_only_the_standard_library_and_lower_core_modules():
    import ast
    import pathlib

    root = pathlib.Path(engine.__file__).parent
    for name, allowed in CORE_IMPORTS.items():
        source = (root / f"{name}.py").read_text()
        assert len(source.splitlines()) <= 400, name
        used = set()
        for node in ast.walk(ast.parse(source)):  # late imports inside functions included
            if isinstance(node, ast.ImportFrom) and node.level:
                used |= {node.module} if node.module else {alias.name for alias in node.names}
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                top = (node.module if isinstance(node, ast.ImportFrom) else node.names[0].name).split(".")[0]
                assert top in sys.stdlib_module_names, (name, top)
        assert used <= allowed, (name, used - allowed)


def test_an_int_operand_on_the_fast_path_is_the_same_constant_lifting_makes():
    x = Value(1.5)
    for k in (2, -7, 0, 2**1022, -(2**1022)):
        for fast, slow in [(x * k, engine.apply("mul", x, Value(float(k)))),
                           (k - x, engine.apply("sub", Value(float(k)), x))]:
            constant = fast._prev[1] if fast._prev[0] is x else fast._prev[0]
            assert type(constant.data) is float and constant.data == float(k) and constant.is_leaf
            assert fast.data == slow.data
    for huge in (2**1024, -(2**1100)):  # past the fast path's bound: the readable path's ValueError
        with pytest.raises(ValueError, match="too large for a float"):
            x * huge
