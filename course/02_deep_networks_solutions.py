# %% [markdown]
# # 2. From perceptron to deep network: solutions
# Try the exercises in `02_deep_networks.ipynb` first.

# %%
import pathlib
import sys

sys.path[:0] = [str(pathlib.Path.cwd().parent)]

from exercises import check_accuracy, check_true

import nn
from engine import no_grad
from nn import MLP, Adam, Neuron, binary_cross_entropy_with_logits
from nn.datasets import xor

X, y = xor()


def fit(model, X, y, steps=300, lr=0.1):
    optimizer = Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = binary_cross_entropy_with_logits([model(x) for x in X], y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with no_grad():
        return sum((model(x).data > 0) == (label == 1) for x, label in zip(X, y)) / len(y)

# %% [markdown]
# **2.1** Two hidden tanh neurons are enough for XOR: each draws one line, and the output
# neuron combines the two half-planes.

# %%
nn.manual_seed(3)
small = MLP(2, [2, 1], activation="tanh")
acc = fit(small, X, y, steps=500)

check_accuracy(acc, 1.0)

# %% [markdown]
# **2.2** OR is split by one line (for example $x_1 + x_2 = 0.5$), so one neuron learns it.

# %%
X_or, y_or = X, [0, 1, 1, 1]
nn.manual_seed(0)
or_acc = fit(Neuron(2, activation="linear"), X_or, y_or)

check_accuracy(or_acc, 1.0)

# %% [markdown]
# **2.3** Each neuron has one weight per input and one bias: layer 1 has 8 × (1 + 1) = 16,
# layer 2 has 8 × (8 + 1) = 72, the output 1 × (8 + 1) = 9: 97 in all.

# %%
count = 8 * (1 + 1) + 8 * (8 + 1) + 1 * (8 + 1)

check_true(count == MLP(1, [8, 8, 1]).num_parameters(), f"MLP(1, [8, 8, 1]) has {count} parameters")
