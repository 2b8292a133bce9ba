# %% [markdown]
# # 6. Transformers
#
# In attention, every position of a sequence asks a question (a **query** vector), every position
# offers an answer key (a **key**) and a content (a **value**). Position $i$ mixes the values of the
# positions it may see, weighted by how well its query matches their keys:
# $\text{weights}_i = \text{softmax}_j(q_i \cdot k_j / \sqrt{d})$, $\text{out}_i = \sum_j \text{weights}_{ij} v_j$.
# In a language model a position may only look back (a **causal** mask): it must predict the next
# token without seeing it.
#
# This chapter computes attention by hand on three tokens, then trains the small GPT that writes
# names (one Transformer block, 4,192 parameters) for a couple of hundred steps, samples from it, and
# draws what one name attends to.
#
# API pages: [the GPT](../docs/gpt.md), [architectures](../docs/architectures.md). As a script:
# `python -m demos.gpt`.

# %%
# Setup: make the repository importable when chainrule is not installed (harmless when it is).
import math
import pathlib
import random
import sys

sys.path[:0] = [str(pathlib.Path.cwd().parent)]

import matplotlib.pyplot as plt
from exercises import check_gradients, check_true

import nn
from engine import no_grad
from nn import GPT, Adam, CharTokenizer, cross_entropy, scaled_dot_product_attention

# %% [markdown]
# ## Attention by hand
# Three tokens, each with a 2-dimensional query, key and value. We compute the causal attention
# of the last token step by step, then compare with `scaled_dot_product_attention`.

# %%
q = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
k = [[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]]
v = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
d = 2

scores = [sum(a * b for a, b in zip(q[2], k[j])) / math.sqrt(d) for j in range(3)]
weights = [math.exp(s) / sum(math.exp(t) for t in scores) for s in scores]
out = [sum(weights[j] * v[j][c] for j in range(3)) for c in range(2)]
print("scores of token 3 against tokens 1..3:", [round(s, 4) for s in scores])
print("attention weights (they add up to 1): ", [round(w, 4) for w in weights])
print("output of token 3:                    ", [round(o, 4) for o in out])

outputs, w = scaled_dot_product_attention(q, k, v, is_causal=True, need_weights=True)
print("nn's attention, token 3:              ", [round(o.data, 4) for o in outputs[2]])
print("causal weights of token 1:            ", [round(x.data, 4) for x in w[0]], "(it sees only itself)")

# %% [markdown]
# ## The data: 32,033 names
# Each name becomes token ids, wrapped in a BOS token on both sides: BOS on the left says "a name
# starts", on the right "the name is over". The model learns to predict each next token.

# %%
words = nn.datasets.names()
rng = random.Random(42)  # one source shuffles the names, then draws the weights: the reference's start
rng.shuffle(words)
tok = CharTokenizer(words)
print(len(words), "names, for example", words[:5])
print(tok, " vocabulary size", tok.vocab_size)
print("'emma' ->", tok.encode("emma", bos=True))

# %% [markdown]
# ## The model
# Token and position embeddings, RMSNorm, one Transformer block (4 heads of causal attention and
# a 16 → 64 → 16 ReLU MLP, each with a residual connection), and a head that scores the 27 possible
# next tokens. Every piece is an `nn` block.

# %%
model = GPT(vocab_size=tok.vocab_size, rng=rng)  # every weight drawn from N(0, 0.08)
print(model.num_parameters(), "parameters")
print(model)

# %% [markdown]
# ## Training
# One name per step; the loss is the mean cross-entropy of the next-token predictions; Adam with
# the learning rate falling linearly to 0 over the run. Before training the model guesses
# uniformly: $\log 27 \approx 3.30$.

# %%
STEPS = 200
optimizer = Adam(model.parameters(), lr=0.01, betas=(0.85, 0.99), eps=1e-8)
losses = []
for step in range(STEPS):
    tokens = tok.encode(words[step % len(words)], bos=True)
    logits = model(tokens[:-1])
    loss = cross_entropy(logits, tokens[1:])
    optimizer.zero_grad()
    loss.backward()
    optimizer.lr = 0.01 * (1 - step / STEPS)
    optimizer.step()
    losses.append(loss.data)
