"""`python -m demos.gpt --export PATH`, run for real: the file holds exactly the trained model, ready for torch."""

import json
import subprocess
import sys
from pathlib import Path

import torch

import nn
from demos.gpt import setup, train
from nn import GPT, CharTokenizer
from nn.torch_bridge import gpt_config

ROOT = Path(__file__).resolve().parent.parent


def run_python(args, cwd):
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_export_writes_the_trained_model_for_torch(tmp_path):
    done = run_python(["-m", "demos.gpt", "--steps", "3", "--samples", "2", "--json", "--export", "out/gpt.pt"],
                      tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["losses"]) == 3  # --json still prints one JSON object and nothing else

    checkpoint = torch.load(tmp_path / "out" / "gpt.pt")  # weights_only: plain tensors, numbers and strings
    docs, tok, model, _ = setup()
    train(model, docs, tok, steps=3)  # the same 3 steps, here: the file must hold exactly these weights
    assert checkpoint["config"] == gpt_config(model) and checkpoint["chars"] == tok.chars
    assert CharTokenizer([checkpoint["chars"]]).chars == tok.chars  # docs/pytorch.md rebuilds the tokenizer so
    assert nn.load_torch(GPT(**checkpoint["config"]), checkpoint["state_dict"]).state_dict() == model.state_dict()

    net = nn.to_torch(GPT(**checkpoint["config"]))
    net.load_state_dict(checkpoint["state_dict"])
    tokens = tok.encode(docs[0], bos=True)[:8]
    ours = torch.tensor([[v.data for v in row] for row in model(tokens)], dtype=torch.float64)
    assert (net(torch.tensor(tokens)) - ours).abs().max().item() <= 1e-12


def test_export_problems_are_found_before_training_not_after(tmp_path):
    # a folder instead of a file name: refused at once, nothing trained
    done = run_python(["-m", "demos.gpt", "--steps", "2", "--no-plot", "--export", str(tmp_path)], tmp_path)
    assert done.returncode == 2 and "trained" not in done.stdout
    assert f"--export {tmp_path}: that is a folder; give a file name such as {tmp_path / 'gpt.pt'}" in done.stderr
    # without torch: the install hint at once, nothing trained
    done = run_python(["-c", "import sys; sys.modules['torch'] = None  # as if torch were not installed\n"
                             "from demos.gpt import main; main(['--steps', '2', '--no-plot', '--export', 'x.pt'])"],
                      tmp_path)
    assert done.returncode == 2 and "trained" not in done.stdout
    assert "--export needs PyTorch, an optional extra: pip install 'chainrule[torch]'" in done.stderr
