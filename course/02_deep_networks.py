# %% [markdown]
# # 2. From perceptron to deep network
#
# One neuron draws one straight line through its input space: points on one side score
# positive, on the other negative. Some problems cannot be split by one line. XOR is the
# smallest: $(0,0)$ and $(1,1)$ are class 0, $(0,1)$ and $(1,0)$ class 1. This chapter measures how
# far one neuron gets, shows that one hidden layer solves it, pictures both decision boundaries,
# and then fits a curve with a deeper MLP.
#
# API pages: [nn](../docs/nn.md). The same experiment as a script: `python -m demos.xor`.

# %%
# Setup: make the repository importable when chainrule is not installed (harmless when it is).
import itertools
import math
import pathlib
import sys

sys.path[:0] = [str(pathlib.Path.cwd().parent)]

import matplotlib.pyplot as plt
from exercises import check_accuracy, check_true

import nn
from engine import no_grad
from nn import MLP, Adam, Neuron, binary_cross_entropy_with_logits, mse_loss
from nn.datasets import sine, xor

X, y = xor()
print("XOR:", list(zip(X, y)))

# %% [markdown]
# ## Training, the same way for every model
# Each model gives one raw score per point; the loss is binary cross-entropy on that score, and
# Adam takes the steps. Accuracy counts the points whose score has the right sign.

# %%
def fit(model, X, y, steps=300, lr=0.1):
    optimizer = Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = binary_cross_entropy_with_logits([model(x) for x in X], y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return accuracy(model, X, y)


def accuracy(model, X, y):
    with no_grad():
        return sum((model(x).data > 0) == (label == 1) for x, label in zip(X, y)) / len(y)


nn.manual_seed(0)
neuron = Neuron(2, activation="linear")
print("one neuron, trained:", fit(neuron, X, y))

# %% [markdown]
# ## The best one neuron can do
# Training found one answer; maybe another line does better? Try every line on a grid of weights
# and biases: no line gets all four points right. The best is 3 of 4.

# %%
grid = [k / 4 for k in range(-8, 9)]
best = max(
    sum(((w1 * a + w2 * b + c) > 0) == (label == 1) for (a, b), label in zip(X, y)) / 4
    for w1, w2, c in itertools.product(grid, grid, grid)
)
print(f"best accuracy of any line on the grid: {best:.0%}")

# %% [markdown]
# Then why did training stop at 50%, not 75%? Training lowers the loss, not the error count. A
# line that gets 3 points right is confidently wrong on the fourth, and for XOR that costs more
# than it gains; the lowest loss a line can reach is $\log 2 \approx 0.693$, by scoring every point 0
# ("no idea"). That is where the trained neuron sits; which side of 0 its tiny scores fall on (the
# colour of its picture below) is chance.

# %%
with no_grad():
    print("the trained neuron's scores:", [f"{neuron(x).data:.1e}" for x in X])
    print(f"its loss: {binary_cross_entropy_with_logits([neuron(x) for x in X], y).data:.4f}")

# %% [markdown]
# ## One hidden layer solves it
# Four tanh neurons, then one output neuron: the hidden layer bends the space so that one line
# (the output neuron's) can split it.

# %%
nn.manual_seed(0)
mlp = MLP(2, [4, 1], activation="tanh")
print("MLP(2, [4, 1]), trained:", fit(mlp, X, y))

# %% [markdown]
# ## The decision boundaries
# Blue where the model says class 1, orange where it says class 0, and the four points.

# %%
def boundary(ax, model, title):
    steps = [i / 40 * 1.6 - 0.3 for i in range(41)]
    with no_grad():
        scores = [[model([a, b]).data for a in steps] for b in steps]
    ax.contourf(steps, steps, scores, levels=[-1e9, 0, 1e9], colors=["#f6c89f", "#a6c8ea"])
    ax.contour(steps, steps, scores, levels=[0], colors="k", linewidths=1)
    for (a, b), label in zip(X, y):
        ax.scatter(a, b, c="tab:blue" if label else "tab:orange", s=120, edgecolors="k")
    ax.set_title(title)


fig, axes = plt.subplots(1, 2, figsize=(9, 4))
boundary(axes[0], neuron, f"one neuron: {accuracy(neuron, X, y):.0%}")
boundary(axes[1], mlp, f"MLP(2, [4, 1]): {accuracy(mlp, X, y):.0%}")
plt.show()

# %% [markdown]
# ## A deeper MLP fits a function
# Two hidden layers of tanh neurons learn $\sin(x)$ on $[-\pi, \pi]$ from 30 points, with the
# mean squared error as the loss.

# %%
nn.manual_seed(0)
Xs, ys = sine(30)
model = MLP(1, [8, 8, 1], activation="tanh")
optimizer = Adam(model.parameters(), lr=0.02)
losses = []
for _ in range(300):
    loss = mse_loss([model(x) for x in Xs], ys)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.data)
print(f"mean squared error: first step {losses[0]:.4f}, last step {losses[-1]:.5f}")

grid_x = [-math.pi + 2 * math.pi * i / 199 for i in range(200)]
with no_grad():
    fitted = [model([x]).data for x in grid_x]
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
axes[0].plot(grid_x, [math.sin(x) for x in grid_x], label="sin(x)")
axes[0].plot(grid_x, fitted, "--", label="MLP(1, [8, 8, 1])")
axes[0].scatter([x[0] for x in Xs], ys, s=12, c="k", label="training points")
axes[0].legend()
axes[1].semilogy(losses)
axes[1].set_xlabel("step")
axes[1].set_title("loss")
plt.show()
print("largest error on a fine grid:", round(max(abs(f - math.sin(x)) for f, x in zip(fitted, grid_x)), 4))

# %% [markdown]
# ## Exercises
# Solutions: `02_deep_networks_solutions.ipynb`.
#
# **2.1** XOR with **two** hidden neurons: build `small = MLP(2, [2, 1], activation='tanh')` after
# `nn.manual_seed(3)`, train it with `fit` for 500 steps, and store its accuracy in `acc`.

# %%
acc = ...  # your code here

check_accuracy(acc, 1.0)

# %% [markdown]
# **2.2** A straight line fails on XOR, but it can learn OR ($y = 1$ unless both inputs are 0).
# Train a fresh linear `Neuron(2, activation='linear')` on `X_or, y_or` below and store its
# accuracy in `or_acc`.

# %%
X_or, y_or = X, [0, 1, 1, 1]
or_acc = ...  # your code here

check_accuracy(or_acc, 1.0)

# %% [markdown]
# **2.3** Count the parameters of `MLP(1, [8, 8, 1])` by hand (weights and biases, layer by
# layer) and store the number in `count`; the check compares it with `model.num_parameters()`.

# %%
count = ...  # your code here

check_true(count == model.num_parameters(), "your count matches model.num_parameters()")
