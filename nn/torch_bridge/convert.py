"""The work behind ``nn.to_torch`` and ``nn.load_torch``: build the torch module, check names and shapes, copy numbers.

This module imports torch at the top; ``nn.torch_bridge`` loads it only when called.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import torch

from ..module import Module
from ..shapes import format_shape
from .builders import BUILDERS
from .naming import ScalarTensor, group_parameters

__all__ = ["to_torch", "load_torch"]


def _named_modules(model: Module) -> Iterator[tuple[str, Module]]:
    """The model and every module inside it, with dotted paths ('' for the model itself)."""
    stack = [("", model)]
    while stack:
        path, m = stack.pop()
        yield path, m
        children = [(f"{path}.{name}" if path else name, child) for name, child in m.named_children()]
        stack.extend(reversed(children))


def _check_dtype(dtype: object) -> torch.dtype:
    if dtype is None:
        return torch.float64
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"to_torch: dtype must be a floating-point torch dtype such as torch.float64 or "
                        f"torch.float32, got {dtype!r}")
    return dtype


def _refuse(m: Module, path: str) -> TypeError:
    where = "the model itself" if not path else f"the module at {path!r}"
    known = ", ".join(sorted({cls.__name__ for cls in BUILDERS}))
    subclass = [cls.__name__ for cls in BUILDERS if isinstance(m, cls)]
    hint = (f" (it subclasses {subclass[0]}, but a subclass may compute something else, so it is not taken "
            f"for one)" if subclass else "")
    return TypeError(f"to_torch: {where} is a {type(m).__name__}, which has no PyTorch counterpart here{hint}; "
                     f"to_torch maps {known}")


def _shapes(tensors: Mapping[str, ScalarTensor]) -> dict[str, tuple[int, ...]]:
    return {name: t.shape for name, t in tensors.items()}


def _differences(needed: Mapping[str, tuple[int, ...]], given: Mapping[str, tuple[int, ...]]) -> list[str]:
    """What keeps ``given`` tensors from filling ``needed`` ones: missing, unexpected and mis-shaped names."""
    problems = []
    missing = [f"{n!r} {format_shape(s)}" for n, s in needed.items() if n not in given]
    unexpected = [f"{n!r} {format_shape(s)}" for n, s in given.items() if n not in needed]
    misshaped = [f"{n!r} is {format_shape(given[n])} but the model's is {format_shape(s)}"
                 for n, s in needed.items() if n in given and tuple(given[n]) != s]
    if missing:
        problems.append(f"missing tensor(s) {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected tensor(s) {', '.join(unexpected)}")
    if misshaped:
        problems.append(f"wrong shape: {'; '.join(misshaped)}")
    return problems


def to_torch(model: Module, dtype: torch.dtype | None = None) -> torch.nn.Module:
    """The torch.nn module equivalent to ``model``, holding its parameter values (see ``nn.to_torch``)."""
    if not isinstance(model, Module):
        raise TypeError(f"to_torch: expected a chainrule nn.Module, got {type(model).__name__} {model!r:.80}")
    dtype = _check_dtype(dtype)
    paths = {id(m): path for path, m in _named_modules(model)}

    def convert(m: Module) -> torch.nn.Module:
        builder = BUILDERS.get(type(m))
        if builder is None:
            raise _refuse(m, paths.get(id(m), "?"))
        return builder(m, convert)

    tensors = group_parameters(model, "to_torch")
    with torch.random.fork_rng(devices=[]):  # torch's initializers draw numbers we overwrite: keep the user's seed
        out = convert(model).to(dtype)
    problems = _differences(_shapes(tensors), {n: tuple(t.shape) for n, t in out.state_dict().items()})
    if problems:  # a builder out of step with its layer: never hand back a half-filled module
        raise ValueError(f"to_torch: the torch module built for {type(model).__name__} does not match its "
                         f"parameters: {'; '.join(problems)} (a parameter list shared by two layers, tied weights, "
                         f"is listed once by named_parameters() and has no torch counterpart here)")
    state = {name: torch.tensor([v.data for v in t.values], dtype=dtype).reshape(t.shape)
             for name, t in tensors.items()}
    out.load_state_dict(state, strict=True)
    for path, m in _named_modules(model):  # each module's own train/eval mode (Dropout's matters)
        out.get_submodule(path).training = m.training
    return out


def _state_of(source: object) -> dict[str, torch.Tensor]:
    """A torch module's state_dict, or a mapping of names to tensors, checked to hold floating-point tensors."""
    if isinstance(source, torch.nn.Module):
        state = source.state_dict()
    elif isinstance(source, Mapping):
        state = dict(source)
    else:
        raise TypeError(f"load_torch: expected a torch.nn.Module or its state_dict() (a dict of tensors), "
                        f"got {type(source).__name__}")
    for name, t in state.items():
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"load_torch: the entry {name!r} must be a torch.Tensor, got {type(t).__name__}")
        if not t.is_floating_point():
            raise TypeError(f"load_torch: the tensor {name!r} holds {t.dtype}, not floating-point numbers")
    return state


def load_torch(model: Module, source: object) -> Module:
    """Copy the tensors of a torch module (or state_dict) into ``model``, all or nothing (see ``nn.load_torch``)."""
    if not isinstance(model, Module):
        raise TypeError(f"load_torch: expected a chainrule nn.Module to load into, got {type(model).__name__}")
    state = _state_of(source)
    tensors = group_parameters(model, "load_torch")
    problems = _differences(_shapes(tensors), {n: tuple(t.shape) for n, t in state.items()})
    if problems:
        raise ValueError(f"load_torch: cannot load into {type(model).__name__}, nothing was changed: "
                         f"{'; '.join(problems)}")
    numbers = {name: state[name].detach().to("cpu", torch.float64).reshape(-1).tolist() for name in tensors}
    for name, t in tensors.items():
        for v, x in zip(t.values, numbers[name]):
            v.data = x
    return model
