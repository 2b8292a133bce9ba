"""engine.strategies: what each strategy draws, how it shrinks, and the properties the engine must have."""

import math

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from engine import OPS, Value, gradcheck, jvp, tangents
from engine.gradcheck import nodes_near_kinks
from engine.strategies import Instruction, Program, floats_in_domain, programs, values

BUILTIN_OPS = sorted(name for name, op in OPS.items() if op.smooth)


# --- floats_in_domain and values ------------------------------------------------------------


@pytest.mark.parametrize("name", BUILTIN_OPS)
def test_floats_in_domain_stay_inside_the_domain_and_off_the_kinks(name):
    op = OPS[name]

    @given(floats_in_domain(op))
    def check(args):
        assert op.arity is None or len(args) == op.arity
        assert all(-3.0 <= a <= 3.0 for a in args)
        assert op.check is None or op.check(*args) is None
        assert all(abs(args[0] - kink) > 1e-3 for kink in op.kinks)
        out = op.forward(*args)
        assert math.isfinite(out) and abs(out) <= 1e3

    check()


def test_floats_in_domain_shrink_toward_zero_then_just_off_an_edge():
    assert find(floats_in_domain("tanh"), lambda args: True) == (0.0,)
    (x,) = find(floats_in_domain("sqrt"), lambda args: True)
    assert 1e-3 < x <= 1.0  # 0 itself is too close to sqrt's edge
    assert find(floats_in_domain("dot"), lambda args: True) == (0.0, 0.0)  # one weight, one input


def test_floats_in_domain_refuses_an_unknown_op():
    with pytest.raises(ValueError, match="floats_in_domain: unknown op 'nope'; known ops: add, "):
        floats_in_domain("nope")


@given(values(min_value=-1.0, max_value=2.0, label="w"))
def test_values_are_labelled_leaves_in_range(v):
    assert isinstance(v, Value) and v.is_leaf
    assert v.label == "w" and -1.0 <= v.data <= 2.0 and v.grad == 0.0


# --- programs: shape, repr, reuse, shrinking ---------------------------------------------------


@given(programs(n_inputs=3, max_nodes=6))
def test_programs_point_only_at_earlier_nodes_and_stay_in_the_domain(program):
    assert program.n_inputs == 3 and 1 <= len(program.instructions) <= 6
    for k, ins in enumerate(program.instructions):
        node = program.n_inputs + k
        assert all(a < node for a in ins.args if isinstance(a, int))
        assert any(isinstance(a, int) for a in ins.args)  # never all constants
    xs = program.values()
    assert [x.label for x in xs] == ["x0", "x1", "x2"]
    outputs = program(*xs)  # apply() would raise outside a domain
    assert outputs and all(math.isfinite(o.data) for o in outputs)
    # A kink is allowed only where moving the inputs does not move the op's input (relu(relu(-1))).
    for node, _ in nodes_near_kinks(outputs, 1e-3):
        assert all(tangents(node, {x: 1.0})[node._prev[0]] == 0.0 for x in xs)


def test_program_repr_reads_like_a_program():
    p = Program(
        (0.5, -1.0),
        (
            Instruction("mul", (0, 0)),
            Instruction("leaky_relu", (2, 0.1)),
            Instruction("neg", (1,)),
            Instruction("dot", (3, 1, 0, 4)),
        ),
    )
    assert repr(p) == (
        "Program(inputs=(0.5, -1.0), outputs=[v5]):\n"
        "  v2 = x0 * x0\n"
        "  v3 = leaky_relu(v2, 0.1)\n"
        "  v4 = -x1\n"
        "  v5 = dot(v3, x1, x0, v4)"
    )
    (out,) = p(*p.values())
    assert out.data == 0.25 * 0.5 + -1.0 * 1.0
    with pytest.raises(TypeError, match="Program: takes 2 input Value"):
        p(Value(1.0))


def test_reuse_comes_up_by_itself():
    # x * x: one node used twice by one instruction; a shared subexpression: used by two.
    square = find(programs(n_inputs=2, ops=["mul", "tanh"]), lambda p: any(i.args == (1, 1) for i in p.instructions))
    assert square.instructions == (Instruction("mul", (1, 1)),)

    def shared(p):
        uses = [a for i in p.instructions for a in i.args if isinstance(a, int) and a >= p.n_inputs]
        return len(uses) != len(set(uses))

    p = find(programs(n_inputs=1, ops=["tanh", "sin"]), shared)
    assert len(p.instructions) == 3  # v1 = tanh(x0); v2 = tanh(v1); v3 = tanh(v1)


def test_programs_shrink_to_the_fewest_nodes():
    # Any program using exp and log shrinks to exactly those two instructions.
    def uses_exp_and_log(p):
        return {"exp", "log"} <= {i.op for i in p.instructions}

    strategy = programs(n_inputs=3, max_nodes=8, ops=["add", "mul", "tanh", "exp", "log"])
    p = find(strategy, uses_exp_and_log, settings=settings(max_examples=1000, derandomize=True, database=None))
    assert repr(p) == "Program(inputs=(0.0, 0.0, 0.0), outputs=[v4]):\n  v3 = exp(x2)\n  v4 = log(v3)"


def test_programs_use_only_the_ops_given():
    @given(programs(n_inputs=1, ops=["sin", OPS["mul"]]))
    def check(p):
        assert {i.op for i in p.instructions} <= {"sin", "mul"}

    check()


def test_programs_refuse_bad_options():
    with pytest.raises(ValueError, match="n_inputs must be an int >= 1, got 0"):
        programs(n_inputs=0)
    with pytest.raises(ValueError, match="max_nodes must be an int >= 1, got 2.5"):
        programs(max_nodes=2.5)
    with pytest.raises(ValueError, match="programs: unknown op 'maximum'"):
        programs(ops=["maximum"])
    with pytest.raises(ValueError, match="ops must name at least one op"):
        programs(ops=[])


# --- the properties the engine must have -------------------------------------------------------


@given(programs(n_inputs=3, max_nodes=10))
def test_random_programs_over_all_ops_pass_gradcheck(program):
    assert gradcheck(program, program.values())


@given(programs(n_inputs=3, max_nodes=10), st.lists(st.floats(-1, 1), min_size=3, max_size=3))
def test_reverse_mode_agrees_with_forward_mode(program, direction):
    xs = program.values()
    outputs, tangents = jvp(program, xs, direction)
    for out, tangent in zip(outputs, tangents):
        for x in xs:
            x.grad = 0.0
        out.backward()
        reverse = [x.grad for x in xs]
        along = math.fsum(g * d for g, d in zip(reverse, direction))
        scale = math.fsum(abs(g * d) for g, d in zip(reverse, direction))
        assert tangent == pytest.approx(along, rel=1e-9, abs=1e-12 * (1 + scale))
