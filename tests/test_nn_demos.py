"""The nn demos, run for real as `python -m demos.NAME` in a subprocess, plus their doctests."""

import doctest
import re

import pytest
from demo_runner import ROOT, run_demo, run_python, without

import demos._progress
import demos.moons
import demos.universal
import demos.xor

DEMOS = sorted(path.stem for path in (ROOT / "demos").glob("*.py") if not path.stem.startswith("_"))


def test_moons_full_run_reaches_100_percent():
    # micrograd's exact setup: 100 points, 100 steps.  The one full run the suite keeps.
    out = run_demo(["demos.moons", "--text"])
    assert re.search(r"^final  loss 0\.0\d+  accuracy 100\.0%$", out, re.M), out
    assert "trained 337 parameters for 100 steps" in out
    assert re.search(r"^step   0  loss .* accuracy", out, re.M) and re.search(r"^total time \d+\.\d s$", out, re.M)
    board = [line[1:-1] for line in out.splitlines() if line.startswith("|")]
    assert len(board) == 22 and all(len(row) == 64 for row in board)
    cells = "".join(board)
    assert cells.count(".") > 100 and cells.count(" ") > 100  # both regions are there
    assert cells.count("x") + cells.count("o") > 60  # points (some share a cell)


def test_moons_writes_a_png_and_says_where(tmp_path):
    out = run_demo(["demos.moons", "--steps", "3", "--points", "20"], cwd=tmp_path)
    png = tmp_path / "out" / "moons.png"
    assert f"wrote the decision boundary to {png}" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image

    height, width, _ = matplotlib.image.imread(png).shape
    assert width > 300 and height > 200


def test_moons_without_matplotlib_prints_text_and_how_to_get_the_png(tmp_path):
    done = run_python([*without("matplotlib", "demos.moons"), "--steps", "2", "--points", "10"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "pip install chainrule[plot]" in done.stdout
    assert "'.' the model says +1" in done.stdout
    assert not (tmp_path / "out").exists()


def test_moons_no_plot_and_bad_arguments(tmp_path):
    out = run_demo(["demos.moons", "--steps", "1", "--points", "8", "--no-plot"], cwd=tmp_path)
    assert "final" in out and "wrote" not in out and "|" not in out
    done = run_python(["-m", "demos.moons", "--points", "1"], cwd=tmp_path)
    assert done.returncode == 2 and "--points >= 2" in done.stderr


def test_moons_progress_counts_the_steps_it_was_asked_for(tmp_path):
    # The final score after the last update is not a training step: 4 steps are "4 of 4", not "5 of 5".
    done = run_python([*without("tqdm", "demos.moons"), "--steps", "4", "--points", "8", "--no-plot"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^training: 4 of 4 \(100%\) in \d+\.\d s$", done.stderr, re.M), done.stderr
    assert "trained" in done.stdout and "for 4 steps" in done.stdout
    assert re.findall(r"^(step +\d+|final) ", done.stdout, re.M) == ["step   0", "step   3", "final"]


def test_xor_neuron_fails_and_mlp_succeeds():
    out = run_demo(["demos.xor"])
    neuron = int(re.search(r"^one neuron: +(\d+)%", out, re.M).group(1))
    assert neuron <= 75
    assert re.search(r"^MLP\(2, \[4, 1\]\): 100% of the points right$", out, re.M)


def test_universal_error_falls():
    out = run_demo(["demos.universal", "--steps", "120", "--no-plot"])
    errors = [float(e) for e in re.findall(r"mean squared error (\d+\.\d+)", out)]
    assert len(errors) == 4 and errors[-1] < errors[0] / 10
    assert float(re.search(r"largest error on \[-pi, pi\]: (\d+\.\d+)", out).group(1)) < 0.5


@pytest.mark.parametrize("module", [demos.moons, demos.xor, demos.universal, demos._progress])
def test_demo_doctests(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("name", DEMOS)
def test_every_demo_explains_itself_with_help_and_does_not_run(name, tmp_path):
    done = run_python(["-m", f"demos.{name}", "--help"], cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: python -m demos.{name}") and "options:" in done.stdout
    assert done.stderr == "" and not any(tmp_path.iterdir())  # no output of a run, no files written


def test_long_demos_show_a_tqdm_bar_where_tqdm_is_installed_and_a_plain_line_otherwise(tmp_path):
    args = ["--layers", "2", "--steps", "8", "--points", "10"]
    with_bar = run_python(["-m", "demos.depth", *args], cwd=tmp_path)
    plain = run_python([*without("tqdm", "demos.depth"), *args], cwd=tmp_path)
    assert with_bar.returncode == plain.returncode == 0, with_bar.stderr + plain.stderr
    assert re.search(r"training the sigmoid net: 100%\|█+\| 8/8 ", with_bar.stderr), with_bar.stderr
    assert re.findall(r"^training the (\w+) net: 8 of 8 \(100%\) in \d+\.\d s$", plain.stderr, re.M) == [
        "sigmoid", "relu"], plain.stderr
    assert "training the sigmoid net: 2 of 8 (25%)" in plain.stderr
    # what the demo measured reads the same either way, on stdout
    assert with_bar.stdout.split("total time")[0] == plain.stdout.split("total time")[0]
