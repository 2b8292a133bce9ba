"""``Module``, the base class of every layer and model: it finds parameters, names them and saves them.

A module's parameters are the Values in its public attributes (a Value, or a list of
them, nested as deep as you like) and, recursively, those of its child modules (a
Module, or a list of Modules).  Attributes whose name starts with ``_`` are private
and never searched.  So a new layer is only this, as in PyTorch::

    class Scale(Module):
        def __init__(self):
            self.k = Value(1.0)          # a parameter, named 'k'
        def forward(self, x):
            return [self.k * xi for xi in x]

Names are dotted paths (``layers.0.neurons.3.w.1``) and every parameter's ``.label`` is
set to its full name as soon as the module is assigned to its parent, so a drawn graph
shows where each weight lives.

>>> from engine import Value
>>> class Scale(Module):
...     def __init__(self):
...         self.k = Value(2.0)
...     def forward(self, x):
...         return [self.k * xi for xi in x]
>>> class Model(Module):
...     def __init__(self):
...         self.scales = [Scale(), Scale()]
...     def forward(self, x):
...         for s in self.scales:
...             x = s(x)
...         return x
>>> m = Model()
>>> m([1.0, 3.0])
[Value(data=4.0, grad=0.0), Value(data=12.0, grad=0.0)]
>>> m.named_parameters()
[('scales.0.k', Value(data=2.0, grad=0.0, label='scales.0.k')),
 ('scales.1.k', Value(data=2.0, grad=0.0, label='scales.1.k'))]
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from engine import Value

from .checks import check_bool, is_real, short

__all__ = ["Module", "LoadResult"]

# Written into every saved file, so that load() can tell a model file from any other JSON.
_FILE_FORMAT = "chainrule.nn.state_dict"
_FILE_VERSION = 1


class LoadResult(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped.  NB: torch's _IncompatibleKeys."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _walk(value: object, name: str) -> Iterator[tuple[str, Value | Module]]:
    """The Values and Modules inside one attribute, with their dotted names, in order."""
    if isinstance(value, (Value, Module)):
        yield name, value
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _walk(item, f"{name}.{i}")


def _label(value: object, prefix: str) -> None:
    """Set the label of every parameter inside ``value`` to its dotted name under ``prefix``."""
    for name, member in _walk(value, prefix):
        if isinstance(member, Value):
            member.label = name
        else:
            for sub, p in member.named_parameters():
                p.label = f"{name}.{sub}"


class Module:
    """Base class of layers and models: ``forward()`` through ``__call__``, and the parameter tools.

    NB: torch.nn.Module, without the registration calls: public attributes are searched.

    >>> from nn import MLP
    >>> model = MLP(2, [3, 1])
    >>> model.num_parameters()
    13
    >>> model.named_parameters()[0][0]
    'layers.0.neurons.0.w.0'
    """

    # A class default, so subclasses need not call super().__init__(); train()/eval() set it per instance.
    training: bool = True

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if not name.startswith("_"):
            _label(value, name)

    # --- calling -----------------------------------------------------------------

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; subclasses define it and callers write ``module(x)``."""
        raise NotImplementedError(f"{type(self).__name__}: a Module subclass must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # --- finding parameters and children -------------------------------------------

    def _members(self) -> Iterator[tuple[str, Value | Module]]:
        """Own Values and child Modules, in attribute order, with their dotted names."""
        for attr, value in vars(self).items():
            if not attr.startswith("_"):
                yield from _walk(value, attr)

    def named_children(self) -> list[tuple[str, Module]]:
        """The modules directly inside this one, with their names (``'layers.0'``).

        >>> from nn import MLP
        >>> [name for name, _ in MLP(2, [4, 1]).named_children()]
        ['layers.0', 'layers.1']
        """
        return [(name, m) for name, m in self._members() if isinstance(m, Module)]

    def modules(self) -> list[Module]:
        """This module and every module inside it, parents before children.

        >>> from nn import MLP
        >>> len(MLP(2, [4, 1]).modules())   # the MLP, 2 layers, 5 neurons
        8
        """
        found: list[Module] = []
        seen: set[int] = set()
        stack: list[Module] = [self]
        while stack:
            m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            found.append(m)
            stack.extend(reversed([child for _, child in m.named_children()]))
        return found

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter with its dotted name, in a fixed order (attribute order, depth first).

        A Value shared by two modules (tied weights) is listed once, under its first name.

        >>> from nn import Neuron
        >>> [name for name, _ in Neuron(2).named_parameters()]
        ['w.0', 'w.1', 'b']
        """
        out: list[tuple[str, Value]] = []
        seen: set[Value] = set()
        for name, member in self._members():
            pairs = [(name, member)] if isinstance(member, Value) else (
                (f"{name}.{sub}", p) for sub, p in member.named_parameters()
            )
            for full, p in pairs:
                if p not in seen:
                    seen.add(p)
                    out.append((full, p))
        return out

    def parameters(self) -> list[Value]:
        """Every parameter, in the order of ``named_parameters()``.

        >>> from nn import MLP
        >>> len(MLP(2, [16, 16, 1]).parameters())
        337
        """
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """How many scalar parameters the module has.

        >>> from nn import Layer
        >>> Layer(3, 4).num_parameters()   # 4 neurons of 3 weights and a bias
        16
        """
        return len(self.named_parameters())

    def label_parameters(self) -> None:
        """Set every parameter's label to its name again, e.g. after appending to a list in place.

        Labels are set when a Value or module is assigned to an attribute; a list changed
        afterwards (``self.layers.append(...)``) is only seen by ``named_parameters()``.

        >>> from nn import Neuron
        >>> n = Neuron(1)
        >>> n.w.append(Value(0.5))
        >>> n.label_parameters(); n.w[1].label
        'w.1'
        """
        for name, p in self.named_parameters():
            p.label = name

    def zero_grad(self) -> None:
        """Set the grad of every parameter to 0.0 (leaves accumulate, so do this each step).

        >>> from nn import Neuron
        >>> n = Neuron(2); n.w[0].grad = 5.0
        >>> n.zero_grad(); n.w[0].grad
        0.0
        """
        for p in self.parameters():
            p.grad = 0.0

    def train(self, mode: bool = True) -> Module:
        """Put this module and all inside it in training mode (``training = True``); returns self.

        >>> from nn import MLP
        >>> MLP(2, [1]).eval().training
        False
        """
        check_bool(f"{type(self).__name__}.train: mode", mode)
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        """Put this module and all inside it in evaluation mode (``training = False``); returns self."""
        return self.train(False)

    # --- saving and loading --------------------------------------------------------

    def state_dict(self) -> dict[str, float]:
        """The parameters' values by name: ``{'w.0': 0.25, ...}``, plain floats.

        >>> from nn import Neuron
        >>> n = Neuron(1); n.w[0].data = 0.5
        >>> n.state_dict()
        {'w.0': 0.5, 'b': 0.0}
        """
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, float], strict: bool = True) -> LoadResult:
        """Set the parameters from a ``{name: float}`` mapping, all or nothing.

        With ``strict=True`` a missing or an extra name raises ValueError naming it; with
        ``strict=False`` they are skipped and listed in the result.  A value that is not a
        number raises ValueError.  Everything is checked before anything is written, so a
        failed load leaves the model as it was.

        >>> from nn import Neuron
        >>> n = Neuron(1)
        >>> n.load_state_dict({'w.0': 0.5, 'b': -1.0})
        LoadResult(missing_keys=[], unexpected_keys=[])
        >>> n.load_state_dict({'w.0': 0.5})
        Traceback (most recent call last):
        ...
        ValueError: Neuron.load_state_dict: missing parameter(s) 'b'; the model has 'w.0', 'b'
        """
        where = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state, Mapping):
            raise TypeError(f"{where}: expected a dict of {{name: float}}, got {type(state).__name__}")
        params = dict(self.named_parameters())
        missing = [k for k in params if k not in state]
        unexpected = [k for k in state if k not in params]
        if strict and (missing or unexpected):
            problems = []
            if missing:
                problems.append(f"missing parameter(s) {', '.join(map(repr, missing))}")
            if unexpected:
                problems.append(f"unexpected name(s) {', '.join(map(repr, unexpected))}")
            raise ValueError(f"{where}: {'; '.join(problems)}; the model has {', '.join(map(repr, params))}")
        updates = []
        for name, p in params.items():
            if name not in state:
                continue
            value = state[name]
            if not is_real(value):
                raise ValueError(
                    f"{where}: the value for {name!r} must be a number, got {type(value).__name__} {short(value)}"
                )
            updates.append((p, float(value)))
        for p, value in updates:
            p.data = value
        return LoadResult(missing, unexpected)

    def save(self, path: str | os.PathLike) -> None:
        """Write the parameters to ``path`` as JSON (never pickle); ``load`` reads them back exactly.

        Floats are written with ``repr``, so a save/load round trip gives the same bits.

        >>> import os, tempfile
        >>> from nn import MLP
        >>> model = MLP(2, [3, 1])
        >>> path = os.path.join(tempfile.mkdtemp(), 'model.json')
        >>> model.save(path)
        >>> MLP(2, [3, 1]).load(path).state_dict() == model.state_dict()
        True
        """
        document = {
            "format": _FILE_FORMAT,
            "version": _FILE_VERSION,
            "model": type(self).__name__,
            "num_parameters": self.num_parameters(),
            "state_dict": self.state_dict(),
        }
        with open(path, "w", encoding="utf-8") as f:
            json.dump(document, f, indent=1)
            f.write("\n")

    def load(self, path: str | os.PathLike, strict: bool = True) -> Module:
        """Read parameters written by ``save(path)`` into this model, all or nothing; returns self.

        Build the model the same way first (``MLP(2, [16, 16, 1]).load('model.json')``): the
        file holds the numbers, the code holds the architecture.  A file that is not JSON,
        is cut short or is not a saved model raises ValueError and changes nothing.
        """
        where = f"{type(self).__name__}.load"
        with open(path, encoding="utf-8") as f:
            text = f.read()
        try:
            document = json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(
                f"{where}: {os.fspath(path)!r} is not a saved model: it is not valid JSON "
                f"(truncated or another kind of file?): {err}"
            ) from None
        if not (isinstance(document, dict) and document.get("format") == _FILE_FORMAT):
            raise ValueError(
                f"{where}: {os.fspath(path)!r} is JSON but not a saved model "
                f"(expected a 'format': {_FILE_FORMAT!r} entry, written by Module.save)"
            )
        state = document.get("state_dict")
        if not isinstance(state, dict):
            raise ValueError(f"{where}: {os.fspath(path)!r} has no 'state_dict' object of {{name: float}}")
        self.load_state_dict(state, strict=strict)
        return self

    def to_torch(self, dtype: Any = None) -> Any:
        """This model as a ``torch.nn.Module`` holding the same numbers: ``nn.to_torch(self, dtype)`` (needs torch).

        >>> import random
        >>> from nn import Linear
        >>> Linear(3, 2, rng=random.Random(0)).to_torch()
        Linear(in_features=3, out_features=2, bias=True)
        """
        from .torch_bridge import to_torch
        return to_torch(self, dtype)

    # --- printing --------------------------------------------------------------------

    def extra_repr(self) -> str:
        """What goes between the parentheses of the repr, e.g. ``'nin=2, activation='relu''``."""
        return ""

    def __repr__(self) -> str:
        # NB: PyTorch's layout: one line per child, runs of identical children folded into "(0-15): 16 x ...".
        lines = []
        for attr, value in vars(self).items():
            if attr.startswith("_"):
                continue
            if isinstance(value, Module):
                lines.append(f"({attr}): {_indent(repr(value))}")
            elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Module) for v in value):
                lines.append(f"({attr}): [")
                lines.extend("  " + _indent(line) for line in _folded(value))
                lines.append("]")
        name = type(self).__name__
        if not lines:
            return f"{name}({self.extra_repr()})"
        extra = self.extra_repr()
        body = "\n".join("  " + line for line in ([extra] if extra else []) + lines)
        return f"{name}(\n{body}\n)"


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")


def _folded(modules: list | tuple) -> list[str]:
    """'(i): repr' per module, with runs of equal reprs folded: '(0-15): 16 x Neuron(...)'."""
    lines = []
    i = 0
    while i < len(modules):
        text = repr(modules[i])
        j = i + 1
        while j < len(modules) and repr(modules[j]) == text:
            j += 1
        lines.append(f"({i}): {text}" if j == i + 1 else f"({i}-{j - 1}): {j - i} x {text}")
        i = j
    return lines

