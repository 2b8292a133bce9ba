# %% [markdown]
# # 4. Convolutional networks: solutions
# Try the exercises in `04_cnn.ipynb` first.

# %%
import pathlib
import sys

sys.path[:0] = [str(pathlib.Path.cwd().parent)]

from exercises import check_accuracy, check_gradients, check_true

import nn
from demos.cnn import BarNet, accuracy, bars
from nn import Adam, cross_entropy

X, y = bars(40)
X_test, y_test = bars(100, seed=1)


def convolve(image, kernel):
    n, k = len(image), len(kernel)
    return [[sum(kernel[a][b] * image[i + a][j + b] for a in range(k) for b in range(k))
             for j in range(n - k + 1)] for i in range(n - k + 1)]


def strongest(image, kernel):
    return max(max(row) for row in convolve(image, kernel))

# %% [markdown]
# **4.1** The transpose of the vertical detector: a row of +2 between rows of -1.

# %%
horizontal = [[-1, -1, -1], [2, 2, 2], [-1, -1, -1]]

check_true(horizontal is not ... and strongest(X[1][0], horizontal) > strongest(X[0][0], horizontal),
           "your filter answers more to the horizontal bar than to the vertical one")

# %% [markdown]
# **4.2** The top-left entry is one dot product of the kernel with the top-left patch. Starting
# the sum from the first product keeps it a Value whatever the inputs are.

# %%
def conv_value(image, kernel):
    k = len(kernel)
    terms = [kernel[a][b] * image[a][b] for a in range(k) for b in range(k)]
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def corner(*v):
    image = [list(v[0:3]), list(v[3:6]), list(v[6:9])]
    kernel = [list(v[9:11]), list(v[11:13])]
    return conv_value(image, kernel)


check_gradients(corner, [0.1 * i - 0.3 for i in range(13)],
                expected=lambda *v: v[0] * v[9] + v[1] * v[10] + v[3] * v[11] + v[4] * v[12])

# %% [markdown]
# **4.3** Ten steps of the same training.

# %%
nn.manual_seed(0)
model = BarNet()
optimizer = Adam(model.parameters(), lr=0.05)
for _ in range(10):
    loss = cross_entropy([model(image) for image in X], y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
early = accuracy(model, X_test, y_test)

check_accuracy(early, 0.6)
