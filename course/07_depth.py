# %% [markdown]
# # 7. Why depth matters
#
# Depth lets a network build complex features out of simple ones, layer by layer. It was also
# long hard to train: backpropagation multiplies by each layer's activation derivative on the
# way down. Sigmoid's derivative is at most 1/4, so a deep sigmoid network passes its first layers
# almost no gradient; ReLU's is exactly 1 where a unit is active, and with He (Kaiming)
# initialisation the gradient keeps its size. This chapter measures the gradient per layer, trains
# both, and looks at what early and late layers respond to.
#
# API pages: [nn](../docs/nn.md), [architectures](../docs/architectures.md). As a script:
# `python -m demos.depth`.

# %%
# Setup: make the repository importable when chainrule is not installed (harmless when it is).
import pathlib
import sys

sys.path[:0] = [str(pathlib.Path.cwd().parent)]

import matplotlib.pyplot as plt
from exercises import check_true

import nn
from demos.depth import accuracy, deep_mlp, layer_gradient_norms, train
from engine import no_grad
from nn.datasets import make_moons

X, y = make_moons(40, seed=0)
LAYERS = 8

# %% [markdown]
# ## The gradient reaching each layer
# Two MLPs with 8 hidden layers of 8 units on the same data, untrained: the norm of $dL/dW$ for
# each layer's weights, first layer to last.

# %%
norms = {}
for activation in ("sigmoid", "relu"):
    nn.manual_seed(0)
    norms[activation] = layer_gradient_norms(deep_mlp(activation, LAYERS), X, y)

plt.figure(figsize=(6, 3.5))
for activation, g in norms.items():
    plt.semilogy(range(1, len(g) + 1), g, "o-", label=activation)
plt.xlabel("layer (1 = first, last = output)")
plt.ylabel("||dL/dW||")
plt.legend()
plt.show()
for activation, g in norms.items():
    print(f"{activation:7s}: the first layer gets {g[0] / g[-1]:.1e} times the gradient of the last")

# %% [markdown]
# ## What that does to learning
# The same 60 steps of Adam for both.

# %%
models = {}
for activation in ("sigmoid", "relu"):
    nn.manual_seed(0)
    models[activation] = deep_mlp(activation, LAYERS)
    loss = train(models[activation], X, y, steps=60)
    print(f"{activation:7s}: loss {loss:.3f}, accuracy {accuracy(models[activation], X, y):.0%}")

# %% [markdown]
# ## What early and late layers respond to
# A trained ReLU network, 3 hidden layers of 8. Each small picture is one unit: how strongly it
# fires at each point of the input plane. Units of the first layer can only draw a straight edge
# (each is one neuron of the inputs); units of the last hidden layer combine those edges into
# bent regions that follow the moons (the dots: blue one class, orange the other). A unit that is
# black everywhere outputs 0 at every point of the plane: a "dead" ReLU, which gets no gradient
# and so never recovers; its title says so. The network does its job with the units it has left.

# %%
nn.manual_seed(1)
model = deep_mlp("relu", 3)
train(model, X, y, steps=150)
print("accuracy:", accuracy(model, X, y))

steps = [i / 24 * 4 - 1.5 for i in range(25)]


def unit_maps(model, layer_index):
    """Each unit of one hidden layer, as a grid of its output over the input plane."""
    grids = [[[0.0] * len(steps) for _ in steps] for _ in range(8)]
    with no_grad():
        for r, b in enumerate(steps):
            for c, a in enumerate(steps):
                h = [a, b * 0.75 + 0.25]
                for layer in model.layers[: layer_index + 1]:
                    h = layer(h)
                for u in range(8):
                    grids[u][r][c] = h[u].data
    return grids


extent = (steps[0], steps[-1], steps[0] * 0.75 + 0.25, steps[-1] * 0.75 + 0.25)  # the plane the grids cover
fig, axes = plt.subplots(2, 8, figsize=(14, 4.2))
for row, layer_index in enumerate((0, 2)):
    for u, grid in enumerate(unit_maps(model, layer_index)):
        ax = axes[row][u]
        ax.imshow(grid, origin="lower", cmap="magma", extent=extent, aspect="auto")
        ax.scatter([p[0] for p in X], [p[1] for p in X], c=["tab:blue" if t else "tab:orange" for t in y], s=3)
        top = max(max(r) for r in grid)
        ax.set_title(f"largest {top:.2f}" if top > 0 else "dead: 0 everywhere", fontsize=8)
        ax.axis("off")
    axes[row][0].text(0, 1.25, ["first hidden layer", "last hidden layer"][row], transform=axes[row][0].transAxes)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Exercises
# Solutions: `07_depth_solutions.ipynb`.
#
# **7.1** A chain of $n$ sigmoids, $\sigma(\sigma(\cdots\sigma(x)))$: compute with the engine the
# derivative at $x = 0$ for $n = 10$ and store it in `deriv10`. The check compares it with
# $(1/4)^{10}$: is it smaller or larger, and why? (Each factor is $\sigma'$ at the previous output.)

# %%
deriv10 = ...  # your code here

check_true(deriv10 is not ... and 0 < deriv10 < 0.25 ** 10, "the gradient through 10 sigmoids is tiny")

# %% [markdown]
# **7.2** Store in `relu_ratio` the first-to-last gradient ratio of the untrained ReLU network
# above (from `norms`). The check wants it larger than the sigmoid network's.

# %%
relu_ratio = ...  # your code here

check_true(relu_ratio is not ... and relu_ratio > norms["sigmoid"][0] / norms["sigmoid"][-1],
           "ReLU passes more gradient to its first layer")
