"""Recurrent layers: a hidden state carried from step to step, as plain RNN, LSTM and GRU, PyTorch's equations.

A sequence is a list of input vectors, ``[time][input_size]``.  A cell (``RNNCell``,
``LSTMCell``, ``GRUCell``) takes one input vector and the state and returns the next
state; the sequence modules (``RNN``, ``LSTM``, ``GRU``) run a cell along a whole
sequence and return every step's output and the final state, as PyTorch's do.

Every gate's pre-activation is one ``dot`` node: the row of ``weight_ih`` and of
``weight_hh`` and both biases, against the input, the previous hidden state and two 1s.

>>> import random
>>> rnn = LSTM(input_size=1, hidden_size=3, rng=random.Random(0))
>>> outputs, (h_n, c_n) = rnn([[1.0], [0.0], [-1.0]])
>>> len(outputs), len(outputs[0]), len(h_n), len(h_n[0])     # 3 steps of 3 units; 1 layer of 3
(3, 3, 1, 3)
>>> h_n[0] == outputs[-1]          # the final hidden state is the last output
True
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from engine import Value, dot

from .checks import check_choice, check_count, check_size
from .module import Module
from .shapes import Nested, expect_shape, parameters, values

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU"]

Vector = list[Value]


class _Cell(Module):
    """What the three cells share: ``gates * hidden_size`` rows of weights for the input and the hidden state.

    NB: PyTorch's layout: ``weight_ih`` is ``[gates * hidden_size][input_size]``, the gates
    stacked in PyTorch's order (LSTM: i, f, g, o; GRU: r, z, n), and every weight and bias
    starts uniform in +-1/sqrt(hidden_size).
    """

    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, *, rng: random.Random | None = None):
        where = type(self).__name__
        self.input_size = check_size(f"{where}: input_size", input_size)
        self.hidden_size = check_size(f"{where}: hidden_size", hidden_size)
        rows = self._gates * hidden_size
        check_count(where, (rows, input_size + hidden_size + 2))
        bound = 1.0 / math.sqrt(hidden_size)
        self.weight_ih = parameters((rows, input_size), bound, rng)
        self.weight_hh = parameters((rows, hidden_size), bound, rng)
        self.bias_ih = parameters((rows,), bound, rng) if bias else None
        self.bias_hh = parameters((rows,), bound, rng) if bias else None

    # --- one step, for the cell's forward and for the sequence modules' loop ----------

    def _rows(self) -> list[Vector]:
        """Each gate row's weights for ``[*x, *h, 1, 1]``: weight_ih, weight_hh, then both biases."""
        if self.bias_ih is None:
            return [wi + wh for wi, wh in zip(self.weight_ih, self.weight_hh)]
        weights = zip(self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return [wi + wh + [bi, bh] for wi, wh, bi, bh in weights]

    def _step(self, rows, x: Vector, state, one: Value):
        raise NotImplementedError

    def _tail(self, one: Value) -> Vector:
        """What the biases multiply: two 1s, or nothing without biases."""
        return [one, one] if self.bias_ih is not None else []

    # --- checking inputs -------------------------------------------------------------

    def _vector(self, x: Nested, what: str) -> Vector:
        """``input`` or ``hx`` checked to be one vector of the right size, as Values."""
        size, dim = (self.input_size, "input_size") if what == "input" else (self.hidden_size, "hidden_size")
        expect_shape(f"{type(self).__name__} {what}", x, (size,), (dim,))
        return values(x)

    def _zeros(self) -> Vector:
        return [Value(0.0)] * self.hidden_size

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias_ih is not None}"


