"""Documented maxima on the work one request may ask for.

A study file or a command-line flag asking for more than these is a
:class:`~sanctuary_lab.core.errors.SpecError` (one line, exit code 2) before any work starts, so a typo
such as ``n_perm = 1e9`` cannot grow memory to tens of gigabytes.

=========================  ==========  =====================================================
limit                      value       applies to
=========================  ==========  =====================================================
MAX_PERMUTATIONS           20,000      ``n_boot`` of ``inference = "ri"``; multiverse ``n_perm``
MAX_BOOTSTRAP_DRAWS        20,000      ``n_boot`` of ``inference = "wild"``; multiverse
                                       ``bootstrap_draws`` and ``perm_bootstrap_draws``
MAX_SPECS                  1,000,000   specifications of one multiverse (product of choices)
MAX_CHUNK_SIZE             65,536      multiverse ``chunk_size`` (specs solved together)
=========================  ==========  =====================================================
"""

from __future__ import annotations

from sanctuary_lab.core.errors import SpecError

MAX_PERMUTATIONS = 20_000
MAX_BOOTSTRAP_DRAWS = 20_000
MAX_SPECS = 1_000_000
MAX_CHUNK_SIZE = 65_536


def check_at_most(value: int, limit: int, what: str) -> int:
    """``value`` if it is at most ``limit``, else a one-line SpecError naming ``what``."""
    if value > limit:
        raise SpecError(f"{what} = {value:,} is above the documented maximum {limit:,}")
    return value
