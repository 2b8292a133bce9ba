"""chainrule's autograd engine: ``Value``, a scalar that records its computation graph.

>>> from engine import Value
>>> x = Value(2.0, label='x')
>>> y = x * x + 1
>>> y.backward()
>>> y.data, x.grad
(5.0, 4.0)
"""

from .compile import CompileCheckError, CompiledFunction, compile
from .forward_mode import jvp, tangents
from .gradcheck import GradcheckError, assert_gradients_close, gradcheck, gradcheck_module
from .graph import GraphvizNotFoundError, draw_dot, format_graph, render
from .ops import OPS, Op, register_op
from .stepper import GraphChangedError, Step, Stepper, backward_steps, forward_steps
from .value import (
    AnomalyError,
    Value,
    apply,
    backward_pass,
    detect_anomaly,
    dot,
    is_grad_enabled,
    no_grad,
    sum,
    topological_order,
)

__all__ = [
    "Value",
    "OPS",
    "Op",
    "register_op",
    "apply",
    "sum",
    "dot",
    "no_grad",
    "is_grad_enabled",
    "detect_anomaly",
    "AnomalyError",
    "topological_order",
    "backward_pass",
    "gradcheck",
    "gradcheck_module",
    "GradcheckError",
    "assert_gradients_close",
    "jvp",
    "tangents",
    "format_graph",
    "draw_dot",
    "render",
    "GraphvizNotFoundError",
    "backward_steps",
    "forward_steps",
    "Step",
    "Stepper",
    "GraphChangedError",
    "compile",
    "CompiledFunction",
    "CompileCheckError",
]
