"""Learning-rate schedules: they set ``optimizer.lr`` from the number of ``step()`` calls so far.

NB: torch.optim.lr_scheduler.  Make the scheduler after the optimizer and call
``scheduler.step()`` once after each ``optimizer.step()``.  The schedule counts from 0:
making the scheduler sets the lr for step 0, and the k-th ``scheduler.step()`` sets the
lr for step k.  The lr is ``base_lr * factor(k)`` (``base_lr`` is the optimizer's lr when the
scheduler was made), from the closed-form formula each class documents.

>>> from engine import Value
>>> from nn import SGD
>>> opt = SGD([Value(0.0)], lr=0.01)
>>> sched = LinearLR(opt, start_factor=1.0, end_factor=0.0, total_iters=4)
>>> lrs = []
>>> for _ in range(5):
...     lrs.append(opt.lr)      # ... forward, backward, opt.step() ...
...     sched.step()
>>> lrs
[0.01, 0.0075, 0.005, 0.0025, 0.0]
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

from .optim import Optimizer, _number

__all__ = ["LRScheduler", "LambdaLR", "LinearLR", "CosineAnnealingLR", "StepLR"]


def _steps(where: str, name: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"{where}: {name} must be a positive int (a number of steps), got {n!r}")
    return int(n)


class LRScheduler:
    """Base class: remembers ``base_lr``, counts steps in ``last_epoch`` and sets ``optimizer.lr``.

    Subclasses define ``lr_at(epoch)``, the lr at step ``epoch`` (0, 1, 2, ...); most do it as
    ``base_lr * factor(epoch)``.
    """

    def __init__(self, optimizer: Optimizer):
        where = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{where}: optimizer must be an nn Optimizer (SGD, Adam, ...), "
                            f"got {type(optimizer).__name__} {optimizer!r}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = -1
        self.step()

    def factor(self, epoch: int) -> float:
        """The multiplier of ``base_lr`` at step ``epoch`` (0, 1, 2, ...)."""
        raise NotImplementedError(f"{type(self).__name__}: an LRScheduler subclass must define factor() or lr_at()")

    def lr_at(self, epoch: int) -> float:
        """The lr this schedule gives at step ``epoch``."""
        return self.base_lr * self.factor(epoch)

    def get_lr(self) -> float:
        """The lr this schedule gives at ``last_epoch``."""
        return self.lr_at(self.last_epoch)

    def step(self) -> None:
        """Move to the next step and set the optimizer's lr for it."""
        self.last_epoch += 1
        lr = self.get_lr()
        if not (isinstance(lr, numbers.Real) and math.isfinite(lr) and lr >= 0):
            raise ValueError(f"{type(self).__name__}: the schedule gave lr={lr!r} at step {self.last_epoch}; "
                             f"a learning rate must be a finite number >= 0")
        self.optimizer.lr = float(lr)

    def get_last_lr(self) -> list[float]:
        """The lr set by the latest ``step()``, as a one-item list (PyTorch's shape: one per param group)."""
        return [self.optimizer.lr]

    def state_dict(self) -> dict:
        """The schedule's numbers (not the optimizer, nor a lambda), for saving with the model."""
        return {k: v for k, v in vars(self).items() if k != "optimizer" and not callable(v)}

    def load_state_dict(self, state: dict) -> None:
        """Restore what ``state_dict()`` gave (the step count and the settings)."""
        unknown = set(state) - set(self.state_dict())
        if unknown:
            raise ValueError(f"{type(self).__name__}.load_state_dict: unexpected keys {sorted(unknown)}")
        vars(self).update(state)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self.optimizer.lr!r})"


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(epoch), for any schedule you can write as a function.

    NB: torch.optim.lr_scheduler.LambdaLR.

    >>> from engine import Value
    >>> from nn import SGD
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> sched = LambdaLR(opt, lambda k: 0.5 ** k)
    >>> sched.step(); sched.step(); opt.lr
    0.25
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float]):
        if not callable(lr_lambda):
            raise TypeError(f"LambdaLR: lr_lambda must be a function of the step number, got {lr_lambda!r}")
        self.lr_lambda = lr_lambda
        super().__init__(optimizer)

    def factor(self, epoch: int) -> float:
        out = self.lr_lambda(epoch)
        if isinstance(out, bool) or not isinstance(out, numbers.Real):
            raise TypeError(f"LambdaLR: lr_lambda({epoch}) must return a number, got {type(out).__name__} {out!r}")
        return float(out)


class LinearLR(LRScheduler):
    """The factor goes in a straight line from ``start_factor`` to ``end_factor`` over ``total_iters`` steps.

    factor(k) = start + (end - start) * min(k, total_iters) / total_iters.  NB:
    torch.optim.lr_scheduler.LinearLR (whose defaults these are).  ``start_factor=1.0,
    end_factor=0.0`` decays the lr linearly to 0, as the names GPT trains.

    >>> from engine import Value
    >>> from nn import SGD
    >>> opt = SGD([Value(0.0)], lr=0.1)
    >>> sched = LinearLR(opt, total_iters=2)
    >>> round(opt.lr, 6); sched.step(); round(opt.lr, 6); sched.step(); opt.lr
    0.033333
    0.066667
    0.1
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5):
        where = "LinearLR"
        self.start_factor = _number(where, "start_factor", start_factor, low=0.0)
        if not 0.0 < self.start_factor <= 1.0:
            raise ValueError(f"{where}: start_factor must be > 0 and <= 1, got {start_factor!r}")
        self.end_factor = _number(where, "end_factor", end_factor, low=0.0)
        if self.end_factor > 1.0:
            raise ValueError(f"{where}: end_factor must be between 0 and 1, got {end_factor!r}")
        self.total_iters = _steps(where, "total_iters", total_iters)
        super().__init__(optimizer)

    def factor(self, epoch: int) -> float:
        done = min(epoch, self.total_iters) / self.total_iters
        return self.start_factor + (self.end_factor - self.start_factor) * done


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from base_lr down to ``eta_min`` over ``T_max`` steps.

    lr(k) = eta_min + (base_lr - eta_min) * (1 + cos(pi * k / T_max)) / 2.  NB:
    torch.optim.lr_scheduler.CosineAnnealingLR (its closed form; past T_max the cosine
    climbs back up, as there).

    >>> from engine import Value
    >>> from nn import SGD
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> sched = CosineAnnealingLR(opt, T_max=2)
    >>> sched.step(); round(opt.lr, 6); sched.step(); round(opt.lr, 6)
    0.5
    0.0
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0):  # noqa: N803 - torch's name
        self.T_max = _steps("CosineAnnealingLR", "T_max", T_max)
        self.eta_min = _number("CosineAnnealingLR", "eta_min", eta_min)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        cosine = (1.0 + math.cos(math.pi * epoch / self.T_max)) / 2.0
        return self.eta_min + (self.base_lr - self.eta_min) * cosine


class StepLR(LRScheduler):
    """Multiply the lr by ``gamma`` every ``step_size`` steps: factor(k) = gamma ** (k // step_size).

    NB: torch.optim.lr_scheduler.StepLR.

    >>> from engine import Value
    >>> from nn import SGD
    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for _ in range(5):
    ...     lrs.append(opt.lr); sched.step()
    >>> lrs
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        self.step_size = _steps("StepLR", "step_size", step_size)
        self.gamma = _number("StepLR", "gamma", gamma)
        super().__init__(optimizer)

    def factor(self, epoch: int) -> float:
        return self.gamma ** (epoch // self.step_size)
