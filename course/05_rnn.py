# %% [markdown]
# # 5. RNNs, LSTMs and GRUs
#
# A recurrent network reads a sequence one element at a time and carries a **hidden state** from
# step to step: its memory. A plain RNN updates it as $h_t = \tanh(W_{ih} x_t + W_{hh} h_{t-1} + b)$.
# Backpropagation through time runs the chain rule back through every step, and each step
# multiplies the gradient by $\tanh' \cdot W_{hh}$: usually less than 1, so the gradient reaching
# early steps **vanishes**. LSTMs and GRUs add gates and an additive path that carry it back.
#
# The task: remember the first symbol of a sequence of ±1 symbols; every later symbol is a
# distractor. This chapter measures the gradient that reaches each time step and trains all three.
#
# API pages: [architectures](../docs/architectures.md). As a script: `python -m demos.rnn`.

# %%
# Setup: make the repository importable when chainrule is not installed (harmless when it is).
import math
import pathlib
import sys

sys.path[:0] = [str(pathlib.Path.cwd().parent)]

import matplotlib.pyplot as plt
from exercises import check_gradients, check_true

import nn
from demos.rnn import Classifier, accuracy, gradient_per_step, sequences, train
from engine import Value

LENGTH = 10
X, y = sequences(4, LENGTH, seed=0)
print("a sequence of [symbol, marker] pairs:", X[0][:4], "...  label:", y[0])

# %% [markdown]
# ## Hidden state as memory, by hand
# One RNN unit with weights chosen by hand: $h_t = \tanh(0.5\,x_t + 0.9\,h_{t-1})$. After the
# first input the state keeps a fading trace of it: how much of it is left after $t$ steps?

# %%
def run(xs, w_ih=0.5, w_hh=0.9):
    h = Value(0.0)
    states = []
    for x in xs:
        h = (w_ih * x + w_hh * h).tanh()
        states.append(h)
    return states


first = Value(1.0, label="x1")
states = run([first] + [0.0] * 9)
states[-1].backward()
print("hidden state after each step:", [round(h.data, 3) for h in states])
print(f"d h_10 / d x_1 = {first.grad:.2e}  (the first input's influence on the last state)")

# %% [markdown]
# ## How much gradient reaches each step
# Untrained models of each kind: the loss's gradient with respect to each input, $|dL/dx_t|$,
# relative to the last step. For the plain RNN it falls by a constant factor per step.

# %%
X_test, y_test = sequences(200, LENGTH, seed=1)
grads = {}
for kind in ("RNN", "LSTM", "GRU"):
    nn.manual_seed(0)
    g = gradient_per_step(Classifier(kind, 4), X_test[:20], y_test[:20])
    grads[kind] = [v / g[-1] for v in g]

plt.figure(figsize=(6, 3.5))
for kind, g in grads.items():
    plt.semilogy(range(1, LENGTH + 1), g, "o-", label=kind)
plt.xlabel("time step t")
plt.ylabel("|dL/dx_t| / |dL/dx_last|")
plt.title("gradient reaching each step, before training")
plt.legend()
plt.show()

# %% [markdown]
# ## A task only the gated ones learn
# Each model trains for 60 steps on fresh sequences (nothing can be memorised), then is tested
# on 200 new ones. Chance is 50%.

# %%
models, results = {}, {}
for kind in ("RNN", "LSTM", "GRU"):
    models[kind] = train(kind, steps=60, length=LENGTH)
    results[kind] = accuracy(models[kind], X_test, y_test)
    print(f"{kind:4s}: {results[kind]:.0%} on new sequences ({models[kind].num_parameters()} parameters)")

# %% [markdown]
# The same measurement after training. The gated models learned to carry the first symbol, and
# the gradient reaching every step stays within about ten times the last step's; the plain RNN's falls by many
# orders of magnitude, so nothing tells its weights how to keep the first symbol.

# %%
after = {kind: gradient_per_step(models[kind], X_test[:20], y_test[:20]) for kind in models}
plt.figure(figsize=(6, 3.5))
for kind, g in after.items():
    plt.semilogy(range(1, LENGTH + 1), [v / g[-1] for v in g], "o-", label=f"{kind} ({results[kind]:.0%})")
plt.xlabel("time step t")
plt.ylabel("|dL/dx_t| / |dL/dx_last|")
plt.title("gradient reaching each step, after training")
plt.legend()
plt.show()
print("gradient at step 1 relative to the last step:", {k: f"{g[0] / g[-1]:.1e}" for k, g in after.items()})

# %% [markdown]
# ## Exercises
# Solutions: `05_rnn_solutions.ipynb`.
#
# **5.1** In `run`, the first input's influence shrinks by about $\tanh' \cdot w_{hh}$ per step.
# Find a `w_hh` (between 0 and 2) for which $d h_{10} / d x_1$ is larger than 0.1, and store it.

# %%
w_hh = ...  # your code here


def influence(w):
    x = Value(1.0)
    run([x] + [0.0] * 9, w_hh=w)[-1].backward()
    return x.grad


check_true(w_hh is not ... and influence(w_hh) > 0.1, "the first input still moves the last state")

# %% [markdown]
# **5.2** Write `gru_step(x, h, z_bias)`: a one-unit GRU-style update with only an update gate,
# $z = \sigma(x + z_{bias})$, $h' = z \cdot h + (1 - z) \cdot \tanh(x)$, for Values. The check runs
# gradcheck on all three inputs and compares your values with the update on plain numbers.

# %%
def gru_step(x, h, z_bias):
    ...  # your code here


def gru_on_floats(x, h, z_bias):  # the same update on plain numbers, to check your values
    z = 1 / (1 + math.exp(-(x + z_bias)))
    return z * h + (1 - z) * math.tanh(x)


check_gradients(gru_step, [0.3, -0.2, 1.0], [-1.5, 0.7, -0.4], expected=gru_on_floats)

# %% [markdown]
# **5.3** Why does the LSTM's curve stay flat? In one sentence, store your answer in `why`; the
# check only looks for the word "cell" or "additive" (read the solution afterwards).

# %%
why = ...  # your answer here

check_true(isinstance(why, str) and ("cell" in why.lower() or "additive" in why.lower()), "you named the cell state")
