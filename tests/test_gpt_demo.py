"""`python -m demos.gpt` run for real in a subprocess, its doctests, and the gpt_step benchmark workload."""

import doctest
import json
import math
import subprocess
import sys
import weakref
from pathlib import Path

import demos.gpt
from benchmarks.run import _gpt_line, measure
from benchmarks.workloads import WORKLOADS, make_gpt_step

ROOT = Path(__file__).resolve().parent.parent
PNG = b"\x89PNG\r\n\x1a\n"


def run(args, cwd=ROOT):
    done = subprocess.run([sys.executable, "-m", "demos.gpt", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_json_output_follows_the_reference_compiled_and_eager_alike():
    result = json.loads(run(["--steps", "12", "--samples", "4", "--json"]))
    assert result["losses"][0] == 3.3659669475848504
    assert len(result["losses"]) == 12 and all(math.isfinite(x) and 1.5 < x < 4.5 for x in result["losses"])
    assert len(result["samples"]) == 4 and all(s.isalpha() or s == "" for s in result["samples"])
    assert result["mode"] == "compiled" and 2 <= result["traces"] <= 12  # one trace per name length
    assert result["seconds_per_step"] == result["train_seconds"] / 12
    eager = json.loads(run(["--steps", "12", "--samples", "4", "--json", "--eager"]))
    assert eager["mode"] == "eager" and eager["traces"] == 0
    assert eager["losses"] == result["losses"] and eager["samples"] == result["samples"]


def test_text_output_progress_samples_attention_and_pictures(tmp_path):
    out = run(["--steps", "4", "--samples", "3", "--seed", "7"], cwd=tmp_path)
    assert "32033 names, vocabulary 'abcdefghijklmnopqrstuvwxyz' + BOS, 4192 parameters" in out
    assert "trained 4 steps compiled (" in out and "3 samples in" in out
    assert len([line for line in out.splitlines() if line[:4].strip().isdigit() and line.startswith("  ")]) >= 3
    assert "(percent; rows look at columns)" in out
    assert "step/s" not in out  # tqdm's bar (installed here) goes to stderr
    for name in ("gpt_loss.png", "gpt_attention.png"):
        path = tmp_path / "out" / name
        assert path.read_bytes()[:8] == PNG and f"to {path}" in out


def test_plain_progress_lines_without_tqdm(tmp_path):
    # A folder that shadows tqdm with a module that fails to import, as when it is not installed.
    (tmp_path / "tqdm.py").write_text("raise ImportError('no tqdm here')\n")
    done = subprocess.run([sys.executable, "-m", "demos.gpt", "--steps", "10", "--samples", "0", "--no-plot"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": f"{tmp_path}:{ROOT}", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("step ")]
    assert len(lines) == 10 and lines[0].startswith("step     1 / 10  loss 3.3660") and "steps/s" in lines[0]


def test_bad_arguments_are_refused():
    done = subprocess.run([sys.executable, "-m", "demos.gpt", "--steps", "0"], cwd=ROOT, capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2 and "--steps must be >= 1" in done.stderr


def test_doctests():
    assert doctest.testmod(demos.gpt, optionflags=doctest.ELLIPSIS).failed == 0


def test_gpt_step_engines_agree_and_the_table_line_says_how_much_faster():
    eager, compiled, scalar = make_gpt_step("chainrule", 2), make_gpt_step("compiled", 2), make_gpt_step("scalar", 2)
    first = eager()
    assert compiled() == first and abs(scalar() - first) < 1e-12
    second = eager()
    assert compiled() == second  # bit for bit, after two identical Adam steps
    assert abs(scalar() - second) < 1e-9
    rows = measure([("gpt_step", 1, 1)])
    assert sorted(rows[0].seconds) == ["chainrule", "compiled", "scalar"]
    assert "x faster than scalar" in _gpt_line(rows[0])


def test_gpt_step_times_each_engine_alone_in_the_process(monkeypatch):
    # The engines keep models and traces alive between repetitions; timed side by side, every full
    # collection in one engine's run walked the others' objects (the scalar baseline ran 1.7x slower).
    alive, seen = weakref.WeakSet(), []

    def workload(kind, n):
        def run():
            seen.append((kind, len(alive)))
            return 1.0
        alive.add(run)
        return run

    monkeypatch.setitem(WORKLOADS, "gpt_step", workload)
    measure([("gpt_step", 1, 2)])
    assert sorted({kind for kind, _ in seen}) == ["chainrule", "compiled", "scalar"]
    assert all(count == 1 for _, count in seen), seen
