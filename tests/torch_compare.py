"""Run a chainrule module and a torch module on the same input and compare outputs and gradients (torch tests' helper).

``run_both`` feeds one random input to both, checks every output number, then backpropagates
the same random weighted sum of the outputs through both and checks the gradient of every
parameter (by tensor name: chainrule's ``weight.1.2`` is torch's ``weight[1, 2]``) and of
every input number.  All in float64, to ``TOL``.
"""

import torch

import engine
from nn.shapes import flatten, shape, values
from nn.torch_bridge.naming import group_parameters

TOL = 1e-12


def ours_arg(x):
    """A torch argument as chainrule takes it: floats as nested Values, indices and masks as nested lists."""
    if isinstance(x, tuple):
        return tuple(ours_arg(item) for item in x)
    if isinstance(x, torch.Tensor):
        return values(x.tolist()) if x.is_floating_point() else x.tolist()
    return x


def torch_arg(x):
    """A torch argument with its own leaf copy that records the input gradient."""
    if isinstance(x, tuple):
        return tuple(torch_arg(item) for item in x)
    if isinstance(x, torch.Tensor) and x.is_floating_point():
        return x.detach().clone().requires_grad_(True)
    return x


def _leaves(out):
    """The output's pieces in order: tuples are opened, None (weights not asked for) left out."""
    if isinstance(out, tuple):
        return [leaf for item in out for leaf in _leaves(item)]
    return [] if out is None else [out]


def assert_close(got, expected, what):
    got = torch.as_tensor(got, dtype=torch.float64)
    assert got.shape == expected.shape, f"{what}: shape {tuple(got.shape)} vs torch's {tuple(expected.shape)}"
    worst = (got - expected).abs().max().item() if got.numel() else 0.0
    assert worst <= TOL, f"{what}: differs from torch's by {worst:.3g}"


def run_both(ours, theirs, args=(), kwargs=None, seed=0):
    """Call both modules on ``args``/``kwargs`` (torch tensors); assert equal outputs, parameter and input grads."""
    kwargs = kwargs or {}
    ours_args, ours_kwargs = ours_arg(tuple(args)), {k: ours_arg(v) for k, v in kwargs.items()}
    torch_args, torch_kwargs = torch_arg(tuple(args)), {k: torch_arg(v) for k, v in kwargs.items()}
    ours_out = _leaves(ours(*ours_args, **ours_kwargs))
    torch_out = _leaves(theirs(*torch_args, **torch_kwargs))
    assert len(ours_out) == len(torch_out), f"{len(ours_out)} outputs vs torch's {len(torch_out)}"
    numbers = []
    for i, (o, t) in enumerate(zip(ours_out, torch_out)):
        assert shape(o) == tuple(t.shape), f"output {i}: shape {shape(o)} vs torch's {tuple(t.shape)}"
        assert_close([v.data for v in flatten(o)], t.detach().reshape(-1), f"output {i}")
        numbers.extend(flatten(o))
    if not any(isinstance(t, torch.Tensor) and t.requires_grad for t in torch_out):
        return  # nothing differentiable came out (an Embedding lookup is still checked through its table)
    weights = torch.randn(len(numbers), generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    torch.cat([t.reshape(-1) for t in torch_out]).mul(weights).sum().backward()
    engine.dot(numbers, weights.tolist()).backward()
    torch_params = dict(theirs.named_parameters())
    for name, tensor in group_parameters(ours).items():
        grad = torch_params[name].grad
        expected = torch.zeros(tensor.shape, dtype=torch.float64) if grad is None else grad
        assert_close([v.grad for v in tensor.values], expected.reshape(-1), f"grad of {name!r}")
    for i, (o, t) in enumerate(zip(_leaves(ours_args + tuple(ours_kwargs.values())),
                                   _leaves(torch_args + tuple(torch_kwargs.values())))):
        if isinstance(t, torch.Tensor) and t.is_floating_point():
            assert_close([v.grad for v in flatten(o)], t.grad.reshape(-1), f"grad of input {i}")
