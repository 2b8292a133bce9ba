# %% [markdown]
# # 3. Backpropagation in four steps
#
# Training repeats four steps:
# 1. **forward pass**: compute the output from the inputs and the current weights;
# 2. **loss**: one number that says how wrong the output is;
# 3. **backward pass**: the chain rule, from the loss back to every weight, gives each weight's
#    gradient $\partial L / \partial w$;
# 4. **update**: move each weight a little against its gradient, $w \leftarrow w - \eta\, \partial L/\partial w$.
#
# This chapter steps through the backward pass of the lecture's neuron one node at a time, then
# runs all four steps on the two-moons data set and plots the loss.
#
# API pages: [stepping](../docs/stepping.md), [rendering](../docs/rendering.md), [nn](../docs/nn.md).

# %%
# Setup: make the repository importable when chainrule is not installed (harmless when it is).
import pathlib
import sys

sys.path[:0] = [str(pathlib.Path.cwd().parent)]

import matplotlib.pyplot as plt
from exercises import check_accuracy, check_true

import nn
from engine import Stepper, Value, draw_dot, no_grad
from nn import MLP, SGD, hinge_loss
from nn.datasets import make_moons

# %% [markdown]
# ## Step 1: the forward pass
# The lecture's neuron. Every intermediate Value gets a label, so each step can name it.

# %%
x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")
x1w1 = x1 * w1
x1w1.label = "x1*w1"
x2w2 = x2 * w2
x2w2.label = "x2*w2"
s = x1w1 + x2w2
s.label = "s"
n = s + b
n.label = "n"
o = n.tanh()
o.label = "o"
print(f"o = {o.data:.4f}; every grad is still 0: {[v.grad for v in (x1, w1, x2, w2, b)]}")

# %% [markdown]
# ## Steps 2 and 3: the backward pass, one node at a time
# Here the output `o` plays the loss. The stepper applies the chain rule at one node per
# step, for real: each input's grad receives the node's grad times the local derivative.

# %%
stepper = Stepper(o)
print(stepper.step())
print(stepper.step())

# %% [markdown]
# `explain` writes out the whole chain of local derivatives that makes one gradient:

# %%
stepper.run_to(x1)
print(stepper.explain(x1))

# %% [markdown]
# The same walk as a page you can click through (arrow keys or the buttons; "predict" hides each
# new grad until you ask for it). It is the stepper shown inline.

# %%
Stepper(o)

# %% [markdown]
# After the last step every grad is filled in, exactly as `o.backward()` would:

# %%
for _ in stepper:
    pass
draw_dot(o)

# %% [markdown]
# ## Step 4, and the loop: gradient descent on the moons
# An MLP with two hidden layers of 16 units, the hinge loss, and plain SGD with a learning rate
# that decreases over 60 steps: the four steps, sixty times.

# %%
X, y = make_moons(60, noise=0.1, seed=0)
labels = [2 * t - 1 for t in y]  # the hinge loss wants labels -1 and +1
nn.manual_seed(1337)
model = MLP(2, [16, 16, 1])
optimizer = SGD(model.parameters(), lr=1.0)
losses, accuracies = [], []
for k in range(60):
    scores = [model(x) for x in X]                                # 1. forward
    loss = hinge_loss(scores, labels)                             # 2. loss
    optimizer.zero_grad()
    loss.backward()                                               # 3. backward
    optimizer.lr = 1.0 - 0.9 * k / 60
    optimizer.step()                                              # 4. update
    losses.append(loss.data)
    accuracies.append(sum((s.data > 0) == (t > 0) for s, t in zip(scores, labels)) / len(labels))
print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f}, accuracy {accuracies[0]:.0%} -> {accuracies[-1]:.0%}")

fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
axes[0].plot(losses)
axes[0].set_title("loss")
axes[0].set_xlabel("step")
axes[1].plot(accuracies)
axes[1].set_title("training accuracy")
axes[1].set_xlabel("step")
plt.show()

# %%
with no_grad():
    grid = [i / 30 * 4 - 1.5 for i in range(31)]
    scores = [[model([a, c]).data for a in grid] for c in [j / 30 * 2.5 - 1 for j in range(31)]]
plt.contourf(grid, [j / 30 * 2.5 - 1 for j in range(31)], scores, levels=[-1e9, 0, 1e9], colors=["#f6c89f", "#a6c8ea"])
plt.scatter([p[0] for p in X], [p[1] for p in X], c=["tab:blue" if t else "tab:orange" for t in y], edgecolors="k")
plt.title("after 60 steps: blue where the model says class 1, orange class 0")
plt.show()

# %% [markdown]
# ## Exercises
# Solutions: `03_backprop_solutions.ipynb`.
#
# **3.1** By hand, with the chain rule: what is $\partial o/\partial w_1$ for the neuron above?
# ($\partial o/\partial n = 1 - o^2 = 0.5$.) Store the number in `dw1`; the check compares it with
# what `backward()` put in `w1.grad`.

# %%
dw1 = ...  # your answer here

check_true(dw1 is not ... and abs(dw1 - w1.grad) < 1e-9, "your chain rule agrees with backward()")

# %% [markdown]
# **3.2** One step of gradient descent by hand: after the backward pass, move each of `w1`, `w2`
# and `b` by `-0.1 * grad` (change their `.data`), recompute the neuron's output and store it in
# `o_new`. The loss here is `o` itself, so a step against the gradient must lower it.

# %%
o_new = ...  # your code here

check_true(o_new is not ... and float(o_new) < o.data, "one step against the gradient lowers o")

# %% [markdown]
# **3.3** Train the same MLP on the moons with a constant learning rate of 0.1 for 60 steps
# (seed 1337) and store its final training accuracy in `acc`. Is a small rate enough?

# %%
acc = ...  # your code here

check_accuracy(acc, 0.8)
