# %% [markdown]
# # 3. Backpropagation in four steps: solutions
# Try the exercises in `03_backprop.ipynb` first.

# %%
import pathlib
import sys

sys.path[:0] = [str(pathlib.Path.cwd().parent)]

from exercises import check_accuracy, check_true

import nn
from engine import Value
from nn import MLP, SGD, hinge_loss
from nn.datasets import make_moons


def neuron():
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    return x1, w1, x2, w2, b


x1, w1, x2, w2, b = neuron()
o = (x1 * w1 + x2 * w2 + b).tanh()
o.backward()

# %% [markdown]
# **3.1** $\partial o/\partial w_1 = \partial o/\partial n \cdot \partial n/\partial (x_1 w_1) \cdot
# \partial (x_1 w_1)/\partial w_1 = 0.5 \cdot 1 \cdot x_1 = 0.5 \cdot 2 = 1$.

# %%
dw1 = 0.5 * 1.0 * 2.0

check_true(dw1 is not ... and abs(dw1 - w1.grad) < 1e-9, "your chain rule agrees with backward()")

# %% [markdown]
# **3.2** Move each weight against its gradient, then run the forward pass again.

# %%
for v in (w1, w2, b):
    v.data -= 0.1 * v.grad
o_new = (x1 * w1 + x2 * w2 + b).tanh().data
print(f"o: {o.data:.4f} -> {o_new:.4f}")

check_true(o_new is not ... and float(o_new) < o.data, "one step against the gradient lowers o")

# %% [markdown]
# **3.3** The same loop with `lr=0.1` fixed. A smaller rate takes smaller steps: after 60 steps it
# is further from a perfect boundary, but it still learns.

# %%
X, y = make_moons(60, noise=0.1, seed=0)
labels = [2 * t - 1 for t in y]
nn.manual_seed(1337)
model = MLP(2, [16, 16, 1])
optimizer = SGD(model.parameters(), lr=0.1)
for _ in range(60):
    scores = [model(x) for x in X]
    loss = hinge_loss(scores, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
acc = sum((model(x).data > 0) == (t > 0) for x, t in zip(X, labels)) / len(labels)
print(f"accuracy with lr=0.1: {acc:.0%}")

check_accuracy(acc, 0.8)
