"""Running a demo as a learner does, `python -m demos.NAME` in a fresh interpreter, from any folder.

The demos are not installed (only `engine` and `nn` are): they run from the checkout, so
the interpreter gets the checkout's root on PYTHONPATH wherever it starts.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def demo_env() -> dict[str, str]:
    """This process's environment with the checkout's root first on PYTHONPATH."""
    paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def run_python(args: list[str], cwd: Path = ROOT, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python ARGS`` in ``cwd``, output captured as text; the caller checks the return code."""
    return subprocess.run([sys.executable, *args], cwd=cwd, env=demo_env(), capture_output=True, text=True,
                          timeout=timeout)


def run_demo(args: list[str], cwd: Path = ROOT, timeout: float = 300) -> str:
    """``python -m ARGS`` (``args[0]`` is the module, e.g. ``demos.cnn``); asserts success, returns stdout."""
    done = run_python(["-m", *args], cwd=cwd, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return done.stdout


def without(module: str, demo: str) -> list[str]:
    """Arguments that run ``demo`` in an interpreter where ``import module`` fails, as where its extra is missing."""
    code = f"import sys, runpy; sys.modules[{module!r}] = None; runpy.run_module({demo!r}, run_name='__main__')"
    return ["-c", code]
