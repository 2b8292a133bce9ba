"""Property-testing gradients: Hypothesis finds a custom op's wrong derivative, then the fix passes.

    python -m demos.property_testing                 # a few seconds
    python -m demos.property_testing --programs 50   # a shorter check of the fix

We add an op, smooth_abs(a) = sqrt(a^2 + 1) (|a| without the kink), with the classic
chain-rule slip in its derivative: d sqrt(u)/du = 1 / (2 sqrt u), forgetting du/da = 2a.
Hypothesis draws random programs that use it, gradcheck compares backward() with finite
differences, and the first program that fails is shrunk to the smallest one that still
fails.  Then we fix the one line and run the same property on a few hundred programs.
"""

import argparse
import math
import sys

from hypothesis import find, given, seed, settings

from demos._progress import progress
from engine import OPS, GradcheckError, gradcheck, register_op
from engine.strategies import Program, programs


def define_smooth_abs(derivatives):
    """Register smooth_abs with the given derivative rule (replacing an earlier definition)."""
    OPS.pop("smooth_abs", None)  # a demo redefines the op; a library would register it once
    return register_op(
        "smooth_abs",
        lambda a: math.sqrt(a * a + 1.0),  # forward, on floats
        derivatives,  # (out, a) -> (d out / d a,)
        "smooth_abs",
        note="d sqrt(a^2+1)/da = a / sqrt(a^2+1)",
    )


def gradients_are_wrong(program) -> bool:
    """The property, negated: True when gradcheck rejects the program's gradients."""
    return not gradcheck(program, program.values(), raise_exception=False)


OPS_UNDER_TEST = ["add", "mul", "tanh", "exp", "smooth_abs"]
# derandomize: the same search, and so the same output, on every run
SEARCH = settings(max_examples=300, derandomize=True, database=None)


# %% 1. The op with the wrong derivative, and Hypothesis looking for a program it breaks.
def find_the_bug() -> tuple[Program, str]:
    """Define the wrong smooth_abs; return the shrunk failing program and gradcheck's message."""
    define_smooth_abs(lambda out, a: (0.5 / out,))  # wrong: 1 / (2 out) instead of a / out
    program = find(programs(n_inputs=2, max_nodes=6, ops=OPS_UNDER_TEST), gradients_are_wrong, settings=SEARCH)
    try:
        gradcheck(program, program.values())
    except GradcheckError as err:
        return program, str(err)
    raise AssertionError("find() returned a program that passes gradcheck")


# %% 2. The fix: d sqrt(a^2 + 1)/da = (1 / (2 sqrt(a^2 + 1))) * 2a = a / out.
def check_the_fix(n_programs: int = 300, batches: int = 1, show_progress: bool = False) -> None:
    """Define the right smooth_abs and run the gradcheck property on ``n_programs`` random programs.

    The programs are drawn in ``batches`` runs of the property, each with its own fixed seed
    (so progress can be shown between them, and every run draws the same programs).
    """
    define_smooth_abs(lambda out, a: (a / out,))
    sizes = [n_programs // batches + (k < n_programs % batches) for k in range(batches)]
    for k in progress(range(batches), "checking the fix", unit="batch") if show_progress else range(batches):

        @seed(k)
        @settings(SEARCH, max_examples=sizes[k], derandomize=False)
        @given(programs(n_inputs=2, max_nodes=6, ops=OPS_UNDER_TEST))
        def test_gradients(program):
            assert gradcheck(program, program.values())

        test_gradients()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demos.property_testing", description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=300, help="random programs to check the fix on (default 300)")
    args = parser.parse_args(argv)
    if args.programs < 1:
        parser.error("--programs must be >= 1")

    print("Hypothesis draws programs that use smooth_abs until gradcheck rejects one, then shrinks it...", flush=True)
    program, message = find_the_bug()
    print("\nHypothesis found a program whose gradients are wrong, and shrank it to:\n")
    print(program)
    print("\ngradcheck says:\n")
    print(message, flush=True)
    check_the_fix(args.programs, batches=min(10, args.programs), show_progress=True)
    print(f"\nAfter the fix: gradcheck passes on {args.programs} random programs using smooth_abs.")
    OPS.pop("smooth_abs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