class RNNCell(_Cell):
    """One step of an Elman RNN: h' = tanh(W_ih x + b_ih + W_hh h + b_hh).

    NB: torch.nn.RNNCell; ``nonlinearity='relu'`` uses relu instead of tanh.  ``hx`` is the
    previous hidden state (zeros when left out); the result is the new one.

    >>> cell = RNNCell(1, 1, rng=random.Random(0))
    >>> _ = cell.load_state_dict({'weight_ih.0.0': 1.0, 'weight_hh.0.0': 2.0, 'bias_ih.0': 0.0, 'bias_hh.0': 0.0})
    >>> round(cell([0.5], [0.25])[0].data, 6) == round(math.tanh(0.5 + 2 * 0.25), 6)
    True
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 *, rng: random.Random | None = None):
        check_choice("RNNCell: nonlinearity", nonlinearity, ("tanh", "relu"))
        super().__init__(input_size, hidden_size, bias, rng=rng)
        self.nonlinearity = nonlinearity

    def forward(self, input: Nested, hx: Nested | None = None) -> Vector:
        x = self._vector(input, "input")
        h = self._zeros() if hx is None else self._vector(hx, "hx")
        return self._step(self._rows(), x, h, Value(1.0))

    def _step(self, rows, x: Vector, h: Vector, one: Value) -> Vector:
        xh = x + h + self._tail(one)
        if self.nonlinearity == "tanh":
            return [dot(row, xh).tanh() for row in rows]
        return [dot(row, xh).relu() for row in rows]

    def extra_repr(self) -> str:
        return super().extra_repr() + f", nonlinearity={self.nonlinearity!r}"


class LSTMCell(_Cell):
    """One step of an LSTM: gates decide what the cell state c forgets, takes in and shows as h.

    NB: torch.nn.LSTMCell, with its equations (sigma is the sigmoid):
        i = sigma(W_ii x + b_ii + W_hi h + b_hi)      input gate
        f = sigma(W_if x + b_if + W_hf h + b_hf)      forget gate
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)       candidate
        o = sigma(W_io x + b_io + W_ho h + b_ho)      output gate
        c' = f * c + i * g
        h' = o * tanh(c')
    ``weight_ih`` stacks the rows of W_ii, W_if, W_ig, W_io.  ``hx`` is ``(h, c)`` (zeros when
    left out); the result is ``(h', c')``.

    >>> cell = LSTMCell(2, 3, rng=random.Random(0))
    >>> h, c = cell([1.0, -1.0])
    >>> len(h), len(c)
    (3, 3)
    """

    _gates = 4

    def forward(self, input: Nested, hx: tuple[Nested, Nested] | None = None) -> tuple[Vector, Vector]:
        x = self._vector(input, "input")
        if hx is None:
            state = (self._zeros(), self._zeros())
        else:
            if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
                raise ValueError(f"LSTMCell: hx must be a pair (h, c) of {self.hidden_size} values each, got {hx!r}")
            state = (self._vector(hx[0], "hx"),
                     self._vector(hx[1], "hx"))
        return self._step(self._rows(), x, state, Value(1.0))

    def _step(self, rows, x: Vector, state: tuple[Vector, Vector], one: Value) -> tuple[Vector, Vector]:
        h, c = state
        n = self.hidden_size
        xh = x + h + self._tail(one)
        pre = [dot(row, xh) for row in rows]
        i = [p.sigmoid() for p in pre[:n]]
        f = [p.sigmoid() for p in pre[n:2 * n]]
        g = [p.tanh() for p in pre[2 * n:3 * n]]
        o = [p.sigmoid() for p in pre[3 * n:]]
        c_next = [dot((f[k], i[k]), (c[k], g[k])) for k in range(n)]  # f*c + i*g, one node
        h_next = [o[k] * c_next[k].tanh() for k in range(n)]
        return h_next, c_next


class GRUCell(_Cell):
    """One step of a GRU: a reset gate r and an update gate z mix the old state with a candidate n.

    NB: torch.nn.GRUCell, with its equations (sigma is the sigmoid):
        r = sigma(W_ir x + b_ir + W_hr h + b_hr)      reset gate
        z = sigma(W_iz x + b_iz + W_hz h + b_hz)      update gate
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))  candidate
        h' = (1 - z) * n + z * h
    ``weight_ih`` stacks the rows of W_ir, W_iz, W_in.

    >>> cell = GRUCell(2, 3, rng=random.Random(0))
    >>> len(cell([1.0, -1.0]))
    3
    """

    _gates = 3

    def forward(self, input: Nested, hx: Nested | None = None) -> Vector:
        x = self._vector(input, "input")
        h = self._zeros() if hx is None else self._vector(hx, "hx")
        return self._step(self._rows(), x, h, Value(1.0))

    def _rows(self):
        # r and z read [x, h, 1, 1] as one dot; n needs W_in x + b_in and W_hn h + b_hn apart.
        n = self.hidden_size
        if self.bias_ih is None:
            nx, nh = self.weight_ih[2 * n:], self.weight_hh[2 * n:]
        else:
            nx = [w + [b] for w, b in zip(self.weight_ih[2 * n:], self.bias_ih[2 * n:])]
            nh = [w + [b] for w, b in zip(self.weight_hh[2 * n:], self.bias_hh[2 * n:])]
        return super()._rows()[:2 * n], nx, nh

    def _step(self, rows, x: Vector, h: Vector, one: Value) -> Vector:
        rz_rows, nx_rows, nh_rows = rows
        n = self.hidden_size
        tail = self._tail(one)
        xh = x + h + tail
        r = [dot(row, xh).sigmoid() for row in rz_rows[:n]]
        z = [dot(row, xh).sigmoid() for row in rz_rows[n:]]
        x1, h1 = x + tail[:1], h + tail[:1]
        cand = [(dot(wx, x1) + r[k] * dot(wh, h1)).tanh() for k, (wx, wh) in enumerate(zip(nx_rows, nh_rows))]
        return [dot((1 - z[k], z[k]), (cand[k], h[k])) for k in range(n)]  # (1-z)*n + z*h


class _Recurrent(Module):
    """A stack of ``num_layers`` cells run along a sequence; parameters named as PyTorch's (``weight_ih_l0``)."""

    _cell = _Cell

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 *, rng: random.Random | None = None, **cell_options):
        where = type(self).__name__
        self.input_size = check_size(f"{where}: input_size", input_size)
        self.hidden_size = check_size(f"{where}: hidden_size", hidden_size)
        self.num_layers = check_size(f"{where}: num_layers", num_layers)
        check_count(where, (num_layers, self._cell._gates * hidden_size, input_size + hidden_size + 2))
        sizes = [input_size] + [hidden_size] * (num_layers - 1)
        # The cells are private; their weight lists are published under PyTorch's flat names,
        # so named_parameters() and state_dict() read like torch's: 'weight_ih_l0.3.1'.
        self._cells = [self._cell(n_in, hidden_size, bias, rng=rng, **cell_options) for n_in in sizes]
        for k, cell in enumerate(self._cells):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                if getattr(cell, name) is not None:
                    setattr(self, f"{name}_l{k}", getattr(cell, name))
        self.bias = bias

    def _run(self, input: Nested, states: list) -> tuple[list[Vector], list]:
        """Run every layer along the sequence; returns the top layer's outputs and each layer's final state."""
        where = type(self).__name__
        expect_shape(where, input, (None, self.input_size), ("seq_len", "input_size"))
        xs = values(input)
        one = Value(1.0)
        finals = []
        for cell, state in zip(self._cells, states):
            rows = cell._rows()  # built once per sequence, not once per step
            outputs = []
            for x in xs:
                state = cell._step(rows, x, state, one)
                outputs.append(self._output(state))
            finals.append(state)
            xs = outputs
        return xs, finals

    @staticmethod
    def _output(state) -> Vector:
        return state

    def _initial(self, hx: Nested | None, what: str) -> list[Vector]:
        if hx is None:
            return [[Value(0.0)] * self.hidden_size for _ in range(self.num_layers)]
        expect_shape(f"{type(self).__name__}: {what}", hx, (self.num_layers, self.hidden_size),
                     ("num_layers", "hidden_size"))
        return values(hx)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers > 1:
            text += f", num_layers={self.num_layers}"
        return text if self.bias else text + ", bias=False"


