"""The lecture's neuron stepped in a real interactive interpreter, typed one line at a time."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What a learner types.  `-i` keeps prompts on stderr; each expression's value goes to stdout.
SESSION = """\
from engine import Value, Stepper, backward_steps
x1, w1 = Value(2.0, label='x1'), Value(-3.0, label='w1')
x2, w2 = Value(0.0, label='x2'), Value(1.0, label='w2')
b = Value(6.8813735870195432, label='b')
x1w1 = x1*w1; x1w1.label = 'x1*w1'
x2w2 = x2*w2; x2w2.label = 'x2*w2'
x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'
n = x1w1x2w2 + b; n.label = 'n'
o = n.tanh(); o.label = 'o'
steps = backward_steps(o)
n.grad
next(steps)
print('o.grad', o.grad, 'n.grad', n.grad)
for step in steps:
    print(step)

print('x1.grad', x1.grad, 'w1.grad', w1.grad, 'x2.grad', x2.grad, 'w2.grad', w2.grad)
next(steps)
s = Stepper(o)
s.back()
s.step()
s.back()
print('after back: n.grad', n.grad)
"""


def run_session(session: str) -> tuple[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-i", "-q"],
        input=session,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


def printed_numbers(line: str) -> dict[str, float]:
    """'a 1.0 b 0.5' -> {'a': 1.0, 'b': 0.5}"""
    words = line.split()
    return dict(zip(words[::2], map(float, words[1::2])))


@pytest.fixture(scope="module")
def session():
    return run_session(SESSION)


def test_the_learner_sees_one_explained_step_per_next(session):
    out, _ = session
    lines = out.splitlines()
    assert lines[0] == "0.0"  # n.grad: making the generator ran nothing
    assert lines[1] == "o = tanh(n): dL/dn += dL/do * do/dn = 1.0 * 0.5 = 0.5  ->  n.grad = 0.5"
    assert lines[2].strip() == "(tanh: d tanh(a)/da = 1 - tanh(a)^2)"
    assert printed_numbers(lines[3]) == pytest.approx({"o.grad": 1.0, "n.grad": 0.5}, abs=1e-12)
    assert "x1*w1 = x1 * w1: dL/dx1 += dL/d(x1*w1) * d(x1*w1)/dx1 = 0.5 * -3.0 = -1.5  ->  x1.grad = -1.5" in lines


def test_the_lectures_gradients_are_printed(session):
    out, _ = session
    grads = next(line for line in out.splitlines() if line.startswith("x1.grad"))
    expected = {"x1.grad": -1.5, "w1.grad": 1.0, "x2.grad": 0.5, "w2.grad": 0.0}
    assert printed_numbers(grads) == pytest.approx(expected, abs=1e-12)


def test_errors_at_the_prompt_are_clear_and_the_session_goes_on(session):
    out, err = session
    assert "StopIteration" in err  # next() on a finished generator
    assert "RuntimeError: back(): there is no step to undo, no step has been taken yet (0 of 5 steps done)" in err
    # back() after one step: the REPL shows what was undone
    assert "undid step 1 of 5 (o = tanh(n)): n.grad back to 0.0" in out
    assert out.splitlines()[-1] == "after back: n.grad 0.0"
