"""RMSprop, AdamW, the lr schedulers and clip_grad_norm_: by hand and against PyTorch float64."""

import math
from fractions import Fraction

import pytest
import torch

from engine import Value
from nn import SGD, Adam, AdamW, RMSprop
from nn.lr_scheduler import CosineAnnealingLR, LambdaLR, LinearLR, StepLR
from nn.utils import clip_grad_norm_

GRADS = [(0.5, -2.0), (0.25, 1.0), (-1.0, 0.5), (0.0, 3.0), (2.0, -0.125)]
START = (1.0, -0.5)


def ours(optimizer_cls, **kwargs):
    params = [Value(x) for x in START]
    opt = optimizer_cls(params, **kwargs)
    for grads in GRADS:
        for p, g in zip(params, grads):
            p.grad = g
        opt.step()
    return [p.data for p in params]


def theirs(optimizer_cls, **kwargs):
    w = torch.tensor(list(START), dtype=torch.float64, requires_grad=True)
    opt = optimizer_cls([w], **kwargs)
    for grads in GRADS:
        w.grad = torch.tensor(grads, dtype=torch.float64)
        opt.step()
    return w.tolist()


@pytest.mark.parametrize("kwargs", [
    {},
    {"lr": 0.05, "alpha": 0.9, "eps": 1e-6},
    {"lr": 0.05, "weight_decay": 0.1, "momentum": 0.8},
    {"lr": 0.05, "centered": True, "momentum": 0.5},
])
def test_rmsprop_agrees_with_torch(kwargs):
    assert ours(RMSprop, **kwargs) == pytest.approx(theirs(torch.optim.RMSprop, **kwargs), abs=1e-12)


@pytest.mark.parametrize("kwargs", [{}, {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.3}])
def test_adamw_agrees_with_torch(kwargs):
    assert ours(AdamW, **kwargs) == pytest.approx(theirs(torch.optim.AdamW, **kwargs), abs=1e-12)


def test_rmsprop_by_hand():
    lr, alpha, eps = 0.1, 0.5, 1e-8
    p, v = list(START), [0.0, 0.0]
    for grads in GRADS:
        for i, g in enumerate(grads):
            v[i] = alpha * v[i] + (1 - alpha) * g * g
            p[i] -= lr * g / (math.sqrt(v[i]) + eps)
    assert ours(RMSprop, lr=lr, alpha=alpha, eps=eps) == pytest.approx(p, abs=1e-15)


def test_adamw_decays_the_weights_apart_from_the_gradient_history():
    # With zero gradients Adam's weight_decay still moves m and v; AdamW only shrinks the weights.
    w = Value(2.0)
    opt = AdamW([w], lr=0.1, weight_decay=0.5)
    for _ in range(3):
        w.grad = 0.0
        opt.step()
    assert w.data == pytest.approx(2.0 * 0.95**3, abs=1e-15)
    assert opt.m == [0.0] and opt.v == [0.0]


def schedule_ours(make, steps=12):
    opt = SGD([Value(0.0)], lr=0.5)
    sched = make(opt)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.lr)
        opt.step()
        sched.step()
    assert sched.get_last_lr() == [opt.lr]
    return lrs


def schedule_theirs(make, steps=12):
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.5)
    sched = make(torch.optim.lr_scheduler, opt)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        w.grad = torch.zeros(1)
        opt.step()
        sched.step()
    return lrs


@pytest.mark.parametrize("name, kwargs", [
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 10}),
    ("LinearLR", {"start_factor": 0.25, "end_factor": 0.75, "total_iters": 3}),
    ("CosineAnnealingLR", {"T_max": 5}),
    ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.05}),
    ("StepLR", {"step_size": 3}),
    ("StepLR", {"step_size": 2, "gamma": 0.5}),
])
def test_schedulers_agree_with_torch(name, kwargs):
    import nn.lr_scheduler as ours_module

    mine = schedule_ours(lambda opt: getattr(ours_module, name)(opt, **kwargs))
    torch_lrs = schedule_theirs(lambda module, opt: getattr(module, name)(opt, **kwargs))
    assert mine == pytest.approx(torch_lrs, abs=1e-12)


def test_lambda_lr_agrees_with_torch():
    f = lambda k: 1.0 / (1 + k) ** 0.5  # noqa: E731
    assert schedule_ours(lambda opt: LambdaLR(opt, f)) == pytest.approx(
        schedule_theirs(lambda module, opt: module.LambdaLR(opt, f)), abs=1e-15)


def test_linear_decay_to_zero_is_the_gpt_reference_formula_bit_for_bit():
    lrs = schedule_ours(lambda opt: LinearLR(opt, 1.0, 0.0, total_iters=200), steps=200)
    assert lrs == [0.5 * (1 - k / 200) for k in range(200)]


def test_scheduler_state_dict_round_trip():
    opt = SGD([Value(0.0)], lr=1.0)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        sched.step()
    state = sched.state_dict()
    assert state == {"base_lr": 1.0, "last_epoch": 3, "step_size": 2, "gamma": 0.5}
    other = StepLR(SGD([Value(0.0)], lr=1.0), step_size=2, gamma=0.5)
    other.load_state_dict(state)
    other.step()
    sched.step()
    assert other.optimizer.lr == opt.lr == 0.25
    with pytest.raises(ValueError, match="unexpected keys"):
        other.load_state_dict({"nope": 1})