class RNN(_Recurrent):
    """An Elman RNN along a sequence: returns ``(output, h_n)``.

    NB: torch.nn.RNN without a batch.  ``input`` is ``[seq_len][input_size]``; ``output`` is
    the last layer's hidden state at every step, ``[seq_len][hidden_size]``; ``h_n`` is each
    layer's final hidden state, ``[num_layers][hidden_size]``.  ``hx`` (same shape as ``h_n``)
    is the starting state, zeros when left out.

    >>> rnn = RNN(2, 4, rng=random.Random(0))
    >>> output, h_n = rnn([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> len(output), len(h_n), h_n[0] == output[-1]
    (3, 1, True)
    """

    _cell = RNNCell

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, *, rng: random.Random | None = None):
        super().__init__(input_size, hidden_size, num_layers, bias, rng=rng, nonlinearity=nonlinearity)

    def forward(self, input: Nested, hx: Nested | None = None) -> tuple[list[Vector], list[Vector]]:
        return self._run(input, self._initial(hx, "hx"))

    def extra_repr(self) -> str:
        return super().extra_repr() + f", nonlinearity={self._cells[0].nonlinearity!r}"


class GRU(_Recurrent):
    """A GRU along a sequence: returns ``(output, h_n)``, shaped as ``RNN``'s.  NB: torch.nn.GRU.

    >>> gru = GRU(1, 2, num_layers=2, rng=random.Random(0))
    >>> output, h_n = gru([[1.0], [0.5]])
    >>> len(output), len(h_n), [name for name, _ in gru.named_parameters()][:2]
    (2, 2, ['weight_ih_l0.0.0', 'weight_ih_l0.1.0'])
    """

    _cell = GRUCell

    def forward(self, input: Nested, hx: Nested | None = None) -> tuple[list[Vector], list[Vector]]:
        return self._run(input, self._initial(hx, "hx"))


class LSTM(_Recurrent):
    """An LSTM along a sequence: returns ``(output, (h_n, c_n))``.  NB: torch.nn.LSTM.

    ``output`` is the last layer's h at every step, ``[seq_len][hidden_size]``; ``h_n`` and
    ``c_n`` are each layer's final h and c, ``[num_layers][hidden_size]``.  ``hx`` is
    ``(h_0, c_0)`` of that shape, zeros when left out.

    >>> lstm = LSTM(1, 2, rng=random.Random(0))
    >>> output, (h_n, c_n) = lstm([[1.0], [0.5]])
    >>> len(output), len(h_n), len(c_n)
    (2, 1, 1)
    """

    _cell = LSTMCell

    def forward(self, input: Nested, hx: Sequence[Nested] | None = None) -> tuple[list[Vector], tuple]:
        if hx is None:
            states = list(zip(self._initial(None, "h_0"), self._initial(None, "c_0")))
        else:
            if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
                raise ValueError(f"LSTM: hx must be a pair (h_0, c_0), each [num_layers={self.num_layers}]"
                                 f"[hidden_size={self.hidden_size}], got {hx!r}")
            states = list(zip(self._initial(hx[0], "h_0"), self._initial(hx[1], "c_0")))
        output, finals = self._run(input, states)
        return output, ([h for h, _ in finals], [c for _, c in finals])

    @staticmethod
    def _output(state) -> Vector:
        return state[0]
