"""The work behind ``nn.to_torch`` and ``nn.load_torch``: build the torch module, check names and shapes, copy numbers.

This module imports torch at the top; ``nn.torch_bridge`` loads it only when called.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Mapping

import torch

from ..module import Module
from ..shapes import format_shape
from . import mirrors
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


def _refuse_tied(model: Module) -> None:
    """Refuse a Value reachable under two names: a torch module would hold two copies of it that train apart.

    Every module lists its parameters under names relative to itself; prefixed with its path, one
    Value gets one full name from every ancestor unless it is shared (tied weights, a module used twice).
    """
    first: dict[int, str] = {}
    for path, m in _named_modules(model):
        for name, p in m.named_parameters():
            full = f"{path}.{name}" if path else name
            if first.setdefault(id(p), full) != full:
                raise ValueError(f"to_torch: {full!r} is the same Value as {first[id(p)]!r} (tied weights, or one "
                                 f"module used twice); torch would hold two copies that train apart, so give each "
                                 f"layer its own parameters")


def _check_dtype(dtype: object) -> torch.dtype:
    if dtype is None:
        return torch.float64
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"to_torch: dtype must be a floating-point torch dtype such as torch.float64 or "
                        f"torch.float32, got {dtype!r}")
    return dtype


def _where(path: str) -> str:
    return "the model itself" if not path else f"the module at {path!r}"


def _check_activation(m: Module, path: str) -> None:
    """A learner's own activation (an op added with engine.register_op) has no torch function to become."""
    name = getattr(m, "activation", None)
    if isinstance(name, str) and name not in mirrors.ACTIVATIONS:
        raise ValueError(f"to_torch: the activation {name!r} (of {_where(path)}) has no torch function here; "
                         f"the bridge knows {', '.join(map(repr, mirrors.ACTIVATIONS))}")


def _refuse(m: Module, path: str) -> TypeError:
    where = _where(path)
    known = ", ".join(sorted({cls.__name__ for cls in BUILDERS}))
    subclass = [cls.__name__ for cls in BUILDERS if isinstance(m, cls)]
    hint = (f" (it subclasses {subclass[0]}, but a subclass may compute something else, so it is not taken "
            f"for one)" if subclass else "")
    return TypeError(f"to_torch: {where} is a {type(m).__name__}, which has no PyTorch counterpart here{hint}; "
                     f"to_torch maps {known}")


def _shapes(tensors: Mapping[str, ScalarTensor]) -> dict[str, tuple[int, ...]]:
    return {name: t.shape for name, t in tensors.items()}


def _describe(x: object) -> str:
    """A given entry as the errors show it: a tensor by its shape, anything else by its type."""
    return format_shape(tuple(x.shape)) if isinstance(x, torch.Tensor) else f"(not a tensor: {type(x).__name__})"


def _listed(items: list[str], separator: str = ", ", most: int = 8) -> str:
    """The first ``most`` items, then how many more: a model of 66 tensors gives a readable error."""
    shown = separator.join(items[:most])
    return shown if len(items) <= most else f"{shown}, and {len(items) - most} more"


def _differences(needed: Mapping[str, tuple[int, ...]], given: Mapping[str, object]) -> list[str]:
    """What keeps the ``given`` tensors from filling ``needed`` shapes: missing, unexpected and mis-shaped names."""
    problems = []
    missing = [f"{n!r} {format_shape(s)}" for n, s in needed.items() if n not in given]
    unexpected = [f"{n!r} {_describe(x)}" for n, x in given.items() if n not in needed]
    misshaped = [f"{n!r} is {_describe(given[n])} but the model's is {format_shape(s)}"
                 for n, s in needed.items() if n in given and tuple(given[n].shape) != s]
    if missing:
        problems.append(f"missing tensor(s) {_listed(missing)}")
    if unexpected:
        problems.append(f"unexpected tensor(s) {_listed(unexpected)}")
    if misshaped:
        problems.append(f"wrong shape: {_listed(misshaped, '; ')}")
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
        _check_activation(m, paths.get(id(m), "?"))
        return builder(m, convert)

    _refuse_tied(model)
    tensors = group_parameters(model, "to_torch")
    with torch.random.fork_rng(devices=[]):  # torch's initializers draw numbers we overwrite: keep the user's seed
        out = convert(model).to(dtype)
    problems = _differences(_shapes(tensors), out.state_dict())
    if problems:  # a builder out of step with its layer: never hand back a half-filled module
        raise ValueError(f"to_torch: the torch module built for {type(model).__name__} does not match its "
                         f"parameters: {'; '.join(problems)} (nn.torch_bridge.builders is out of step with this layer: "
                         f"please report it)")
    state = {name: torch.tensor([v.data for v in t.values], dtype=dtype).reshape(t.shape)
             for name, t in tensors.items()}
    out.load_state_dict(state, strict=True)
    for path, m in _named_modules(model):  # each module's own train/eval mode (Dropout's matters)
        out.get_submodule(path).training = m.training
    return out


