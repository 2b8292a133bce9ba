"""Backprop one node at a time: the backward pass as steps a learner can read, undo and draw.

``backward_steps(root)`` is ``engine.backward_pass`` with words: each ``next()`` applies the
chain rule at one node (the very step ``backward()`` takes) and returns a ``Step`` that
explains it with numbers.  ``Stepper(root)`` adds what a lesson needs: going back, jumping
ahead, the whole chain rule down to one node, pictures and a classroom walkthrough page.

>>> from engine import Value
>>> a = Value(2.0, label='a'); b = Value(-3.0, label='b')
>>> c = a * b; c.label = 'c'
>>> steps = backward_steps(c)
>>> next(steps)
c = a * b: dL/da += dL/dc * dc/da = 1.0 * -3.0 = -3.0  ->  a.grad = -3.0
           dL/db += dL/dc * dc/db = 1.0 * 2.0 = 2.0  ->  b.grad = 2.0
           (mul: d(a*b)/da = b, d(a*b)/db = a)

``L`` always means the Value you step backward from (here ``c``), so ``dL/dc = 1``.

The parts, each importing only those before it: ``walk`` (the bookkeeping and the checks),
``words`` (the texts), ``steps`` (``backward_steps``), ``export`` (pictures and the walkthrough
page, ``walkthrough.html``), ``navigation`` (the ``Stepper``).
"""

from .navigation import Stepper, forward_steps
from .steps import backward_steps
from .walk import GraphChangedError
from .words import Step

__all__ = ["Step", "Stepper", "backward_steps", "forward_steps", "GraphChangedError"]
