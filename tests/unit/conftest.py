"""Hypothesis profile of `make mutation`: the same examples for every mutant (derandomised,
no example database), so a mutant's verdict does not depend on the run."""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("mutation", derandomize=True, database=None, deadline=None,
                          print_blob=False)
