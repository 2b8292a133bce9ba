"""The names GPT: the reference numbers of issue 13, the KV cache against the full forward, sampling."""

import random

import pytest

import nn
from benchmarks.scalar_gpt import ScalarGPT
from engine import no_grad
from nn import GPT, CharTokenizer, KVCache, cross_entropy
from nn.datasets import names

REFERENCE_STEP1_LOSS = 3.3659669475848504


def reference_setup(seed=42):
    """The reference's start: random.seed(42), names shuffled, then the weights drawn from the same source."""
    docs = names()
    rng = random.Random(seed)
    rng.shuffle(docs)
    tok = CharTokenizer(docs)
    return docs, tok, rng


def loss_of(model, tokens):
    tokens = tokens[: model.block_size + 1]
    return cross_entropy(model(tokens[:-1]), tokens[1:])


def test_step_one_loss_and_parameter_count_match_the_reference():
    docs, tok, rng = reference_setup()
    model = GPT(tok.vocab_size, rng=rng)
    assert model.num_parameters() == 4192
    assert tok.vocab_size == 27 and tok.bos == 26
    loss = loss_of(model, tok.encode(docs[0], bos=True))
    assert loss.data == pytest.approx(REFERENCE_STEP1_LOSS, abs=1e-12, rel=0)


def test_the_scalar_baseline_computes_the_same_loss_and_grads():
    docs, tok, rng = reference_setup()
    state = rng.getstate()
    model = GPT(tok.vocab_size, rng=rng)
    rng.setstate(state)
    baseline = ScalarGPT(rng)
    ours = [p for weights in model._weights_in_draw_order() for row in weights for p in row]
    assert [p.data for p in ours] == [p.data for p in baseline.params]
    for doc in docs[:3]:
        tokens = tok.encode(doc, bos=True)
        a, b = loss_of(model, tokens), baseline.loss(tokens)
        a.backward()
        b.backward()
        assert a.data == pytest.approx(b.data, abs=1e-12)
        assert [p.grad for p in ours] == pytest.approx([p.grad for p in baseline.params], abs=1e-12)


@pytest.mark.parametrize("split", [1, 3, 6])
def test_kv_cache_logits_equal_the_full_forward(split):
    model = GPT(27, rng=random.Random(3))
    tokens = [26, 4, 12, 12, 0, 3, 7, 26]
    full = model(tokens)
    cache = model.new_kv_cache()
    pieces = model(tokens[:split], kv_cache=cache) + [row for t in tokens[split:] for row in model([t], kv_cache=cache)]
    assert len(cache[0]) == len(tokens)
    assert [[v.data for v in row] for row in pieces] == [[v.data for v in row] for row in full]


def test_kv_cache_gradients_equal_the_full_forward():
    model = GPT(27, block_size=8, rng=random.Random(5))
    tokens = [26, 1, 2, 3, 26]
    loss_of(model, tokens).backward()
    full = [p.grad for p in model.parameters()]
    model.zero_grad()
    cache = model.new_kv_cache()
    logits = [row for t in tokens[:-1] for row in model([t], kv_cache=cache)]
    cross_entropy(logits, tokens[1:]).backward()
    assert [p.grad for p in model.parameters()] == pytest.approx(full, abs=1e-14)


def test_too_many_positions_are_refused():
    model = GPT(5, block_size=3, n_embd=4, n_head=2, rng=random.Random(0))
    with pytest.raises(ValueError, match="block_size=3"):
        model([0, 1, 2, 3])
    cache = model.new_kv_cache()
    model([0, 1], kv_cache=cache)
    with pytest.raises(ValueError, match="after 2 cached"):
        model([0, 1], kv_cache=cache)
    with pytest.raises(TypeError, match="KVCache"):
        model.blocks[0].self_attn([[0.0] * 4], kv_cache=[])


def test_generate_stops_at_bos_and_uses_no_graph():
    docs, tok, rng = reference_setup()
    model = GPT(tok.vocab_size, rng=rng)
    out = [model.generate(tok.bos, stop=tok.bos, temperature=0.5, rng=random.Random(k)) for k in range(5)]
    assert all(tok.bos not in ids and len(ids) <= 16 for ids in out)
    assert all(p.grad == 0.0 for p in model.parameters())
    again = [model.generate(tok.bos, stop=tok.bos, temperature=0.5, rng=random.Random(k)) for k in range(5)]
    assert out == again
    with pytest.raises(ValueError, match="temperature"):
        model.generate(tok.bos, temperature=0.0)


def test_generate_draws_from_the_softmax_of_logits_over_temperature():
    model = GPT(4, block_size=1, n_embd=4, n_head=1, rng=random.Random(2))
    with no_grad():
        logits = [v.data for v in model([3])[0]]
    import math

    probs = [math.exp(2 * x) for x in logits]
    expected = random.Random(9).choices(range(4), weights=[p / sum(probs) for p in probs])
    assert model.generate(3, temperature=0.5, rng=random.Random(9)) == expected


def test_kv_cache_repr_and_reset():
    cache = KVCache()
    nn.MultiheadAttention(4, 2, rng=random.Random(0))([[1.0, 0.0, 0.0, 0.0]], kv_cache=cache)
    assert len(cache) == 1 and repr(cache) == "KVCache(1 tokens)"
    cache.reset()
    assert len(cache) == 0
