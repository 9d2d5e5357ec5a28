"""The verdict rule: one function, applied to every registered claim the same way.

A claim's *kind* (recorded in the claims registry, never inferred from who made it) decides the
test. ``lo``/``hi`` are our 95% confidence interval, ``est`` our point estimate, ``p`` the
published value, ``m`` the claim's margin from the registry (``margin`` column), ``s`` the claimed
sign (``direction`` column, ``+`` or ``-``).

``effect`` -- a signed effect with a published value ``p``
    * ``reproduced``: ``sign(est) == sign(p)`` and ``lo <= p <= hi``;
    * ``direction-only``: same sign, ``p`` outside the CI, and the CI excludes 0;
    * ``contradicted``: opposite sign and the CI excludes 0;
    * ``not-supported``: otherwise (the CI includes 0 and ``p`` lies outside it).
``null`` -- "no effect", tested by equivalence with margin ``m`` (TOST-style: a 95% CI inside the
margin; a margin belongs to the claim and is stated, with its justification, in the registry)
    * two-sided (``direction`` blank): ``reproduced`` if ``-m <= lo`` and ``hi <= m``;
      ``contradicted`` if the whole CI lies beyond the margin (``lo > m`` or ``hi < -m``);
      otherwise ``not-supported`` (too imprecise to rule out a meaningful effect, or an effect
      that straddles the margin);
    * one-sided "not more" (``direction = +``): ``reproduced`` if ``hi <= m``, ``contradicted``
      if ``lo > m``, otherwise ``not-supported``; "not less" (``-``) mirrors it.
``direction`` -- "more crime", "lower income": sign ``s`` without a value
    * ``reproduced``: the CI lies entirely on side ``s`` of 0;
    * ``contradicted``: the CI lies entirely on the other side;
    * ``not-supported``: the CI includes 0.
``descriptive`` -- a fact about a computed series, no sampling CI
    * a threshold (published value *and* sign, e.g. "above half" = 50 and ``+``): ``reproduced``
      if ``est`` lies on side ``s`` of ``p``, else ``contradicted``;
    * with a published value only: ``reproduced`` if ``|est - p| <= m`` (``m`` = the registry's
      tolerance, 0 if blank); ``direction-only`` if ``est`` has the sign of ``p`` but is further
      away; ``contradicted`` otherwise;
    * with a sign ``s`` only (e.g. "rose after 2013" = ``+`` on the after-minus-before change):
      ``reproduced`` if ``sign(est) == s``, ``contradicted`` if opposite, ``not-supported`` if 0.
``untestable``
    when the claim names no study/result, the study or term could not be computed from the
    warehouse, or the estimate/CI is not finite; the reason says which and what data is needed.

Published values and margins are compared on the scale of our estimate: the registry's ``scale``
column converts a published value into our estimate's units (e.g. 1 for the same units).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from sanctuary_lab.errors import SpecError

ClaimKind = Literal["effect", "null", "direction", "descriptive"]
CLAIM_KINDS: tuple[str, ...] = ("effect", "null", "direction", "descriptive")


@dataclass(frozen=True)
class Judgement:
    """A verdict and the one-line reason for it."""

    verdict: str
    reason: str


def _finite(*xs: float | None) -> bool:
    return all(x is not None and math.isfinite(x) for x in xs)


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def judge(
    kind: str,
    estimate: float | None,
    ci_low: float | None,
    ci_high: float | None,
    published: float | None = None,
    margin: float | None = None,
    direction: str | None = None,
) -> Judgement:
    """Apply the verdict rule (see module docstring) to one claim.

    Parameters
    ----------
    kind
        ``"effect"``, ``"null"``, ``"direction"`` or ``"descriptive"``.
    estimate, ci_low, ci_high
        Our estimate and 95% CI (CI ignored for ``descriptive``).
    published
        The published value, on our estimate's scale.
    margin
        Equivalence margin (``null``) or tolerance (``descriptive``).
    direction
        ``"+"`` or ``"-"`` for direction claims and one-sided null claims.

    Raises
    ------
    SpecError
        When the claim's registry fields do not fit its kind (e.g. an effect claim without a
        published value, a null claim without a margin).
    """
    if kind not in CLAIM_KINDS:
        raise SpecError(f"unknown claim kind {kind!r}; choose one of {list(CLAIM_KINDS)}")
    s = {"+": 1, "-": -1, "": 0, None: 0}.get(direction)
    if s is None:
        raise SpecError(f"direction must be '+', '-' or blank, got {direction!r}")
    if not _finite(estimate):
        return Judgement("untestable", "no finite estimate was computed")
    assert estimate is not None
    if kind == "descriptive":
        return _descriptive(estimate, published, margin, s)
    if not _finite(ci_low, ci_high):
        return Judgement("untestable", "the estimate has no finite confidence interval")
    assert ci_low is not None and ci_high is not None
    lo, hi = ci_low, ci_high
    ci = f"95% CI [{_fmt(lo)}, {_fmt(hi)}]"
    if kind == "effect":
        if not _finite(published):
            raise SpecError("an 'effect' claim needs a published_value")
        assert published is not None
        same = _sign(estimate) == _sign(published)
        inside = lo <= published <= hi
        excludes0 = lo > 0 or hi < 0
        if same and inside:
            note = "" if excludes0 else " (the CI also includes 0)"
            return Judgement(
                "reproduced", f"same sign and published {_fmt(published)} inside {ci}{note}"
            )
        if same and excludes0:
            return Judgement(
                "direction-only", f"same sign, {ci} excludes 0 but not published {_fmt(published)}"
            )
        if not same and excludes0:
            return Judgement(
                "contradicted", f"opposite sign to published {_fmt(published)}; {ci} excludes 0"
            )
        return Judgement(
            "not-supported", f"{ci} includes 0 and excludes published {_fmt(published)}"
        )
    if kind == "null":
        if not _finite(margin) or (margin is not None and margin <= 0):
            raise SpecError("a 'null' claim needs a positive equivalence margin")
        assert margin is not None
        band = (
            f"margin ±{_fmt(margin)}" if s == 0 else f"margin {'+' if s > 0 else '-'}{_fmt(margin)}"
        )
        if s == 0:
            if -margin <= lo and hi <= margin:
                return Judgement("reproduced", f"{ci} lies inside the equivalence {band}")
            if lo > margin or hi < -margin:
                return Judgement("contradicted", f"{ci} lies wholly beyond the equivalence {band}")
            return Judgement("not-supported", f"{ci} is not inside the equivalence {band}")
        # one-sided: "not more" (s=+1) or "not less" (s=-1); flip so the claim is "not more".
        flo, fhi = (lo, hi) if s > 0 else (-hi, -lo)
        word = "above" if s > 0 else "below"
        if fhi <= margin:
            return Judgement("reproduced", f"{ci} rules out an effect {word} {band}")
        if flo > margin:
            return Judgement("contradicted", f"{ci} lies wholly {word} {band}")
        return Judgement("not-supported", f"{ci} cannot rule out an effect {word} {band}")
    # direction
    if s == 0:
        raise SpecError("a 'direction' claim needs direction '+' or '-'")
    if lo > 0 or hi < 0:
        side = 1 if lo > 0 else -1
        word = "above" if side > 0 else "below"
        if side == s:
            return Judgement("reproduced", f"{ci} lies wholly {word} 0, as claimed")
        return Judgement("contradicted", f"{ci} lies wholly {word} 0, against the claim")
    return Judgement("not-supported", f"{ci} includes 0")


def _descriptive(est: float, published: float | None, margin: float | None, s: int) -> Judgement:
    if _finite(published) and s != 0:
        assert published is not None
        word = "above" if s > 0 else "below"
        if _sign(est - published) == s:
            return Judgement(
                "reproduced", f"computed {_fmt(est)} is {word} {_fmt(published)}, as claimed"
            )
        return Judgement("contradicted", f"computed {_fmt(est)} is not {word} {_fmt(published)}")
    if _finite(published):
        assert published is not None
        tol = margin if _finite(margin) else 0.0
        assert tol is not None
        gap = abs(est - published)
        if gap <= tol:
            return Judgement(
                "reproduced",
                f"computed {_fmt(est)} within ±{_fmt(tol)} of published {_fmt(published)}",
            )
        if _sign(est) == _sign(published):
            return Judgement(
                "direction-only",
                f"computed {_fmt(est)} has the sign of published {_fmt(published)} but differs by {_fmt(gap)}",
            )
        return Judgement("contradicted", f"computed {_fmt(est)} vs published {_fmt(published)}")
    if s == 0:
        raise SpecError("a 'descriptive' claim needs a published_value or a direction")
    if _sign(est) == 0:
        return Judgement("not-supported", "computed change is exactly 0")
    if _sign(est) == s:
        return Judgement("reproduced", f"computed {_fmt(est)} has the claimed sign")
    return Judgement("contradicted", f"computed {_fmt(est)} has the opposite sign")
