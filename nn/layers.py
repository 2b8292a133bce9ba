"""The layers: micrograd's ``Neuron``, ``Layer`` and ``MLP``, and PyTorch's ``Linear`` and ``Sequential``.

A neuron computes ``act(w . x + b)``; its weighted sum is one ``dot`` node of the graph,
not ``2 * nin`` nodes of ``*`` and ``+``, which keeps graphs small and training fast.

>>> from nn import MLP, manual_seed
>>> manual_seed(1337)
>>> model = MLP(2, [16, 16, 1])      # micrograd's moons model
>>> model.num_parameters()
337
>>> round(model([2.0, -1.0]).data, 4)
-1.5342
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Sequence

from engine import Value, dot

from .checks import check_bool, check_count, check_real, check_size, describe, short
from .functional import activation as _activation_fn
from .init import check_rng, initialize, uniform_
from .module import Module
from .shapes import Nested

__all__ = ["Neuron", "Layer", "MLP", "Linear", "Sequential", "ReLU", "Tanh", "Sigmoid"]


def _bad_input(module: Module, x: object, expected: int) -> None:
    """Raise the error for an input of the wrong kind or length (kept off the fast path)."""
    shown = short(x, 80)
    try:
        given = len(x)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            f"{type(module).__name__}: expected a list of {expected} input feature(s) (Values or numbers), "
            f"got {type(x).__name__} {shown}"
        ) from None
    raise ValueError(f"{type(module).__name__}: expected {expected} input feature(s), got {given}: {shown}")


def _input_length(x: object) -> int:
    try:
        return len(x)  # type: ignore[arg-type]
    except TypeError:
        return -1


def _lifted(module: Module, x: Sequence[Value | float]) -> Sequence[Value]:
    """The inputs as Values, each plain number lifted once, so every neuron that reads it shares one node."""
    if all(isinstance(v, Value) for v in x):
        return x
    where = type(module).__name__
    return [v if isinstance(v, Value) else Value(check_real(f"{where}: input {i}", v, finite=False))
            for i, v in enumerate(x)]


class Neuron(Module):
    """One neuron: ``act(w . x + b)`` with ``nin`` weights ``w`` and a bias ``b``.

    ``nonlin=True`` means ReLU, as in micrograd; ``activation`` ('relu', 'tanh', 'sigmoid'
    or 'linear') chooses another and wins over ``nonlin``.  Weights start uniform in
    [-1, 1] and the bias at 0 (micrograd's), or by ``init='xavier_uniform'`` /
    ``'kaiming_uniform'`` (``fan_out`` is the layer's width, used by xavier); ``rng`` is a
    ``random.Random`` (default: nn's own, seeded by ``manual_seed``).

    >>> n = Neuron(2, activation='tanh', rng=random.Random(0))
    >>> n
    Neuron(nin=2, activation='tanh')
    >>> n([1.0, -2.0])
    Value(data=-0.3301..., grad=0.0)
    """

    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        activation: str | None = None,
        *,
        init: str = "uniform",
        fan_out: int = 1,
        rng: random.Random | None = None,
    ):
        self.nin = check_size("Neuron: nin (the number of inputs)", nin)
        check_bool("Neuron: nonlin", nonlin)
        if activation is None:
            activation = "relu" if nonlin else "linear"
        self._act = _activation_fn(activation, "Neuron: activation")
        self.activation = activation
        self.nonlin = activation != "linear"
        w = [Value(0.0) for _ in range(nin)]
        initialize(w, init, nin, fan_out, rng, "Neuron")
        self.w = w
        self.b = Value(0.0)

    def forward(self, x: Sequence[Value | float]) -> Value:
        if _input_length(x) != self.nin:
            _bad_input(self, x, self.nin)
        try:
            out = dot(self.w, x) + self.b
        except (TypeError, ValueError, OverflowError):
            _lifted(self, x)  # off the fast path: raises the error naming the input and this neuron
            raise
        act = self._act
        return out if act is None else act(out)

    def extra_repr(self) -> str:
        return f"nin={self.nin}, activation={self.activation!r}"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs; keyword arguments go to each ``Neuron``.

    Returns a list of ``nout`` Values, or a bare Value when ``nout == 1`` (as micrograd's does).

    >>> layer = Layer(3, 2, activation='sigmoid', rng=random.Random(0))
    >>> layer
    Layer(nin=3, nout=2, activation='sigmoid')
    >>> len(layer([1.0, 2.0, 3.0]))
    2
    """

    def __init__(self, nin: int, nout: int, **kwargs):
        self.nin = check_size("Layer: nin (the number of inputs)", nin)
        self.nout = check_size("Layer: nout (the number of neurons)", nout)
        check_count("Layer", (nout, nin + 1))
        self.neurons = [Neuron(nin, fan_out=nout, **kwargs) for _ in range(nout)]
        self.activation = self.neurons[0].activation

    def forward(self, x: Sequence[Value | float]) -> list[Value] | Value:
        if _input_length(x) != self.nin:
            _bad_input(self, x, self.nin)
        x = _lifted(self, x)
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        # One line, not one per neuron: the neurons only differ by their weights.
        return f"Layer(nin={self.nin}, nout={self.nout}, activation={self.activation!r})"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(nin, [h1, h2, ..., nout])``, micrograd's signature.

    Hidden layers use ``activation`` (ReLU by default) and the last layer
    ``output_activation`` (linear by default); or give ``activation`` as a list, one name
    per layer.  ``init`` and ``rng`` go to every neuron.  The output is a list of Values,
    or a bare Value when the last layer has one neuron.

    >>> model = MLP(2, [4, 4, 1], activation='tanh', rng=random.Random(0))
    >>> model
    MLP(
      (layers): [
        (0): Layer(nin=2, nout=4, activation='tanh')
        (1): Layer(nin=4, nout=4, activation='tanh')
        (2): Layer(nin=4, nout=1, activation='linear')
      ]
    )
    >>> model([0.5, -0.5])
    Value(data=..., grad=0.0)
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | Sequence[str] = "relu",
        output_activation: str | None = None,
        *,
        init: str = "uniform",
        rng: random.Random | None = None,
    ):
        self.nin = check_size("MLP: nin (the number of inputs)", nin)
        if isinstance(nouts, (int, str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"MLP: nouts must be a non-empty list of layer sizes such as [16, 16, 1], "
                             f"got {short(nouts)}")
        self.nouts = [check_size(f"MLP: nouts[{i}]", n) for i, n in enumerate(nouts)]
        if isinstance(activation, str):
            acts = [activation] * (len(nouts) - 1) + [output_activation or "linear"]
        else:
            acts = list(activation)
            if output_activation is not None:
                raise ValueError("MLP: give output_activation only with a single activation name, not with a list")
            if len(acts) != len(nouts):
                raise ValueError(f"MLP: activation list needs one name per layer ({len(nouts)}), got {len(acts)}")
        sizes = [nin, *self.nouts]
        check_count("MLP", (sum((a + 1) * b for a, b in zip(sizes, sizes[1:])),))
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation=acts[i], init=init, rng=rng) for i in range(len(self.nouts))
        ]

    def forward(self, x: Sequence[Value | float]) -> list[Value] | Value:
        if _input_length(x) != self.nin:
            _bad_input(self, x, self.nin)
        x = _lifted(self, x)
        for layer in self.layers:
            if isinstance(x, Value):  # a one-neuron hidden layer returned a bare Value
                x = [x]
            x = layer(x)
        return x


class Linear(Module):
    """``out_features`` weighted sums of ``in_features`` inputs, PyTorch's names and init.

    ``weight`` is a list of ``out_features`` rows of ``in_features`` Values, ``bias`` a list of
    ``out_features`` Values (or None with ``bias=False``); both start uniform in
    [-1/sqrt(in_features), 1/sqrt(in_features)] as in PyTorch.  Always returns a list.

    >>> lin = Linear(3, 2, rng=random.Random(0))
    >>> lin
    Linear(in_features=3, out_features=2, bias=True)
    >>> [name for name, _ in lin.named_parameters()][:4]
    ['weight.0.0', 'weight.0.1', 'weight.0.2', 'weight.1.0']

    To start from another distribution, refill the weights in place as in PyTorch
    (``nn.init.normal_(lin.weight, std=0.02)``; the fills take nested lists):

    >>> from nn.init import normal_, uniform_
    >>> normal_(lin.weight, mean=0.0, std=0.02, rng=random.Random(0))
    >>> uniform_(lin.bias, 0.0, 0.0)
    >>> [round(v.data, 4) for v in lin.weight[0]], [v.data for v in lin.bias]
    ([0.0188, -0.0279, -0.0136], [0.0, 0.0])
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, rng: random.Random | None = None):
        self.in_features = check_size("Linear: in_features", in_features)
        self.out_features = check_size("Linear: out_features", out_features)
        check_count("Linear", (out_features, in_features + 1))
        rng = check_rng(rng, "Linear")
        bound = 1.0 / math.sqrt(in_features)
        weight = [[Value(0.0) for _ in range(in_features)] for _ in range(out_features)]
        for row in weight:
            uniform_(row, -bound, bound, rng=rng)
        self.weight = weight
        if bias:
            b = [Value(0.0) for _ in range(out_features)]
            uniform_(b, -bound, bound, rng=rng)
            self.bias = b
        else:
            self.bias = None

    def forward(self, x: Sequence[Value | float]) -> list[Value]:
        if _input_length(x) != self.in_features:
            _bad_input(self, x, self.in_features)
        x = _lifted(self, x)
        if self.bias is None:
            return [dot(row, x) for row in self.weight]
        return [dot(row, x) + b for row, b in zip(self.weight, self.bias)]

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def _each(module: Module, act: Callable[[Value], Value], x: Nested) -> Nested:
    """``act`` on every number of a nested list, any depth (a conv's [channels][height][width] too), shape kept.

    Plain numbers go through the layers' checked lift, so a bad entry is named.
    """
    if isinstance(x, Value):
        return act(x)
    if not isinstance(x, (list, tuple)):
        return act(_lifted(module, [x])[0])
    if any(isinstance(item, (list, tuple)) for item in x):
        return [_each(module, act, item) for item in x]
    return [act(v) for v in _lifted(module, x)]


class _Elementwise(Module):
    """An activation applied to each Value of a list of any shape (or to one Value), as torch's are."""

    _name = "linear"

    def forward(self, x: Nested) -> Nested:
        return _each(self, _activation_fn(self._name), x)


class ReLU(_Elementwise):
    """max(x, 0) on each Value.  NB: torch.nn.ReLU.

    >>> ReLU()([Value(-1.0), Value(2.0)])
    [Value(data=0.0, grad=0.0), Value(data=2.0, grad=0.0)]
    >>> [[v.data for v in row] for row in ReLU()([[-1.0, 2.0], [3.0, -4.0]])]   # any shape, e.g. a feature map
    [[0.0, 2.0], [3.0, 0.0]]
    """

    _name = "relu"


class Tanh(_Elementwise):
    """tanh on each Value.  NB: torch.nn.Tanh.

    >>> Tanh()(Value(0.0))
    Value(data=0.0, grad=0.0)
    """

    _name = "tanh"


class Sigmoid(_Elementwise):
    """1 / (1 + e**-x) on each Value.  NB: torch.nn.Sigmoid.

    >>> Sigmoid()(Value(0.0))
    Value(data=0.5, grad=0.0)
    """

    _name = "sigmoid"


class Sequential(Module):
    """Modules applied one after the other; the children are named '0', '1', ... as in PyTorch.

    >>> net = Sequential(Linear(2, 4, rng=random.Random(0)), ReLU(), Linear(4, 1, rng=random.Random(1)))
    >>> net
    Sequential(
      (0): Linear(in_features=2, out_features=4, bias=True)
      (1): ReLU()
      (2): Linear(in_features=4, out_features=1, bias=True)
    )
    >>> net.named_parameters()[0][0], len(net([1.0, 2.0]))
    ('0.weight.0.0', 1)
    """

    def __init__(self, *modules: Module):
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: argument {i} must be a Module, got {describe(m)}")
        for i, m in enumerate(modules):
            setattr(self, str(i), m)
        self._sequence = tuple(modules)

    def forward(self, x):
        # A plain Sequential inside this one runs in this loop, not through a call of its own,
        # so a chain nested 1,000 deep stays within Python's recursion limit.
        stack = [iter(self._sequence)]
        while stack:
            for m in stack[-1]:
                if type(m) is Sequential:
                    stack.append(iter(m._sequence))
                    break
                x = m(x)
            else:
                stack.pop()
        return x

    def __len__(self) -> int:
        return len(self._sequence)

    def __getitem__(self, i: int) -> Module:
        return self._sequence[i]

    def __iter__(self) -> Iterator[Module]:
        return iter(self._sequence)
