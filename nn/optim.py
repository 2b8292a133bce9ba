"""Optimizers: they move each parameter a little against its gradient, once per ``step()``.

The update rules are PyTorch's, written out one parameter at a time so they can be read.
``lr`` is an attribute: change it between steps to decay the learning rate, or let a
scheduler from ``nn.lr_scheduler`` do it.  Settings are checked when set (a bad one is a
ValueError or TypeError naming it), and a step refuses a gradient that is not a real
number (a complex number or a Value) rather than move a parameter by it.

>>> from engine import Value

from .checks import short
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

from .checks import short

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop"]


def _number(where: str, name: str, x: object, *, low: float = 0.0, below: float | None = None) -> float:
    """A hyperparameter: a real number >= low (and < below), else an error naming it."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: {name} must be a number, got {type(x).__name__} {x!r}")
    try:
        x = float(x)
    except OverflowError:
        raise ValueError(f"{where}: {name} is too large for a float, got {short(x)}") from None
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
        self.lr = lr
        self.steps = 0

    @property
    def lr(self) -> float:
        """The learning rate of the next step (a float >= 0)."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _number(type(self).__name__, "lr", value)

    def _grads(self) -> list[float]:
        """Every parameter's grad as a float; a TypeError naming the parameter for one that is not a real number."""
        grads = [p.grad for p in self.params]
        for i, g in enumerate(grads):
            if type(g) is not float:
                grads[i] = self._real_grad(i, g)
        return grads

    def _real_grad(self, i: int, g: object) -> float:
        p = self.params[i]
        name = f"parameter {i}" + (f" ({p.label!r})" if p.label else "")
        if isinstance(g, bool) or not isinstance(g, numbers.Real):
            raise TypeError(f"{type(self).__name__}.step: the grad of {name} must be a real number, got "
                            f"{type(g).__name__} {g!r}; set .grad to a float (or call backward())")
        try:
            return float(g)
        except OverflowError:
            raise ValueError(f"{type(self).__name__}.step: the grad of {name} is too large for a float, "
                             f"got {g!r}") from None

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
        for i, (p, g) in enumerate(zip(self.params, self._grads())):
            if decay:
                g = g + decay * p.data
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
        where = type(self).__name__
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise TypeError(f"{where}: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = tuple(_number(where, f"betas[{i}]", b, below=1.0) for i, b in enumerate(betas))
        self.eps = _number(where, "eps", eps)
        self.weight_decay = _number(where, "weight_decay", weight_decay)
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        self._update(self._grads(), self.weight_decay)

    def _update(self, grads: list[float], decay: float) -> None:
        """One Adam step with ``decay`` added to the gradients (AdamW passes 0: it decays the weights)."""
        self.steps += 1
        beta1, beta2 = self.betas
        lr, eps = self.lr, self.eps
        correction1 = 1.0 - beta1**self.steps
        correction2 = 1.0 - beta2**self.steps
        m, v, sqrt = self.m, self.v, math.sqrt
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if decay:
                g = g + decay * p.data
            m[i] = beta1 * m[i] + (1.0 - beta1) * g
            v[i] = beta2 * v[i] + (1.0 - beta2) * g * g
            p.data -= lr * (m[i] / correction1) / (sqrt(v[i] / correction2) + eps)


class AdamW(Adam):
    """Adam with decoupled weight decay: the weights shrink by lr * weight_decay before each Adam step.

    NB: torch.optim.AdamW (same defaults: weight_decay=0.01).  Per parameter p, at step t:
        p = p * (1 - lr * weight_decay)
        p = p - lr * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + eps)     (m, v as in Adam)

    Unlike Adam's weight_decay, the decay does not pass through m and v, so every weight
    shrinks at the same rate whatever its gradient's history.

    >>> from engine import Value
    >>> w = Value(1.0); w.grad = 0.0
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> opt.step(); w.data               # only the decay: 1 * (1 - 0.1 * 0.5)
    0.95
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ):
        super().__init__(params, lr, betas, eps, weight_decay)

    def step(self) -> None:
        grads = self._grads()  # refuse a bad grad before the decay moves anything
        shrink = 1.0 - self.lr * self.weight_decay
        if shrink != 1.0:
            for p in self.params:
                p.data *= shrink
        self._update(grads, 0.0)


class RMSprop(Optimizer):
    """RMSprop: each step divided by a running root mean square of the gradient.  NB: torch.optim.RMSprop.

    Per parameter p with gradient g:
        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g**2
        a = sqrt(v) + eps        (centered=True: a = sqrt(v - mean_g**2) + eps,
                                  with mean_g = alpha * mean_g + (1 - alpha) * g)
        p = p - lr * g / a       (momentum: b = momentum * b + g / a; p = p - lr * b)

    >>> from engine import Value
    >>> w = Value(1.0); w.grad = 4.0
    >>> opt = RMSprop([w], lr=0.01, alpha=0.75, eps=0.0)
    >>> opt.step(); w.data             # v = 0.25 * 16 = 4, so the step is 0.01 * 4 / 2
    0.98
    """

    def __init__(self, params: Iterable[Value], lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False):
        super().__init__(params, lr)
        self.alpha = _number("RMSprop", "alpha", alpha, below=1.0)
        self.eps = _number("RMSprop", "eps", eps)
        self.weight_decay = _number("RMSprop", "weight_decay", weight_decay)
        self.momentum = _number("RMSprop", "momentum", momentum)
        if not isinstance(centered, bool):
            raise TypeError(f"RMSprop: centered must be True or False, got {centered!r}")
        self.centered = centered
        n = len(self.params)
        self.square_avg, self.grad_avg, self.momentum_buffer = [0.0] * n, [0.0] * n, [0.0] * n

    def step(self) -> None:
        grads = self._grads()
        lr, alpha, eps, decay, momentum = self.lr, self.alpha, self.eps, self.weight_decay, self.momentum
        v, mean, buf = self.square_avg, self.grad_avg, self.momentum_buffer
        for i, (p, g) in enumerate(zip(self.params, grads)):
            if decay:
                g = g + decay * p.data
            v[i] = alpha * v[i] + (1.0 - alpha) * g * g
            if self.centered:
                mean[i] = alpha * mean[i] + (1.0 - alpha) * g
                # v >= mean**2 in exact arithmetic; max() keeps a rounding error from reaching sqrt.
                a = math.sqrt(max(v[i] - mean[i] * mean[i], 0.0)) + eps
            else:
                a = math.sqrt(v[i]) + eps
            if momentum:
                buf[i] = momentum * buf[i] + g / a
                p.data -= lr * buf[i]
            else:
                p.data -= lr * g / a
        self.steps += 1
