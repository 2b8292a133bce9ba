"""The torch.nn modules that chainrule's own layers become where PyTorch has no class of the same shape.

``Neuron``, ``Layer`` and ``MLP`` keep micrograd's layout (one weight vector ``w`` and one
bias ``b`` per neuron), so their tensor names are chainrule's names without the index:
``layers.0.neurons.3.w``.  ``MultiheadAttention`` is torch's, with chainrule's call
(key and value default to the query; ``is_causal`` alone builds the causal mask), and
``TransformerBlock`` and ``GPT`` are chainrule's, built from torch's layers.  Every module
takes torch's usual leading batch dimensions where chainrule takes one example.

This module imports torch at the top; ``nn.to_torch`` loads it only when called.
"""

from __future__ import annotations

import random

import torch

__all__ = ["ACTIVATIONS", "Neuron", "Layer", "MLP", "MultiheadAttention", "TransformerBlock", "GPT", "causal_mask"]

def _softplus(x: torch.Tensor) -> torch.Tensor:
    # log(1 + e^x) with no threshold: torch's F.softplus returns x itself above 20, chainrule does not.
    return torch.logaddexp(x, torch.zeros_like(x))


# chainrule's activations (nn.functional.activation_names(): 'linear' and every one-input op the
# engine ships) and the torch functions that compute the same numbers and gradients.
ACTIVATIONS = {
    "relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "softplus": _softplus,
    "neg": torch.neg, "abs": torch.abs, "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt,
    "sin": torch.sin, "cos": torch.cos, "detach": torch.Tensor.detach, "linear": None,
}


def _act(name: str, x: torch.Tensor) -> torch.Tensor:
    fn = ACTIVATIONS[name]
    return x if fn is None else fn(x)


class Neuron(torch.nn.Module):
    """``act(x @ w + b)``: chainrule's Neuron, with ``w`` of shape [nin] and ``b`` a 0-d tensor.

    ``x`` is [..., nin]; the result is [...], one number per example.
    """

    def __init__(self, nin: int, activation: str = "relu"):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(nin))
        self.b = torch.nn.Parameter(torch.zeros(()))
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _act(self.activation, x @ self.w + self.b)

    def extra_repr(self) -> str:
        return f"nin={self.w.shape[0]}, activation={self.activation!r}"


class Layer(torch.nn.Module):
    """chainrule's Layer: its neurons side by side, [..., nin] -> [..., nout] ([...] when nout == 1)."""

    def __init__(self, neurons: list[Neuron]):
        super().__init__()
        self.neurons = torch.nn.ModuleList(neurons)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else torch.stack(out, dim=-1)


class MLP(torch.nn.Module):
    """chainrule's MLP: its layers one after the other; a one-neuron hidden layer's output is widened again."""

    def __init__(self, layers: list[Layer]):
        super().__init__()
        self.layers = torch.nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            if i and len(self.layers[i - 1].neurons) == 1:
                x = x.unsqueeze(-1)  # as chainrule's MLP wraps a bare Value in a list
            x = layer(x)
        return x


def causal_mask(target_len: int, source_len: int, device=None) -> torch.Tensor:
    """True where query i may NOT look at key j (j > i): torch.nn.MultiheadAttention's convention.

    >>> causal_mask(2, 3)
    tensor([[False,  True,  True],
            [False, False,  True]])
    """
    return torch.ones(target_len, source_len, dtype=torch.bool, device=device).triu(1)


