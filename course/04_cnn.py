# %% [markdown]
# # 4. Convolutional networks
#
# A fully connected layer gives every pixel its own weight. A **convolution** slides one small
# filter (here 3×3) over the whole image and computes the same weighted sum at every position:
# few weights, shared everywhere, and a pattern is found wherever it is. The grid of results is
# a **feature map**.
#
# The task: 6×6 images with one bright bar, vertical (class 0) or horizontal (class 1), on noise.
# The smallest CNN that makes the point: `Conv2d(1, 2, 3)` → ReLU → `MaxPool2d(4)` (the strongest
# response anywhere) → `Linear(2, 2)`. Both filters start random; training turns them into line
# detectors.
#
# API pages: [architectures](../docs/architectures.md). As a script: `python -m demos.cnn`.

# %%
# Setup: make the repository importable when chainrule is not installed (harmless when it is).
import inspect
import pathlib
import sys

sys.path[:0] = [str(pathlib.Path.cwd().parent)]

import matplotlib.pyplot as plt
from exercises import check_accuracy, check_gradients, check_true

import nn
from demos.cnn import BarNet, accuracy, bars, orientation  # the data, the model and two helpers
from engine import no_grad
from nn import Adam, cross_entropy

X, y = bars(40)
fig, axes = plt.subplots(1, 6, figsize=(10, 2))
for ax, image, label in zip(axes, X, y):
    ax.imshow(image[0], cmap="gray")
    ax.set_title(["vertical", "horizontal"][label])
    ax.axis("off")
plt.show()

# %% [markdown]
# ## One filter by hand
# A convolution is a dot product of the filter with each 3×3 patch. Here a hand-made vertical
# line detector (a column of +2 between columns of -1) slides over one image: the feature map is
# largest where the bar is.

# %%
def convolve(image, kernel):
    n, k = len(image), len(kernel)
    return [[sum(kernel[a][b] * image[i + a][j + b] for a in range(k) for b in range(k))
             for j in range(n - k + 1)] for i in range(n - k + 1)]


vertical = [[-1, 2, -1]] * 3
feature_map = convolve(X[0][0], vertical)
for row in feature_map:
    print(" ".join(f"{v:+5.1f}" for v in row))

# %% [markdown]
# ## The model, and training it
# The model is defined once, in `demos/cnn.py`; here is its code. `Conv2d` returns one feature map
# per filter (a list of rows of Values), so ReLU is applied row by row.

# %%
print(inspect.getsource(BarNet))  # the model, as demos/cnn.py defines it

# %%
nn.manual_seed(0)
model = BarNet()
optimizer = Adam(model.parameters(), lr=0.05)
losses = []
for _ in range(80):
    loss = cross_entropy([model(image) for image in X], y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.data)
X_test, y_test = bars(100, seed=1)
print(f"{model.num_parameters()} parameters; loss {losses[0]:.3f} -> {losses[-1]:.4f}; "
      f"accuracy on 100 new images: {accuracy(model, X_test, y_test):.0%}")

# %% [markdown]
# ## What the filters became
# Left: each learned 3×3 filter (white = large weight). Right: its feature maps on one vertical
# and one horizontal image (bright = strong response, one scale per filter). One filter answers to
# vertical bars, the other to horizontal ones: a dark row or column is as telling as a bright one.

# %%
filters = [[[w.data for w in row] for row in f[0]] for f in model.conv.weight]
examples = [X_test[0], X_test[1]]  # a vertical and a horizontal bar
with no_grad():
    maps = [[[[v.data for v in row] for row in channel] for channel in model.conv(image)] for image in examples]
fig, axes = plt.subplots(2, 3, figsize=(7, 4.5))
for k in range(2):
    axes[k][0].imshow(filters[k], cmap="gray")
    axes[k][0].set_title(f"filter {k}")
    low = min(min(min(row) for row in maps[e][k]) for e in range(2))
    high = max(max(max(row) for row in maps[e][k]) for e in range(2))
    for e in range(2):  # both maps of a filter on one colour scale, so they can be compared
        axes[k][1 + e].imshow(maps[e][k], cmap="viridis", vmin=low, vmax=high)
        axes[k][1 + e].set_title(f"filter {k} on a {['vertical', 'horizontal'][y_test[e]]} bar")
for ax in axes.flat:
    ax.axis("off")
plt.tight_layout()
plt.show()


print("the filters detect:", [orientation(f) for f in filters])

# %% [markdown]
# ## Exercises
# Solutions: `04_cnn_solutions.ipynb`.
#
# **4.1** Write `horizontal`, a 3×3 filter that responds most to a horizontal bar (the transpose
# of `vertical`). The check slides it over a horizontal-bar image and looks for the bar's row.

# %%
horizontal = ...  # your code here

def strongest(image, kernel):
    return max(max(row) for row in convolve(image, kernel))


check_true(horizontal is not ... and strongest(X[1][0], horizontal) > strongest(X[0][0], horizontal),
           "your filter answers more to the horizontal bar than to the vertical one")

# %% [markdown]
# **4.2** Write `conv_value(image, kernel)`: the same convolution as `convolve`, but for Values
# (the image and kernel may hold Values), returning the top-left entry of the feature map as a
# Value. The check runs gradcheck on it for a 3×3 image and a 2×2 kernel, and checks its value.

# %%
def conv_value(image, kernel):
    ...  # your code here


def corner(*v):
    image = [list(v[0:3]), list(v[3:6]), list(v[6:9])]
    kernel = [list(v[9:11]), list(v[11:13])]
    return conv_value(image, kernel)


check_gradients(corner, [0.1 * i - 0.3 for i in range(13)],
                expected=lambda *v: v[0] * v[9] + v[1] * v[10] + v[3] * v[11] + v[4] * v[12])

# %% [markdown]
# **4.3** Train a `BarNet` for only 10 steps (seed 0, same data and optimizer settings) and store
# its test accuracy in `early`. Does it already beat chance? The check wants at least 60%.

# %%
early = ...  # your code here

check_accuracy(early, 0.6)
