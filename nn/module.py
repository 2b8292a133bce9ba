"""``Module``, the base class of every layer and model: it finds parameters, names them and saves them.

A module's parameters are the Values in its public attributes (a Value, or a list of
them, nested as deep as you like) and those of its child modules (a Module, or a list of
Modules), as in PyTorch but without registration calls.  Attributes whose name starts
with ``_`` are private and never searched.

Names are dotted paths (``layers.0.neurons.3.w.1``) and ``named_parameters()`` is the one
place they come from.  A parameter without a label gets its name as its ``.label`` when
its module is assigned to a parent, so a drawn graph shows where each weight lives;
labels you set yourself are kept.

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

import os
from collections.abc import Iterator, Mapping
from typing import Any

from engine import Value

from . import groups, saving, summary
from .checks import check_bool
from .saving import LoadResult

__all__ = ["Module", "LoadResult"]

def _walk(value: object, name: str) -> Iterator[tuple[str, Value | Module]]:
    """The Values and Modules inside one attribute, with their dotted names, in order.

    Lists may nest as deep as they like: the walk keeps its own stack, never recursion.
    """
    stack = [iter([(name, value)])]
    while stack:
        for path, item in stack[-1]:
            if isinstance(item, (Value, Module)):
                yield path, item
            elif isinstance(item, (list, tuple)):
                stack.append(iter([(f"{path}.{i}", sub) for i, sub in enumerate(item)]))
                break
        else:
            stack.pop()


def _label(value: object, prefix: str) -> None:
    """Give every parameter inside ``value`` its dotted name under ``prefix``, where nn may.

    nn labels a Value only where the user has set no label: an empty label, or the name
    the child module itself gave it (``'w.0'`` becomes ``'neurons.0.w.0'`` when the
    neuron is put in a layer).  Any other label stays, so a weight shared with a module
    named earlier keeps that first name, as ``named_parameters()`` lists it.
    """
    for name, member in _walk(value, prefix):
        if isinstance(member, Value):
            if not member.label:
                member.label = name
        else:
            for sub, p in member.named_parameters():
                if not p.label or p.label == sub:
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
            if attr.startswith("_"):
                continue
            if isinstance(value, (Value, Module)):
                yield attr, value  # the common case, without a walk of its own
            elif isinstance(value, (list, tuple)):
                yield from _walk(value, attr)

    def named_children(self) -> list[tuple[str, Module]]:
        """The modules directly inside this one, with their names (``'layers.0'``).

        >>> from nn import MLP
        >>> [name for name, _ in MLP(2, [4, 1]).named_children()]
        ['layers.0', 'layers.1']
        """
        return [(name, m) for name, m in self._members() if isinstance(m, Module)]

    def _walk_tree(self) -> Iterator[tuple[list[str], str, Module | Value]]:
        """Every Value and Module below this one, depth first, in attribute order, as (prefix, name, member).

        The full dotted name is ``"".join(prefix) + name``; ``prefix`` is the walk's own list
        (read it at once, do not keep it), so the walk never copies long names it does not need.
        A module met twice (shared) is walked twice, so each place has its name; a module
        inside itself is walked once.  An explicit stack: a Sequential nested 10,000 deep is fine.
        """
        stack: list[tuple[Iterator, Module]] = [(self._members(), self)]
        prefix: list[str] = []
        on_path = {id(self)}  # the modules on the stack, so a module inside itself is not entered again
        while stack:
            for name, member in stack[-1][0]:
                yield prefix, name, member
                if isinstance(member, Module) and id(member) not in on_path:
                    on_path.add(id(member))
                    stack.append((member._members(), member))
                    prefix.append(name + ".")
                    break
            else:
                on_path.discard(id(stack.pop()[1]))
                if prefix:
                    prefix.pop()

    def named_modules(self) -> list[tuple[str, Module]]:
        """This module (named ``''``) and every module inside it, parents before children; each once.

        NB: torch.nn.Module.named_modules.

        >>> from nn import MLP
        >>> [name for name, _ in MLP(2, [2, 1]).named_modules()]
        ['', 'layers.0', 'layers.0.neurons.0', 'layers.0.neurons.1', 'layers.1', 'layers.1.neurons.0']
        """
        found: list[tuple[str, Module]] = [("", self)]
        seen = {id(self)}
        for prefix, name, member in self._walk_tree():
            if isinstance(member, Module) and id(member) not in seen:
                seen.add(id(member))
                found.append(("".join(prefix) + name, member))
        return found

    def modules(self) -> list[Module]:
        """This module and every module inside it, parents before children.

        >>> from nn import MLP
        >>> len(MLP(2, [4, 1]).modules())   # the MLP, 2 layers, 5 neurons
        8
        """
        return [m for _, m in self.named_modules()]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter with its dotted name, in a fixed order (attribute order, depth first).

        This is the one source of parameter names: ``state_dict()``, ``summary()``, the
        labels nn sets and the groups of a drawing all read it.  A Value shared by two
        modules (tied weights) is listed once, under its first name.

        >>> from nn import Neuron
        >>> [name for name, _ in Neuron(2).named_parameters()]
        ['w.0', 'w.1', 'b']
        """
        out: list[tuple[str, Value]] = []
        seen: set[int] = set()
        for prefix, name, member in self._walk_tree():
            if isinstance(member, Value) and id(member) not in seen:
                seen.add(id(member))
                out.append(("".join(prefix) + name, member))
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

        With ``strict=True`` a missing or an extra name raises ValueError naming it (a few
        names and how many there are in all); with ``strict=False`` they are skipped and
        listed in the result.  A value that is not a number, or an int too large for a
        float, raises ValueError.  Everything is checked before anything is written, so a
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
        updates, missing, unexpected = saving.check_state(where, dict(self.named_parameters()), state, strict)
        for p, value in updates:
            p.data = value
        return LoadResult(missing, unexpected)

    def save(self, path: str | os.PathLike) -> None:
        """Write the parameters to ``path`` as JSON (never pickle); ``load`` reads them back exactly.

        Floats are written with ``repr``, so a save/load round trip gives the same bits;
        NaN and infinities as the strings "NaN", "Infinity", "-Infinity" (see ``nn.saving``).
        The old file is replaced in one step, after the new one is safely on the disk, so a
        failure part way leaves it as it was.

        >>> import os, tempfile
        >>> from nn import MLP
        >>> model = MLP(2, [3, 1])
        >>> path = os.path.join(tempfile.mkdtemp(), 'model.json')
        >>> model.save(path)
        >>> MLP(2, [3, 1]).load(path).state_dict() == model.state_dict()
        True
        """
        state = self.state_dict()
        document = {
            "format": saving.FORMAT,
            "version": saving.VERSION,
            "model": type(self).__name__,
            "num_parameters": len(state),
            "state_dict": {name: saving.encode_number(x) for name, x in state.items()},
        }
        saving.write(path, document, f"{type(self).__name__}.save")

    def load(self, path: str | os.PathLike, strict: bool = True) -> Module:
        """Read parameters written by ``save(path)`` into this model, all or nothing; returns self.

        Build the model the same way first (``MLP(2, [16, 16, 1]).load('model.json')``): the
        file holds the numbers, the code holds the architecture.  A file that is not JSON,
        is cut short, is not a saved model, comes from a newer version or (with
        ``strict=True``) from another class of model raises ValueError naming the file, and
        changes nothing.
        """
        where = f"{type(self).__name__}.load"
        check_bool(f"{where}: strict", strict)
        document = saving.read(path, where)
        if strict and document["model"] != type(self).__name__:
            raise ValueError(f"{where}: {os.fspath(path)!r} holds a {document['model']}, not a "
                             f"{type(self).__name__}; build the same model first (or pass strict=False)")
        self.load_state_dict(saving.state_of(document), strict=strict)
        return self

    # --- printing --------------------------------------------------------------------

    def extra_repr(self) -> str:
        """What goes between the parentheses of the repr, e.g. ``'nin=2, activation='relu''``."""
        return ""

    def __repr__(self) -> str:
        # NB: PyTorch's layout: one line per child, runs of identical children folded into "(0-15): 16 x ...".
        # Children are written before their parents, without recursion: a Sequential 1,000 deep prints.
        written: dict[int, summary.Lines] = {}
        for m in reversed(self.modules()):
            if type(m).__repr__ is Module.__repr__:
                written[id(m)] = summary.repr_lines(m, written)
            else:
                written[id(m)] = [(0, line) for line in repr(m).split("\n")]
        return summary.join_lines(written[id(self)])

    def _title(self) -> str:
        extra = self.extra_repr()
        return f"{type(self).__name__}({extra})" if extra else type(self).__name__

    def summary(self) -> summary.Summary:
        """A table of the parameters: one row per list of them, with its name, shape and count, then the total.

        NB: like torchinfo's summary().  The names are those of ``named_parameters()``; the
        result is a str that shows as the table at a prompt.

        >>> from nn import MLP
        >>> MLP(2, [2, 1]).summary()
        MLP
        Name                  Shape  Params
        ===================================
        layers.0.neurons.0.w  (2,)        2
        layers.0.neurons.0.b  ()          1
        layers.0.neurons.1.w  (2,)        2
        layers.0.neurons.1.b  ()          1
        layers.1.neurons.0.w  (2,)        2
        layers.1.neurons.0.b  ()          1
        ===================================
        Total params: 9
        """
        return summary.summary_text(self._title(), self.named_parameters())

    def _repr_html_(self) -> str:
        """The parameter table as HTML: what a Jupyter notebook shows for a module."""
        return summary.summary_html(self._title(), self.named_parameters())

    def graph_groups(self) -> groups.GraphGroups:
        """``draw_dot``'s ``group_by`` for this model: a leaf -> the modules holding it, outermost first, or None.

        >>> from nn import MLP
        >>> model = MLP(2, [2, 1])
        >>> model.graph_groups()(model.layers[0].neurons[1].w[0])
        ('layers.0', 'layers.0.neurons.1')
        """
        return groups.GraphGroups(self)
