"""Optimizers: they move each parameter a little against its gradient, once per ``step()``.

The update rules are PyTorch's, written out one parameter at a time so they can be read.
``lr`` is a plain attribute: change it between steps to decay the learning rate.

>>> from engine import Value
>>> w = Value(1.0)
>>> opt = SGD([w], lr=0.1)
>>> (w * w).backward()      # d(w*w)/dw = 2
>>> opt.step(); w.data      # 1.0 - 0.1 * 2
0.8
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

from engine import Value

__all__ = ["Optimizer", "SGD", "Adam"]


def _number(where: str, name: str, x: object, *, low: float = 0.0, below: float | None = None) -> float:
    """A hyperparameter: a real number >= low (and < below), else an error naming it."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: {name} must be a number, got {type(x).__name__} {x!r}")
    x = float(x)
    if not (math.isfinite(x) and x >= low and (below is None or x < below)):
        bounds = f">= {low}" + (f" and < {below}" if below is not None else "")
        raise ValueError(f"{where}: {name} must be {bounds}, got {x!r}")
    return x


class Optimizer:
    """Base class: holds the parameters, ``zero_grad()``; subclasses define ``step()``."""

    def __init__(self, params: Iterable[Value], lr: float):
        where = type(self).__name__
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{where}: got no parameters to optimize (an empty list)")
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"{where}: parameter {i} must be a Value, got {type(p).__name__} {p!r}")
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError(f"{where}: a parameter appears more than once; it would be updated twice per step")
        self.lr = _number(where, "lr", lr)
        self.steps = 0

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0.0 (leaves accumulate, so do this before each backward)."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its ``.grad``."""
        raise NotImplementedError(f"{type(self).__name__}: an Optimizer subclass must define step()")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr!r})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum and weight decay.  NB: torch.optim.SGD.

    Per parameter p with gradient g:
        g = g + weight_decay * p
        v = momentum * v + g          (v = g on the first step)
        p = p - lr * v                (p = p - lr * g without momentum)

    >>> from engine import Value
    >>> w = Value(1.0); w.grad = 2.0
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> opt.step(); opt.step(); round(w.data, 6)   # v = 2, then 0.9*2 + 2 = 3.8
    0.42
    """

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, lr)
        self.momentum = _number("SGD", "momentum", momentum)
        self.weight_decay = _number("SGD", "weight_decay", weight_decay)
        self.velocity = [0.0] * len(self.params)

    def step(self) -> None:
        lr, momentum, decay = self.lr, self.momentum, self.weight_decay
        first = self.steps == 0
        for i, p in enumerate(self.params):
            g = p.grad + decay * p.data if decay else p.grad
            if momentum:
                g = self.velocity[i] = g if first else momentum * self.velocity[i] + g
            p.data -= lr * g
        self.steps += 1


class Adam(Optimizer):
    """Adam: steps scaled by running averages of the gradient and its square.  NB: torch.optim.Adam.

    Per parameter p with gradient g, at step t = 1, 2, ...:
        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        p = p - lr * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + eps)

    >>> from engine import Value
    >>> w = Value(1.0); w.grad = 5.0
    >>> opt = Adam([w], lr=0.1)
    >>> opt.step(); round(w.data, 6)     # the first step is about lr, whatever the gradient's size
    0.9
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        super().__init__(params, lr)
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise TypeError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = tuple(_number("Adam", f"betas[{i}]", b, below=1.0) for i, b in enumerate(betas))
        self.eps = _number("Adam", "eps", eps)
        self.weight_decay = _number("Adam", "weight_decay", weight_decay)
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        self.steps += 1
        beta1, beta2 = self.betas
        lr, eps, decay = self.lr, self.eps, self.weight_decay
        correction1 = 1.0 - beta1**self.steps
        correction2 = 1.0 - beta2**self.steps
        m, v = self.m, self.v
        for i, p in enumerate(self.params):
            g = p.grad + decay * p.data if decay else p.grad
            m[i] = beta1 * m[i] + (1.0 - beta1) * g
            v[i] = beta2 * v[i] + (1.0 - beta2) * g * g
            p.data -= lr * (m[i] / correction1) / (math.sqrt(v[i] / correction2) + eps)