@pytest.mark.parametrize("make, error, message", [
    (lambda opt: LinearLR(opt, start_factor=0.0), ValueError, "start_factor must be > 0"),
    (lambda opt: LinearLR(opt, end_factor=1.5), ValueError, "end_factor must be between 0 and 1"),
    (lambda opt: LinearLR(opt, total_iters=0), ValueError, "total_iters must be a positive int"),
    (lambda opt: StepLR(opt, step_size=2.5), ValueError, "step_size must be a positive int"),
    (lambda opt: StepLR(opt, step_size=1, gamma=10**400), ValueError, "gamma is too large"),
    (lambda opt: CosineAnnealingLR(opt, T_max=-1), ValueError, "T_max must be a positive int"),
    (lambda opt: LambdaLR(opt, 0.5), TypeError, "lr_lambda must be a function"),
    (lambda opt: LambdaLR(opt, lambda k: "x"), TypeError, r"lr_lambda\(0\) must return a number"),
    (lambda opt: LambdaLR(opt, lambda k: -1.0), ValueError, "gave lr=-0.1 at step 0"),
    (lambda opt: StepLR("adam", step_size=1), TypeError, "optimizer must be an nn Optimizer"),
])
def test_bad_scheduler_settings_are_refused(make, error, message):
    with pytest.raises(error, match=message):
        make(SGD([Value(0.0)], lr=0.1))


@pytest.mark.parametrize("make, error, message", [
    (lambda p: SGD(p, lr=10**400), ValueError, "SGD: lr is too large for a float"),
    (lambda p: Adam(p, eps=Fraction(10**400)), ValueError, "Adam: eps is too large"),
    (lambda p: RMSprop(p, alpha=1.0), ValueError, r"alpha must be >= 0.0 and < 1.0"),
    (lambda p: RMSprop(p, momentum=-0.1), ValueError, "momentum must be >= 0.0"),
    (lambda p: RMSprop(p, centered=1), TypeError, "centered must be True or False"),
    (lambda p: AdamW(p, weight_decay=math.nan), ValueError, "weight_decay must be >= 0.0, got nan"),
    (lambda p: AdamW(p, betas=(0.9, 2)), ValueError, r"AdamW: betas\[1\] must be >= 0.0 and < 1.0"),
])
def test_bad_optimizer_settings_are_refused(make, error, message):
    with pytest.raises(error, match=message):
        make([Value(1.0)])


def test_lr_set_later_is_checked_too():
    opt = Adam([Value(1.0)])
    with pytest.raises(ValueError, match="Adam: lr must be >= 0.0, got -0.5"):
        opt.lr = -0.5
    with pytest.raises(TypeError, match="lr must be a number"):
        opt.lr = "0.1"
    opt.lr = 1
    assert opt.lr == 1.0 and type(opt.lr) is float


@pytest.mark.parametrize("cls", [SGD, Adam, AdamW, RMSprop])
@pytest.mark.parametrize("grad, error, message", [
    (1 + 2j, TypeError, "must be a real number, got complex"),
    (Value(1.0), TypeError, "must be a real number, got Value"),
    ("1", TypeError, "must be a real number, got str"),
    (10**400, ValueError, "too large for a float"),
])
def test_a_step_refuses_a_grad_that_is_not_a_real_number_and_moves_nothing(cls, grad, error, message):
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    opt = cls([a, b], lr=0.1)
    a.grad, b.grad = 1.0, grad
    with pytest.raises(error, match=message) as info:
        opt.step()
    assert "parameter 1 ('b')" in str(info.value)
    assert (a.data, b.data) == (1.0, 2.0)


def test_int_and_fraction_grads_are_real_numbers():
    w = Value(1.0)
    opt = SGD([w], lr=0.5)
    w.grad = 1
    opt.step()
    w.grad = Fraction(1, 2)
    opt.step()
    assert w.data == 0.25


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_agrees_with_torch(norm_type, max_norm):
    grads = [0.3, -1.2, 2.5, 0.0, -0.7]
    params = [Value(0.0) for _ in grads]
    for p, g in zip(params, grads):
        p.grad = g
    tensors = [torch.zeros(1, dtype=torch.float64, requires_grad=True) for _ in grads]
    for t, g in zip(tensors, grads):
        t.grad = torch.tensor([g], dtype=torch.float64)
    total = clip_grad_norm_(params, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(tensors, max_norm, norm_type)
    assert total == pytest.approx(expected.item(), abs=1e-12)
    assert [p.grad for p in params] == pytest.approx([t.grad.item() for t in tensors], abs=1e-12)


def test_clip_grad_norm_by_hand_and_refusals():
    a, b = Value(0.0), Value(0.0)
    a.grad, b.grad = 6.0, 8.0
    assert clip_grad_norm_([a, b], 5.0) == 10.0
    assert (a.grad, b.grad) == pytest.approx((3.0, 4.0), abs=1e-6)
    assert clip_grad_norm_([], 1.0) == 0.0
    a.grad = math.inf
    with pytest.raises(ValueError, match="total norm of the gradients is inf"):
        clip_grad_norm_([a, b], 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match="norm_type must be a number > 0"):
        clip_grad_norm_([a], 1.0, norm_type=0)
    with pytest.raises(TypeError, match="parameter 0 must be a Value"):
        clip_grad_norm_([1.0], 1.0)
    a.grad = 1j
    with pytest.raises(TypeError, match="grad of parameter 0 must be a real number"):
        clip_grad_norm_([a], 1.0)
