"""chainrule's neural-network library: modules, layers, losses and optimizers built from ``engine.Value``.

The names follow PyTorch (``Module``, ``Linear``, ``SGD``, ``state_dict``) so what you learn
here carries over, and micrograd's ``Neuron``, ``Layer`` and ``MLP`` keep their signatures.

>>> from nn import MLP, manual_seed
>>> manual_seed(0)
>>> model = MLP(2, [16, 16, 1])
>>> model.num_parameters()
337
"""

from . import datasets, lr_scheduler, utils
from .attention import (
    Embedding,
    KVCache,
    MultiHeadAttention,
    MultiheadAttention,
    TransformerBlock,
    scaled_dot_product_attention,
)
from .conv import AvgPool2d, Conv1d, Conv2d, Flatten, MaxPool2d
from .functional import log_softmax, logsumexp, softmax
from .gpt import GPT
from .init import default_rng, kaiming_uniform_, manual_seed, uniform_, xavier_uniform_
from .layers import MLP, Layer, Linear, Neuron, ReLU, Sequential, Sigmoid, Tanh
from .losses import binary_cross_entropy_with_logits, cross_entropy, hinge_loss, mse_loss
from .module import LoadResult, Module
from .norm import Dropout, LayerNorm, RMSNorm
from .optim import SGD, Adam, AdamW, Optimizer, RMSprop
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .tokenizer import CharTokenizer

__all__ = [
    "Module",
    "LoadResult",
    "Neuron",
    "Layer",
    "MLP",
    "Linear",
    "Sequential",
    "ReLU",
    "Tanh",
    "Sigmoid",
    "mse_loss",
    "hinge_loss",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "lr_scheduler",
    "utils",
    "datasets",
    "softmax",
    "log_softmax",
    "logsumexp",
    "manual_seed",
    "default_rng",
    "uniform_",
    "xavier_uniform_",
    "kaiming_uniform_",
    "Conv1d",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "Flatten",
    "RNNCell",
    "RNN",
    "LSTMCell",
    "LSTM",
    "GRUCell",
    "GRU",
    "Embedding",
    "LayerNorm",
    "Dropout",
    "scaled_dot_product_attention",
    "MultiheadAttention",
    "MultiHeadAttention",
    "TransformerBlock",
    "KVCache",
    "RMSNorm",
    "GPT",
    "CharTokenizer",
]
