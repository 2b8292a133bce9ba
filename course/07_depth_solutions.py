# %% [markdown]
# # 7. Why depth matters: solutions
# Try the exercises in `07_depth.ipynb` first.

# %%
import pathlib
import sys

sys.path[:0] = [str(pathlib.Path.cwd().parent)]

from exercises import check_true

import nn
from demos.depth import deep_mlp, layer_gradient_norms
from engine import Value
from nn.datasets import make_moons

X, y = make_moons(40, seed=0)
norms = {}
for activation in ("sigmoid", "relu"):
    nn.manual_seed(0)
    norms[activation] = layer_gradient_norms(deep_mlp(activation, 8), X, y)

# %% [markdown]
# **7.1** Only the first factor is $\sigma'(0) = 1/4$; every later one is $\sigma'$ at a value
# between 0.5 and 0.66, where $\sigma'$ is about 0.22 to 0.24, below 1/4: so the product is
# smaller than $(1/4)^{10}$.

# %%
x = Value(0.0)
h = x
for _ in range(10):
    h = h.sigmoid()
h.backward()
deriv10 = x.grad
print(f"d/dx of 10 sigmoids at 0: {deriv10:.3e}   (1/4)^10 = {0.25 ** 10:.3e}")

check_true(deriv10 is not ... and 0 < deriv10 < 0.25 ** 10, "the gradient through 10 sigmoids is tiny")

# %% [markdown]
# **7.2** The ratio of the first layer's gradient norm to the last's.

# %%
relu_ratio = norms["relu"][0] / norms["relu"][-1]

check_true(relu_ratio is not ... and relu_ratio > norms["sigmoid"][0] / norms["sigmoid"][-1],
           "ReLU passes more gradient to its first layer")