print(f"loss: step 1 {losses[0]:.4f}, mean of the last 10 steps {sum(losses[-10:]) / 10:.4f}")
plt.figure(figsize=(6, 3))
plt.plot(losses, alpha=0.4, label="per step")
plt.plot([sum(losses[max(0, i - 19):i + 1]) / len(losses[max(0, i - 19):i + 1]) for i in range(STEPS)],
         label="mean of 20 steps")
plt.axhline(math.log(27), color="grey", ls="--", label="uniform guess")
plt.xlabel("step")
plt.legend()
plt.show()

# %% [markdown]
# ## Sampling names
# Start from BOS, draw the next token from softmax(logits / temperature), feed it back, stop at
# BOS. A temperature of 0.5 sharpens the distribution towards the likeliest letters.

# %%
sampler = random.Random(0)
samples = [tok.decode(model.generate(tok.bos, stop=tok.bos, temperature=0.5, rng=sampler)) for _ in range(20)]
print(" ".join(samples))

# %% [markdown]
# ## What one name attends to
# The attention weights of the block, averaged over its 4 heads, while the model reads "emma":
# row $i$ shows where position $i$ looked when predicting the token after it. Above the diagonal
# is empty: the causal mask.

# %%
tokens = tok.encode("emma", bos=True)[:-1]
with no_grad():
    x = [[a + b for a, b in zip(te, pe)] for te, pe in zip(model.wte(tokens), model.wpe(list(range(len(tokens)))))]
    _, attention = model.blocks[0](model.norm(x), need_weights=True)
labels = ["BOS"] + list("emma")[: len(tokens) - 1]
grid = [[a.data for a in row] for row in attention]
plt.imshow(grid, cmap="Blues", vmin=0, vmax=1)
plt.xticks(range(len(labels)), labels)
plt.yticks(range(len(labels)), labels)
plt.xlabel("looks at")
plt.ylabel("position")
for i, row in enumerate(grid):
    for j, value in enumerate(row):
        plt.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8, color="white" if value > 0.6 else "black")
plt.show()

# %% [markdown]
# ## Exercises
# Solutions: `06_transformers_solutions.ipynb`.
#
# **6.1** Attention with scalars: write `attend(q, k1, k2, k3, v1, v2, v3)`, one query number,
# three key numbers and three value numbers, returning $\sum_j \text{softmax}_j(q\,k_j)\, v_j$ as a
# Value. Use Value operations only (`exp`, `+`, `*`, `/`), so gradients flow; the check runs
# gradcheck through all seven inputs and compares your values with `nn`'s attention.

# %%
def attend(q, k1, k2, k3, v1, v2, v3):
    ...  # your code here


check_gradients(attend, [0.5, 1.0, -1.0, 2.0, 0.3, -0.7, 1.1],  # values checked against nn's attention
                expected=lambda q, k1, k2, k3, v1, v2, v3: scaled_dot_product_attention(
                    [[q]], [[k1], [k2], [k3]], [[v1], [v2], [v3]])[0][0])

# %% [markdown]
# **6.2** Count the model's parameters by hand: the two embedding tables, the query/key/value
# and output projections, the two MLP layers and the head (no biases, RMSNorm without a scale).
# Store the number in `n_params`.

# %%
n_params = ...  # your code here

check_true(n_params == model.num_parameters(), "your count matches model.num_parameters()")

# %% [markdown]
# **6.3** Temperature: the probabilities of the first letter of a name are
# softmax(logits / temperature) of `model([tok.bos])[0]`. Store the largest of them at
# temperature 0.5 in `sharp` and at temperature 1.5 in `flat`. Which is larger, and why?

# %%
sharp = ...  # your code here
flat = ...  # your code here

check_true(sharp is not ... and flat is not ... and flat < sharp, "a higher temperature flattens the distribution")
