# %% [markdown]
# # 6. Transformers: solutions
# Try the exercises in `06_transformers.ipynb` first.

# %%
import pathlib
import random
import sys

sys.path[:0] = [str(pathlib.Path.cwd().parent)]

from exercises import check_gradients, check_true

import nn
from engine import no_grad
from nn import GPT, CharTokenizer, scaled_dot_product_attention, softmax

words = nn.datasets.names()
tok = CharTokenizer(words)
model = GPT(vocab_size=tok.vocab_size, rng=random.Random(42))

# %% [markdown]
# **6.1** The softmax of the three scores $q k_j$, then the weighted sum of the values. (For very
# large scores subtract the largest first, as `nn.softmax` does; these are small.)

# %%
def attend(q, k1, k2, k3, v1, v2, v3):
    exps = [(q * k).exp() for k in (k1, k2, k3)]
    total = exps[0] + exps[1] + exps[2]
    return (exps[0] * v1 + exps[1] * v2 + exps[2] * v3) / total


check_gradients(attend, [0.5, 1.0, -1.0, 2.0, 0.3, -0.7, 1.1],  # values checked against nn's attention
                expected=lambda q, k1, k2, k3, v1, v2, v3: scaled_dot_product_attention(
                    [[q]], [[k1], [k2], [k3]], [[v1], [v2], [v3]])[0][0])

# %% [markdown]
# **6.2** Embeddings 27 × 16 + 16 × 16; attention 4 projections of 16 × 16; MLP 16 × 64 + 64 × 16;
# head 16 × 27.

# %%
n_params = 27 * 16 + 16 * 16 + 4 * 16 * 16 + 16 * 64 + 64 * 16 + 16 * 27
print(n_params)

check_true(n_params == model.num_parameters(), "your count matches model.num_parameters()")

# %% [markdown]
# **6.3** Dividing the logits by a temperature above 1 shrinks their differences, so the
# softmax is flatter and its largest probability smaller; below 1 it sharpens.

# %%
with no_grad():
    logits = model([tok.bos])[0]
    sharp = max(p.data for p in softmax([v * (1 / 0.5) for v in logits]))
    flat = max(p.data for p in softmax([v * (1 / 1.5) for v in logits]))
print(f"largest first-letter probability: {sharp:.4f} at 0.5, {flat:.4f} at 1.5")

check_true(sharp is not ... and flat is not ... and flat < sharp, "a higher temperature flattens the distribution")
