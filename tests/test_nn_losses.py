"""Tests of nn's losses and softmax: values against their formulas, gradients against analytic values
and central finite differences, numerical stability, and refusals."""

import math

import pytest

from engine import Value
from nn import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    log_softmax,
    logsumexp,
    mse_loss,
    softmax,
)


def values(xs):
    return [Value(x) for x in xs]


def grads_and_finite_differences(f, xs, eps=1e-6):
    """Gradients of f (a function of a list of Values returning one Value) by backward and by
    central differences at the point xs."""
    inputs = values(xs)
    f(inputs).backward()
    numeric = []
    for i in range(len(xs)):
        up = list(xs)
        down = list(xs)
        up[i] += eps
        down[i] -= eps
        numeric.append((f(values(up)).data - f(values(down)).data) / (2 * eps))
    return [v.grad for v in inputs], numeric


def sigmoid(z):
    return 1 / (1 + math.exp(-z))


def test_mse_value_and_gradients():
    pred, target = [0.5, -1.25, 2.0], [1.0, 0.0, 2.5]
    assert mse_loss(values(pred), target).data == pytest.approx(sum((p - t) ** 2 for p, t in zip(pred, target)) / 3)
    assert mse_loss(values(pred), target, reduction="sum").data == pytest.approx(0.25 + 1.5625 + 0.25)
    analytic, numeric = grads_and_finite_differences(lambda v: mse_loss(v, target), pred)
    assert analytic == pytest.approx([2 * (p - t) / 3 for p, t in zip(pred, target)])
    assert analytic == pytest.approx(numeric, abs=1e-6)


def test_hinge_value_and_gradients():
    scores, labels = [0.3, -2.0, 0.9, -0.2], [1, -1, -1, 1]
    expected = [max(0.0, 1 - y * s) for s, y in zip(scores, labels)]  # 0.7, 0, 1.9, 1.2
    assert hinge_loss(values(scores), labels).data == pytest.approx(sum(expected) / 4)
    analytic, numeric = grads_and_finite_differences(lambda v: hinge_loss(v, labels), scores)
    assert analytic == pytest.approx([-y / 4 if m > 0 else 0.0 for y, m in zip(labels, expected)])
    assert analytic == pytest.approx(numeric, abs=1e-6)


def test_bce_with_logits_value_gradients_and_stability():
    logits, targets = [0.4, -1.5, 3.0], [1.0, 0.0, 0.25]
    expected = [-(y * math.log(sigmoid(z)) + (1 - y) * math.log(1 - sigmoid(z))) for z, y in zip(logits, targets)]
    assert binary_cross_entropy_with_logits(values(logits), targets).data == pytest.approx(sum(expected) / 3)
    analytic, numeric = grads_and_finite_differences(lambda v: binary_cross_entropy_with_logits(v, targets), logits)
    assert analytic == pytest.approx([(sigmoid(z) - y) / 3 for z, y in zip(logits, targets)])
    assert analytic == pytest.approx(numeric, abs=1e-6)
    z = Value(1000.0)
    loss = binary_cross_entropy_with_logits(z, 0.0)
    loss.backward()
    assert loss.data == 1000.0 and z.grad == 1.0
    assert binary_cross_entropy_with_logits(Value(-1000.0), 0.0).data == 0.0


def test_cross_entropy_value_gradients_and_stability():
    scores = [1.0, -0.5, 2.0]
    probs = [math.exp(s) / sum(math.exp(t) for t in scores) for s in scores]
    assert cross_entropy(values(scores), 2).data == pytest.approx(-math.log(probs[2]))
    analytic, numeric = grads_and_finite_differences(lambda v: cross_entropy(v, 2), scores)
    assert analytic == pytest.approx([p - (i == 2) for i, p in enumerate(probs)])
    assert analytic == pytest.approx(numeric, abs=1e-6)
    big = values([1000.0, 999.0, -1000.0])
    loss = cross_entropy(big, 1)
    loss.backward()
    assert loss.data == pytest.approx(1 + math.log1p(math.exp(-1)))
    assert all(math.isfinite(v.grad) for v in big)
    assert sum(v.grad for v in big) == pytest.approx(0.0, abs=1e-12)


