"""The architecture demos, run for real as `python -m demos.NAME` in a subprocess on short runs, plus their doctests."""

import doctest
import re

import pytest
from demo_runner import run_demo, run_python

import demos._plots
import demos.cnn
import demos.depth
import demos.rnn
import demos.transformer


def test_cnn_learns_bars_and_its_filters_turn_vertical_and_horizontal(tmp_path):
    out = run_demo(["demos.cnn", "--steps", "40"], cwd=tmp_path)
    assert int(re.search(r"accuracy on 100 new images: (\d+)%", out).group(1)) >= 90
    kinds = re.findall(r"^filter \d \((vertical|horizontal) line detector\):$", out, re.M)
    assert sorted(kinds) == ["horizontal", "vertical"]
    numbers = re.findall(r"^   ([+-]\d\.\d\d) ([+-]\d\.\d\d) ([+-]\d\.\d\d)$", out, re.M)
    assert len(numbers) == 6  # two 3x3 filters as numbers
    png = tmp_path / "out" / "cnn_filters.png"
    assert f"wrote the filters to {png}" in out and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rnn_plain_rnn_gradient_vanishes_and_gated_ones_learn():
    out = run_demo(["demos.rnn", "--steps", "60", "--length", "10"])
    acc = {k: float(v) for k, v in re.findall(r"^(RNN|LSTM|GRU) +accuracy +(\d+\.\d)%", out, re.M)}
    assert acc["RNN"] <= 70 and acc["GRU"] >= 95 and acc["LSTM"] >= 95, out
    rows = re.findall(r"^ +(\d+) +(\S+) +(\S+) +(\S+)$", out, re.M)
    assert [int(r[0]) for r in rows] == list(range(1, 11))
    first = [float(x) for x in rows[0][1:]]
    assert first[0] < 1e-4  # the plain RNN: almost nothing reaches step 1
    assert first[1] > 100 * first[0] and first[2] > 100 * first[0]


def test_depth_sigmoid_gradients_vanish_relu_ones_do_not():
    out = run_demo(["demos.depth", "--layers", "8", "--steps", "30", "--points", "20"])
    ratios = dict(re.findall(r"^(sigmoid|relu) *: the first layer gets (\S+) times", out, re.M))
    assert float(ratios["sigmoid"]) < 1e-3 < 0.1 < float(ratios["relu"])
    assert len(re.findall(r"^ +(\d+|out) +\d\.\d\de[+-]\d\d ", out, re.M)) == 9  # 8 hidden layers and the output
    losses = dict(re.findall(r"^(sigmoid|relu) *: loss (\d\.\d+)", out, re.M))
    assert float(losses["relu"]) < float(losses["sigmoid"])


def test_transformer_learns_to_reverse_and_attends_to_the_mirror_position(tmp_path):
    out = run_demo(["demos.transformer", "--steps", "60"], cwd=tmp_path)
    train_acc, test_acc = map(int, re.search(r"train (\d+)%, unseen test sequences (\d+)%", out).groups())
    assert train_acc == 100 and test_acc >= 90
    tokens, predicted = re.search(r"input (\[.*?\]) -> output (\[.*?\])", out).groups()
    assert eval(predicted) == eval(tokens)[::-1]
    weights = [[float(w) for w in line.split()[2:]] for line in re.findall(r"^  pos \d .*$", out, re.M)]
    assert len(weights) == 3 and all(abs(sum(row) - 1.0) < 0.02 for row in weights)
    assert weights[0][2] > 0.5 and weights[2][0] > 0.5  # the anti-diagonal: 0 looks at 2, 2 at 0
    assert (tmp_path / "out" / "transformer_attention.png").read_bytes()[:4] == b"\x89PNG"


def test_bad_arguments_are_refused():
    for args, message in [(["demos.cnn", "--steps", "0"], "--steps must be >= 1"),
                          (["demos.rnn", "--length", "1"], "--length >= 2"),
                          (["demos.depth", "--layers", "0"], "--layers must be >= 1")]:
        done = run_python(["-m", *args])
        assert done.returncode == 2 and message in done.stderr


@pytest.mark.parametrize("module", [demos.cnn, demos.rnn, demos.depth, demos.transformer, demos._plots])
def test_demo_doctests(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