# Wrappers whose state_dict() puts a prefix before the wrapped model's names: what to pass instead.
WRAPPER_PREFIXES = {"module.": "DistributedDataParallel's or DataParallel's: pass ddp.module",
                    "_orig_mod.": "torch.compile(net)'s: pass net._orig_mod"}


def _wrapper_hint(needed: Mapping[str, object], given: Mapping[object, object]) -> str:
    for prefix, what in WRAPPER_PREFIXES.items():
        if needed and all(prefix + name in given for name in needed):
            return f"; every name the model needs is there after {prefix!r}, as in a {what}, or its state_dict()"
    return ""


def _state_of(source: object) -> dict[object, object]:
    """The entries to load: a torch module's state_dict(), or a mapping of names to tensors, as given."""
    while isinstance(source, (torch.nn.DataParallel, torch.nn.parallel.DistributedDataParallel)):
        source = source.module  # the model inside, whose names are the model's (the wrapper adds 'module.')
    if isinstance(source, torch.nn.Module):
        return source.state_dict()
    if isinstance(source, Module):
        raise TypeError(f"load_torch: got a chainrule {type(source).__name__}, not a torch module; to copy one "
                        f"chainrule model into another use model.load_state_dict(other.state_dict())")
    if not isinstance(source, Mapping):
        raise TypeError(f"load_torch: expected a torch.nn.Module or its state_dict() (a dict of tensors), "
                        f"got {type(source).__name__}")
    state = dict(source)
    if state and all(isinstance(x, numbers.Real) for x in state.values()):
        raise TypeError("load_torch: got a dict of plain numbers, a chainrule state_dict() (one number per "
                        "parameter); load it with model.load_state_dict(state), or give load_torch a torch "
                        "module or its state_dict()")
    return state


def _check_tensor(name: str, x: object) -> None:
    """An entry the model needs must be a floating-point tensor holding numbers."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"load_torch: the entry {name!r} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"load_torch: the tensor {name!r} holds {x.dtype}, not floating-point numbers; convert "
                        f"it first, e.g. with .double()")
    if x.is_meta:
        raise TypeError(f"load_torch: the tensor {name!r} is on the 'meta' device, which holds shapes but no "
                        f"numbers; load or initialize the torch model's weights first")


def load_torch(model: Module, source: object) -> Module:
    """Copy the tensors of a torch module (or state_dict) into ``model``, all or nothing (see ``nn.load_torch``)."""
    if not isinstance(model, Module):
        raise TypeError(f"load_torch: expected a chainrule nn.Module to load into, got {type(model).__name__}")
    state = _state_of(source)
    tensors = group_parameters(model, "load_torch")
    for name in tensors:
        if name in state:
            _check_tensor(name, state[name])
    problems = _differences(_shapes(tensors), state)
    if problems:
        raise ValueError(f"load_torch: cannot load into {type(model).__name__}, nothing was changed: "
                         f"{'; '.join(problems)} (the source must have the model's architecture: "
                         f"nn.to_torch(model).state_dict() lists the names and shapes it needs"
                         f"{_wrapper_hint(tensors, state)})")
    numbers_of = {name: state[name].detach().to_dense().to("cpu", torch.float64).reshape(-1).tolist()
                  for name in tensors}  # every tensor read before any Value is written: all or nothing
    for name, t in tensors.items():
        for v, x in zip(t.values, numbers_of[name]):
            v.data = x
    return model