class MultiheadAttention(torch.nn.MultiheadAttention):
    """torch.nn.MultiheadAttention (batch_first) called as chainrule's: ``mha(x)`` is self-attention.

    ``is_causal=True`` builds the causal mask itself (torch's ``is_causal`` is only a hint
    that ``attn_mask`` already is one), joined with ``attn_mask`` when both are given.
    """

    def __init__(self, embed_dim: int, num_heads: int, bias: bool = True):
        super().__init__(embed_dim, num_heads, bias=bias, batch_first=True)

    def forward(self, query, key=None, value=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        key = query if key is None else key
        value = key if value is None else value
        if is_causal:
            mask = causal_mask(query.shape[-2], key.shape[-2], query.device)
            attn_mask = mask if attn_mask is None else attn_mask | mask
        return super().forward(query, key, value, need_weights=need_weights, attn_mask=attn_mask,
                               average_attn_weights=average_attn_weights)


def _norm(norm: str, d_model: int, eps: float, affine: bool, bias: bool) -> torch.nn.Module:
    if norm == "rmsnorm":
        return torch.nn.RMSNorm(d_model, eps=eps, elementwise_affine=affine)
    return torch.nn.LayerNorm(d_model, eps=eps, elementwise_affine=affine, bias=bias)


class TransformerBlock(torch.nn.Module):
    """chainrule's TransformerBlock from torch's layers, with the same submodule names.

    The names are torch.nn.TransformerEncoderLayer's (``self_attn``, ``linear1``, ``norm1``, ...),
    so its state_dict reads like one; ``causal=True`` masks the future inside the block.
    ``forward(src, need_weights=False)`` takes [..., seq_len, d_model].
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int | None = None, dropout: float = 0.0,
                 activation: str = "relu", layer_norm_eps: float = 1e-5, norm_first: bool = False,
                 causal: bool = False, bias: bool = True, norm: str = "layernorm", norm_affine: bool = True):
        super().__init__()
        dim_feedforward = 4 * d_model if dim_feedforward is None else dim_feedforward
        self.self_attn = MultiheadAttention(d_model, nhead, bias=bias)
        self.linear1 = torch.nn.Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = torch.nn.Dropout(dropout)
        self.linear2 = torch.nn.Linear(dim_feedforward, d_model, bias=bias)
        self.norm1 = _norm(norm, d_model, layer_norm_eps, norm_affine, bias)
        self.norm2 = _norm(norm, d_model, layer_norm_eps, norm_affine, bias)
        self.dropout1 = torch.nn.Dropout(dropout)
        self.dropout2 = torch.nn.Dropout(dropout)
        self.activation = activation
        self.norm_first = norm_first
        self.causal = causal

    def _attend(self, x: torch.Tensor, need_weights: bool):
        out, weights = self.self_attn(x, need_weights=need_weights, is_causal=self.causal)
        return self.dropout1(out), weights

    def _feed_forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout2(self.linear2(self.dropout(_act(self.activation, self.linear1(x)))))

    def forward(self, src: torch.Tensor, need_weights: bool = False):
        x = src
        if self.norm_first:
            attended, weights = self._attend(self.norm1(x), need_weights)
            x = x + attended
            x = x + self._feed_forward(self.norm2(x))
        else:
            attended, weights = self._attend(x, need_weights)
            x = self.norm1(x + attended)
            x = self.norm2(x + self._feed_forward(x))
        return (x, weights) if need_weights else x

    def extra_repr(self) -> str:
        return f"activation={self.activation!r}, norm_first={self.norm_first}, causal={self.causal}"


class GPT(torch.nn.Module):
    """chainrule's GPT from torch's layers: ``model(tokens)``, token ids [..., seq_len] -> logits [..., seq_len, vocab].

    Same submodule names as chainrule's (``wte``, ``wpe``, ``norm``, ``blocks.0``, ``lm_head``).
    ``generate`` samples as chainrule's does (``rng.choices`` over the softmax), so the same
    weights and the same ``random.Random`` give the same names; it runs the whole prefix at
    each step (torch.nn has no KV cache).
    """

    def __init__(self, vocab_size: int, block_size: int = 16, n_embd: int = 16, n_head: int = 4, n_layer: int = 1,
                 eps: float = 1e-5):
        super().__init__()
        self.block_size = block_size
        self.wte = torch.nn.Embedding(vocab_size, n_embd)
        self.wpe = torch.nn.Embedding(block_size, n_embd)
        self.norm = torch.nn.RMSNorm(n_embd, eps=eps, elementwise_affine=False)
        self.blocks = torch.nn.ModuleList(
            TransformerBlock(n_embd, n_head, 4 * n_embd, norm_first=True, causal=True, bias=False, norm="rmsnorm",
                             norm_affine=False, layer_norm_eps=eps)
            for _ in range(n_layer))
        self.lm_head = torch.nn.Linear(n_embd, vocab_size, bias=False)

    def forward(self, tokens: torch.Tensor, need_weights: bool = False):
        """Logits [..., seq_len, vocab]; ``need_weights=True`` adds each block's attention weights, as chainrule's."""
        n = tokens.shape[-1] if tokens.dim() else 0
        if not 0 < n <= self.block_size:
            raise ValueError(f"GPT: got {n} token(s); the model sees 1 to block_size={self.block_size} positions")
        x = self.norm(self.wte(tokens) + self.wpe(torch.arange(n, device=tokens.device)))
        weights = []
        for block in self.blocks:
            x = block(x, need_weights=need_weights)
            if need_weights:
                x, w = x
                weights.append(w)
        logits = self.lm_head(x)
        return (logits, weights) if need_weights else logits

    @torch.no_grad()
    def generate(self, start: int, stop: int | None = None, *, temperature: float = 1.0,
                 rng: random.Random | None = None) -> list[int]:
        """Sample token ids after ``start`` until ``stop`` or block_size; the result leaves both out."""
        if not temperature > 0:
            raise ValueError(f"GPT.generate: temperature must be > 0, got {temperature!r}")
        rng = random.Random() if rng is None else rng
        tokens, out = [start], []
        ids = range(self.lm_head.out_features)
        for _ in range(self.block_size):
            logits = self(torch.tensor(tokens, device=self.lm_head.weight.device))[-1]
            probs = torch.softmax(logits / temperature, dim=-1).tolist()
            token = rng.choices(ids, weights=probs)[0]
            if token == stop:
                break
            out.append(token)
            tokens.append(token)
        return out
