"""chainrule's autograd engine: ``Value``, a scalar that records its computation graph.

>>> from engine import Value
>>> x = Value(2.0, label='x')
>>> y = x * x + 1
>>> y.backward()
>>> y.data, x.grad
(5.0, 4.0)
"""

from .compile import CompileCheckError, CompiledFunction, compile
from .draw import GraphvizNotFoundError, draw_dot, render
from .forward_mode import jvp, tangents
from .functions import dot, max, register_op, scoped_op, sum, take
from .gradcheck import GradcheckError, assert_gradients_close, gradcheck, gradcheck_module
from .graph_text import format_graph
from .ops import OPS, Op
from .stepper import GraphChangedError, Step, Stepper, backward_steps, forward_steps
from .value import (
    AnomalyError,
    Value,
    apply,
    backward_pass,
    detect_anomaly,
    enable_grad,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    topological_order,
)

__all__ = [
    "Value",
    "OPS",
    "Op",
    "register_op",
    "scoped_op",
    "apply",
    "sum",
    "dot",
    "take",
    "max",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "detect_anomaly",
    "is_anomaly_enabled",
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
