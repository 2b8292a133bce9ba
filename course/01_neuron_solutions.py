# %% [markdown]
# # 1. The artificial neuron: solutions
# Try the exercises in `01_neuron.ipynb` first. Each solution below is followed by the same check.

# %%
import math
import pathlib
import sys

sys.path[:0] = [str(pathlib.Path.cwd().parent)]

from exercises import check_gradients, check_true, check_values

from engine import Value

# %% [markdown]
# **1.1** `leaky(v)`: for $x > 0$, relu(x) = x; for $x \le 0$, relu(-x) = -x. So
# $x \mapsto \text{relu}(x) - 0.1\,\text{relu}(-x)$ is x on the right and 0.1x on the left.

# %%
def leaky(v):
    return v.relu() - 0.1 * (-v).relu()


check_gradients(leaky, 1.5, -2.0, expected=lambda x: x if x > 0 else 0.1 * x)

# %% [markdown]
# **1.2** The lecture neuron with `x2 = 0`: its `x2 * w2` term is 0.

# %%
def neuron_out(x):
    x1, x2 = Value(x), Value(0.0)
    w1, w2, b = Value(-3.0), Value(1.0), Value(6.8813735870195432)
    return (x1 * w1 + x2 * w2 + b).tanh()


check_values(neuron_out, lambda x: math.tanh(-3.0 * x + 6.8813735870195432), [2.0, 0.5, -1.0])

# %% [markdown]
# **1.3** Ask the engine: a Value at 0, its sigmoid, backward, and read the input's grad.

# %%
x = Value(0.0)
x.sigmoid().backward()
slope = x.grad

check_true(slope is not ... and abs(slope - 0.25) < 1e-12, "sigmoid's slope at 0 is 1/4")
