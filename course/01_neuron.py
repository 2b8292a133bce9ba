# %% [markdown]
# # 1. The artificial neuron
#
# A neuron takes some inputs $x_i$, multiplies each by a weight $w_i$, adds a bias $b$, and passes
# the sum through an **activation** function: $o = f(\sum_i w_i x_i + b)$.
#
# In chainrule every number of that computation is a `Value`: it holds one float and remembers
# how it was made, so `backward()` can later fill in every gradient by the chain rule.
# This chapter builds a neuron by hand, then with `nn`, looks at three activations and their
# derivatives, and shows why a network needs activations at all.
#
# API pages: [engine and nn](../docs/nn.md), [rendering](../docs/rendering.md).

# %%
# Setup: make the repository importable when chainrule is not installed (harmless when it is).
import math
import pathlib
import sys

sys.path[:0] = [str(pathlib.Path.cwd().parent)]

import matplotlib.pyplot as plt
from exercises import check_gradients, check_true, check_values

import nn
from engine import Value, draw_dot

# %% [markdown]
# ## A neuron by hand
# Two inputs, two weights, a bias, and tanh: the lecture's own neuron. The bias 6.8813735870195432
# is chosen so that the weighted sum comes out at 0.8814, where tanh gives about 0.7071.

# %%
x1 = Value(2.0, label="x1")
x2 = Value(0.0, label="x2")
w1 = Value(-3.0, label="w1")
w2 = Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")
n = x1 * w1 + x2 * w2 + b
n.label = "n"
o = n.tanh()
o.label = "o"
o.backward()
print(f"o = {o.data:.4f}")
for v in (x1, x2, w1, w2, b):
    print(f"d o / d {v.label} = {v.grad:+.4f}")

# %% [markdown]
# Each box shows a node: its name, its value and its gradient $\partial o / \partial \text{node}$.
# Read it right to left: that is the order in which `backward()` filled in the gradients.

# %%
draw_dot(o)

# %% [markdown]
# ## The same neuron from `nn`
# `nn.Neuron(nin)` holds its weights `w` and bias `b` as Values and computes
# `act(w · x + b)`: the weighted sum is one `dot` node, however many inputs there are.

# %%
nn.manual_seed(0)
neuron = nn.Neuron(2, activation="tanh")
out = neuron([2.0, 0.0])
print(neuron)
print("output:", round(out.data, 4), "  parameters:", [p.label for p in neuron.parameters()])

# %% [markdown]
# ## Activations and their derivatives
# ReLU, sigmoid and tanh, each with the derivative the engine computes by `backward()`: we never
# write a derivative here, we ask for it.

# %%
def curve(activation, xs):
    """The activation's values and the engine's derivative at each x."""
    ys, dys = [], []
    for x in xs:
        v = Value(x)
        y = getattr(v, activation)()
        y.backward()
        ys.append(y.data)
        dys.append(v.grad)
    return ys, dys


xs = [i / 20 for i in range(-100, 101)]
fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
for ax, name in zip(axes, ["relu", "sigmoid", "tanh"]):
    ys, dys = curve(name, xs)
    ax.plot(xs, ys, label=name)
    ax.plot(xs, dys, "--", label=f"d {name}/dx")
    ax.set_title(name)
    ax.axhline(0, color="grey", lw=0.5)
    ax.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# What the pictures say, checked in numbers: sigmoid's slope is at most 1/4 (at 0), tanh's at most 1,
# and ReLU's is exactly 1 for every positive input and 0 for every negative one.

# %%
print("largest sigmoid slope:", max(curve("sigmoid", xs)[1]))
print("largest tanh slope:   ", max(curve("tanh", xs)[1]))
print("ReLU slopes seen:     ", sorted(set(curve("relu", xs)[1])))

# %% [markdown]
# ## Why a network needs activations
# Two linear layers in a row, with nothing between them, compute $W_2 (W_1 x + b_1) + b_2$, which
# is $(W_2 W_1) x + (W_2 b_1 + b_2)$: **one** linear layer. Depth buys nothing without a
# non-linearity. Here it is in numbers: we multiply the two layers' weights into one layer and get
# the same outputs.

# %%
nn.manual_seed(1)
first, second = nn.Linear(2, 3), nn.Linear(3, 1)
W1 = [[w.data for w in row] for row in first.weight]
b1 = [b.data for b in first.bias]
W2 = [[w.data for w in row] for row in second.weight]
b2 = [b.data for b in second.bias]
W = [[sum(W2[0][k] * W1[k][j] for k in range(3)) for j in range(2)]]
bias = [sum(W2[0][k] * b1[k] for k in range(3)) + b2[0]]
print("the combined layer:  W =", [[round(w, 4) for w in W[0]]], " b =", [round(bias[0], 4)])
for x in ([1.0, 2.0], [-0.5, 3.0], [4.0, -1.0]):
    two_layers = second(first(x))[0].data
    one_layer = W[0][0] * x[0] + W[0][1] * x[1] + bias[0]
    print(f"x = {x}:  two layers {two_layers:+.12f}   one layer {one_layer:+.12f}")

# %% [markdown]
# Put a `tanh` between them and no single linear layer can match it any more: the outputs bend.
# Walk the input in equal steps, x, 2x, 3x, 4x: a linear layer's output would change by the same
# amount at every step; with tanh between, the steps are not equal.

# %%
walk = [[1.0 * k, 2.0 * k] for k in range(1, 5)]
linear = [second(first(x))[0].data for x in walk]
bent = [second([h.tanh() for h in first(x)])[0].data for x in walk]
print("steps without tanh:", [round(b - a, 4) for a, b in zip(linear, linear[1:])])
print("steps with tanh:   ", [round(b - a, 4) for a, b in zip(bent, bent[1:])])

# %% [markdown]
# ## Exercises
# Each exercise has a check to run. The solutions are in `01_neuron_solutions.ipynb`.
#
# **1.1** Write `leaky(v)`: $x$ for $x > 0$ and $0.1x$ otherwise, using only Value operations
# (hint: `v.relu()` and arithmetic). The check compares your values with leaky ReLU's
# and your gradients with central differences.

# %%
def leaky(v):
    ...  # your code here


check_gradients(leaky, 1.5, -2.0, expected=lambda x: x if x > 0 else 0.1 * x)

# %% [markdown]
# **1.2** Write `neuron_out(x)`: the lecture neuron's output for inputs `x1 = x`, `x2 = 0` (the same
# weights and bias as above), returning a Value.

# %%
def neuron_out(x):
    ...  # your code here


check_values(neuron_out, lambda x: math.tanh(-3.0 * x + 6.8813735870195432), [2.0, 0.5, -1.0])

# %% [markdown]
# **1.3** Using the engine (not algebra), find the slope of sigmoid at $x = 0$ and store it in `slope`.

# %%
slope = ...  # your code here

check_true(slope is not ... and abs(slope - 0.25) < 1e-12, "sigmoid's slope at 0 is 1/4")
