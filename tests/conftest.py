"""Hypothesis profiles for the test suite: ``dev`` (the default) and ``ci``, chosen by HYPOTHESIS_PROFILE.

    python3 -m pytest                          # dev: 50 examples per property
    HYPOTHESIS_PROFILE=ci python3 -m pytest    # ci: 300 examples per property, derandomized

Neither profile has a deadline: a property's run time depends on the graph drawn and on
the machine, and a slow example is not a failure.  ``ci`` is derandomized so that a run
is reproducible from the commit alone; ``dev`` keeps exploring new examples every run and
remembers failures in .hypothesis/.
"""

import os

from hypothesis import settings

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("ci", max_examples=300, deadline=None, derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