def test_cross_entropy_batch_is_the_mean_of_the_examples():
    batch = [[0.0, 5.0], [3.0, 3.0], [2.0, -1.0]]
    targets = [1, 0, 0]
    each = [cross_entropy(values(row), t).data for row, t in zip(batch, targets)]
    assert cross_entropy([values(r) for r in batch], targets).data == pytest.approx(sum(each) / 3)
    assert cross_entropy([values(r) for r in batch], targets, reduction="sum").data == pytest.approx(sum(each))


def test_losses_agree_with_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rows, targets = [[0.2, -1.0, 3.0], [1.5, 0.5, -0.5]], [0, 2]
    ours = cross_entropy([values(r) for r in rows], targets).data
    assert ours == pytest.approx(F.cross_entropy(torch.tensor(rows, dtype=torch.float64), torch.tensor(targets)).item())
    logits, ys = [0.7, -2.0, 5.0], [1.0, 0.0, 0.5]
    theirs = F.binary_cross_entropy_with_logits(torch.tensor(logits, dtype=torch.float64), torch.tensor(ys).double())
    assert binary_cross_entropy_with_logits(values(logits), ys).data == pytest.approx(theirs.item())


def test_softmax_values_and_jacobian():
    scores = [0.5, -1.0, 2.0]
    p = [math.exp(s) / sum(math.exp(t) for t in scores) for s in scores]
    assert [v.data for v in softmax(values(scores))] == pytest.approx(p)
    for i in range(3):
        analytic, numeric = grads_and_finite_differences(lambda v, i=i: softmax(v)[i], scores)
        assert analytic == pytest.approx([p[i] * ((i == j) - p[j]) for j in range(3)])
        assert analytic == pytest.approx(numeric, abs=1e-6)
    assert [v.data for v in softmax(values([1000.0, 1000.0, -1000.0]))] == [0.5, 0.5, 0.0]
    assert [v.data for v in log_softmax(values(scores))] == pytest.approx([math.log(q) for q in p])
    assert logsumexp(values([1000.0, 1000.0])).data == pytest.approx(1000 + math.log(2))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: mse_loss(values([1.0, 2.0]), [1.0]), ValueError, "got 2 output.*but 1 target"),
        (lambda: mse_loss([], []), ValueError, "at least one output"),
        (lambda: mse_loss([1.0], [1.0]), TypeError, "output 0 must be a Value"),
        (lambda: mse_loss(values([1.0]), ["a"]), TypeError, "target 0 must be a number"),
        (lambda: mse_loss(values([1.0]), [1.0], reduction="avg"), ValueError, "reduction must be 'mean' or 'sum'"),
        (lambda: hinge_loss(values([1.0, 2.0]), [1, 0]), ValueError, "label 1 must be -1 or \\+1, got 0.0"),
        (lambda: binary_cross_entropy_with_logits(Value(0.0), 2.0), ValueError, "target 0 must be in \\[0, 1\\]"),
        (lambda: cross_entropy(values([1.0, 2.0]), 2), ValueError, "class index in 0..1, got 2"),
        (lambda: cross_entropy(values([1.0, 2.0]), 1.0), TypeError, "must be a class index \\(an int\\)"),
        (lambda: cross_entropy([values([1.0]), values([2.0])], [0]), ValueError, "2 example.*1 target"),
        (lambda: softmax(Value(1.0)), TypeError, "expected a list of class scores"),
        (lambda: softmax([]), ValueError, "at least one score"),
    ],
)
def test_refusals_name_the_problem(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_an_infinite_or_nan_score_gives_nan_as_in_torch():
    torch = pytest.importorskip("torch")
    for scores in ([float("inf"), 1.0], [float("nan"), 0.0]):
        ours = [v.data for v in softmax(values(scores))]
        theirs = torch.softmax(torch.tensor(scores, dtype=torch.float64), 0).tolist()
        assert all(math.isnan(a) and math.isnan(b) for a, b in zip(ours, theirs))
    # -inf (a masked score) is fine: its probability is 0
    assert [v.data for v in softmax(values([float("-inf"), 0.0]))] == [0.0, 1.0]
