"""Trained models survive the move: a moons MLP and a names GPT trained in chainrule predict and sample the same in
torch and after coming back, and one more training step taken in torch equals the same step taken in chainrule."""

import random

import pytest
import torch

import engine
import nn
from demos.moons import loss_and_scores, moons_data, train
from nn import GPT, CharTokenizer, cross_entropy
from nn.datasets import names
from nn.torch_bridge.naming import group_parameters

TOL = 1e-12


def assert_same_parameters(ours, theirs, tol):
    """Every chainrule parameter against its element of the torch tensor of the same name."""
    state = theirs.state_dict()
    for name, tensor in group_parameters(ours).items():
        got = torch.tensor([v.data for v in tensor.values], dtype=torch.float64)
        worst = (got - state[name].reshape(-1)).abs().max().item()
        assert worst <= tol, f"{name}: differs by {worst:.3g}"


@pytest.fixture(scope="module")
def moons_model():
    model, history = train(steps=20, log=None)
    assert history[-1]["accuracy"] > 0.8  # it did learn something
    return model


def test_a_trained_moons_mlp_predicts_the_same_in_torch_and_after_the_round_trip(moons_model):
    X, y = moons_data()
    net = nn.to_torch(moons_model)
    scores = net(torch.tensor(X, dtype=torch.float64))  # the whole batch at once: shape (100,)
    ours = [moons_model(x).data for x in X]
    assert scores.shape == (100,)
    assert (scores - torch.tensor(ours, dtype=torch.float64)).abs().max().item() <= TOL
    assert [s > 0 for s in scores.tolist()] == [s > 0 for s in ours]
    back = nn.load_torch(nn.MLP(2, [16, 16, 1]), net)
    assert back.state_dict() == moons_model.state_dict()  # float64 both ways: the very same numbers
    assert [back(x).data for x in X] == ours


def test_a_training_step_in_torch_equals_the_same_step_in_chainrule(moons_model):
    X, y = moons_data()
    net = nn.to_torch(moons_model)
    ours = nn.load_torch(nn.MLP(2, [16, 16, 1]), net)  # a copy, so the fixture stays as trained
    optimizer = nn.SGD(ours.parameters(), lr=0.5)
    loss, _ = loss_and_scores(ours, X, y)
    loss.backward()
    optimizer.step()

    torch_optimizer = torch.optim.SGD(net.parameters(), lr=0.5)
    scores = net(torch.tensor(X, dtype=torch.float64))
    labels = torch.tensor(y, dtype=torch.float64)
    data_loss = torch.relu(1 - labels * scores).mean()  # chainrule's hinge_loss
    torch_loss = data_loss + 1e-4 * sum((p * p).sum() for p in net.parameters())
    torch_loss.backward()
    torch_optimizer.step()
    assert torch_loss.item() == pytest.approx(loss.data, abs=TOL)
    assert_same_parameters(ours, net, TOL)


def gpt_loss(model, tokens):
    tokens = tokens[: model.block_size + 1]
    return cross_entropy(model(tokens[:-1]), tokens[1:])


@pytest.fixture(scope="module")
def names_gpt():
    """The names GPT of the GPT lesson, trained 30 steps with its Adam settings."""
    docs = names()
    rng = random.Random(42)
    rng.shuffle(docs)
    tok = CharTokenizer(docs)
    model = GPT(tok.vocab_size, rng=rng)
    optimizer = nn.Adam(model.parameters(), lr=0.01, betas=(0.85, 0.99), eps=1e-8)
    for doc in docs[:30]:
        optimizer.zero_grad()
        gpt_loss(model, tok.encode(doc, bos=True)).backward()
        optimizer.step()
    return model, tok, docs


def test_a_trained_gpt_gives_the_same_logits_and_samples_in_torch_and_after_the_round_trip(names_gpt):
    model, tok, docs = names_gpt
    net = nn.to_torch(model)
    for doc in docs[100:103]:
        tokens = tok.encode(doc, bos=True)[: model.block_size]
        with engine.no_grad():
            ours = torch.tensor([[v.data for v in row] for row in model(tokens)], dtype=torch.float64)
        assert (net(torch.tensor(tokens)) - ours).abs().max().item() <= TOL
    samples = [tok.decode(model.generate(tok.bos, tok.bos, temperature=0.5, rng=random.Random(k))) for k in range(10)]
    assert [tok.decode(net.generate(tok.bos, tok.bos, temperature=0.5, rng=random.Random(k)))
            for k in range(10)] == samples
    back = nn.load_torch(GPT(tok.vocab_size, rng=random.Random(0)), net)
    assert back.state_dict() == model.state_dict()
    assert [tok.decode(back.generate(tok.bos, tok.bos, temperature=0.5, rng=random.Random(k)))
            for k in range(10)] == samples


def test_an_adam_step_on_the_gpt_in_torch_equals_chainrules(names_gpt):
    model, tok, docs = names_gpt
    net = nn.to_torch(model)
    ours = nn.load_torch(GPT(tok.vocab_size, rng=random.Random(0)), net)
    tokens = tok.encode(docs[500], bos=True)
    optimizer = nn.Adam(ours.parameters(), lr=0.01, betas=(0.85, 0.99), eps=1e-8)
    loss = gpt_loss(ours, tokens)
    loss.backward()
    optimizer.step()

    torch_optimizer = torch.optim.Adam(net.parameters(), lr=0.01, betas=(0.85, 0.99), eps=1e-8)
    ids = torch.tensor(tokens[: net.block_size + 1])
    torch_loss = torch.nn.functional.cross_entropy(net(ids[:-1]), ids[1:])
    torch_loss.backward()
    torch_optimizer.step()
    assert torch_loss.item() == pytest.approx(loss.data, abs=TOL)
    assert_same_parameters(ours, net, TOL)
