"""demos/moons --compiled: the replayed training takes the very same steps as eager training."""

import subprocess
import sys
from pathlib import Path

from demos.moons import train

ROOT = Path(__file__).resolve().parent.parent


def test_compiled_training_is_eager_training_bit_for_bit():
    eager_model, eager_history = train(steps=15, points=30, log=None)
    model, history = train(steps=15, points=30, log=None, compiled=True)
    assert history == eager_history
    assert [p.data for p in model.parameters()] == [p.data for p in eager_model.parameters()]


def test_the_command_line_flag_trains_micrograds_100_steps_to_full_accuracy():
    result = subprocess.run(
        [sys.executable, "-m", "demos.moons", "--compiled", "--no-plot"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "trained 337 parameters for 100 steps" in result.stdout
    assert "final  loss 0.0159  accuracy 100.0%" in result.stdout
