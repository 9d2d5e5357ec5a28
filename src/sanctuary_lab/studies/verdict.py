"""The verdict rule: one function, applied to every registered claim the same way.

:data:`RULE_TEXT` states the rule in words (``docs/studies.md`` and the report's methods page
render it); :func:`judge` applies it. A claim's *kind* and stated direction/size (recorded in the
registry, never inferred from who made it or which side it favours) decide the test. The rule is
symmetric: negating a claim and the data gives the mirrored verdict.

Notation: ``[lo, hi]`` is our 95% confidence interval, ``p`` the published value (on our
estimate's scale), ``m`` the margin of the claim's outcome family (``studies/data/margins.csv``),
``s`` the claimed sign.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from sanctuary_lab.core.errors import InputError, SpecError
from sanctuary_lab.core.formatting import fmt_change, fmt_level, fmt_number

VerdictLabel = Literal[
    "supported", "contradicted", "inconclusive", "different size", "not testable here"
]
VERDICTS: tuple[str, ...] = (
    "supported",
    "contradicted",
    "inconclusive",
    "different size",
    "not testable here",
)
ClaimKind = Literal["effect", "null", "direction", "descriptive", "consistency"]
CLAIM_KINDS: tuple[str, ...] = ("effect", "null", "direction", "descriptive", "consistency")

RULE_TEXT = """\
Every claim gets one of five verdicts, by one rule that never looks at who made the claim or \
which side it favours. "Our interval" is the 95% confidence interval of the estimate that tests \
the claim; "the margin" is the smallest effect counted as meaningful for that kind of outcome, \
declared once per outcome family (studies/data/margins.csv) with its justification.

- Supported: the data agree with the claim as stated. A claimed size (e.g. "35.5 fewer crimes \
per 10,000") lies inside our interval and the interval excludes zero; a claimed direction \
("lower crime") has our whole interval on that side of zero; a claim of no effect has our whole \
interval inside the margin.
- Contradicted: the data rule the claim out. Our interval lies wholly on the other side of zero; \
or it rules out the claimed size and any meaningful effect (beyond the margin) in the claimed \
direction; or, for a claim of no effect, it lies wholly beyond the margin.
- Different size: same direction as claimed and clearly not zero, but the claimed size lies \
outside our interval.
- Inconclusive: the data cannot tell the claim from a meaningful departure from it (the \
interval is too wide), or a diagnostic undermines the estimate (failed or untestable pre-trends, \
no clean comparison group, too few clusters), or heterogeneity-robust and two-way fixed-effects \
estimates disagree ("designs disagree").
- Not testable here: no data the project holds can test the claim, or only a proxy can (the proxy \
estimate is then shown as exploratory, never as a test); the verdict says what data would test it.

Descriptive facts (no sampling interval) are supported when the computed value is on the stated \
side of a stated threshold, or within the family's tolerance of a stated value; a statement whose \
own numbers disagree (an internal-consistency check) is contradicted by its own figures. Each \
verdict is re-judged under the study's declared sensitivity runs and at half and double the \
margin; "holds in k of n" and the variants that flip it are shown beside it. For staggered \
adoption a heterogeneity-robust estimator (Callaway-Sant'Anna, Sun-Abraham or did2s) decides, \
never two-way fixed effects alone.
"""


@dataclass(frozen=True)
class Judgement:
    """A verdict and the plain-language reason for it (natural units, no ids)."""

    verdict: str
    reason: str


@dataclass(frozen=True)
class Margin:
    """One outcome family's margin from ``margins.csv``."""

    family: str
    margin: float
    unit: str
    justification: str


def margins_path() -> Path:
    """The bundled margins table."""
    from sanctuary_lab.studies.data_files import data_dir

    return data_dir() / "margins.csv"


@cache
def _load_margins(path: str) -> dict[str, Margin]:
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise InputError(p, "margins table not found")
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(p, f"cannot parse as CSV: {str(exc).strip()}") from None
    for col in ("family", "margin", "unit", "justification"):
        if col not in df.columns:
            raise InputError(p, f"missing column {col!r}", field=col)
    out: dict[str, Margin] = {}
    for i, r in enumerate(df.itertuples(index=False), start=1):
        try:
            m = float(r.margin)
        except ValueError:
            raise InputError(p, f"{r.margin!r} is not a number", row=i, field="margin") from None
        if not (math.isfinite(m) and m > 0):
            raise InputError(p, "margin must be positive", row=i, field="margin")
        if not r.justification.strip():
            raise InputError(p, "every margin needs a justification", row=i, field="justification")
        if r.family in out:
            raise InputError(p, f"duplicate family {r.family!r}", row=i, field="family")
        out[r.family] = Margin(r.family, m, r.unit, r.justification)
    return out


def load_margins(path: str | Path | None = None) -> dict[str, Margin]:
    """Family -> :class:`Margin` from ``margins.csv`` (validated; file/row/field errors)."""
    return dict(_load_margins(str(path or margins_path())))


def _finite(*xs: float | None) -> bool:
    return all(x is not None and math.isfinite(x) for x in xs)


def _sign(x: float) -> int:
    return int(x > 0) - int(x < 0)


def _as_float(x: float | None) -> float | None:
    return None if x is None else float(x)


def judge(
    kind: str,
    estimate: float | None,
    ci_low: float | None,
    ci_high: float | None,
    published: float | None = None,
    margin: float | None = None,
    direction: str | None = None,
    unit: str = "",
) -> Judgement:
    """Apply the verdict rule (:data:`RULE_TEXT`) to one claim.

    Parameters
    ----------
    kind
        ``"effect"`` (a signed size), ``"null"`` (no effect; one-sided with ``direction``),
        ``"direction"`` (a sign, no size), ``"descriptive"`` (a computed fact, no CI) or
        ``"consistency"`` (a value implied by the statement's own numbers).
    estimate, ci_low, ci_high
        Our estimate and 95% CI (CI ignored for ``descriptive``/``consistency``).
    published
        The published value, on our estimate's scale.
    margin
        The family margin (``null``, ``direction``, ``effect``) or tolerance
        (``descriptive``, ``consistency``). Optional for ``effect`` (without one, a CI that
        includes 0 and excludes the claimed size is inconclusive).
    direction
        ``"+"`` or ``"-"``: the claimed sign (``direction``), the side of a one-sided null
        ("not more" = ``+``) or of a descriptive threshold.
    unit
        Unit of the estimate, used only to word the reason.

    Raises
    ------
    SpecError
        When the claim's fields do not fit its kind.
    """
    if kind not in CLAIM_KINDS:
        raise SpecError(f"unknown claim kind {kind!r}; choose one of {list(CLAIM_KINDS)}")
    estimate, ci_low, ci_high = _as_float(estimate), _as_float(ci_low), _as_float(ci_high)
    published, margin = _as_float(published), _as_float(margin)
    s = {"+": 1, "-": -1, "": 0, None: 0}.get(direction)
    if s is None:
        raise SpecError(f"direction must be '+', '-' or blank, got {direction!r}")
    if margin is not None and not (math.isfinite(margin) and margin >= 0):
        raise SpecError(f"margin must be a non-negative number, got {margin!r}")
    if not _finite(estimate):
        return Judgement("not testable here", "no finite estimate could be computed")
    assert estimate is not None
    if kind in ("descriptive", "consistency"):
        return _descriptive(kind, estimate, published, margin, s, unit)
    if not _finite(ci_low, ci_high):
        return Judgement("not testable here", "the estimate has no finite confidence interval")
    assert ci_low is not None and ci_high is not None
    lo, hi = sorted((ci_low, ci_high))
    if kind == "effect":
        return _effect(lo, hi, published, margin, unit)
    if kind == "null":
        return _null(lo, hi, margin, s, unit)
    return _direction(lo, hi, margin, s, unit)


def _effect(
    lo: float, hi: float, published: float | None, margin: float | None, unit: str
) -> Judgement:
    if not _finite(published) or published == 0:
        raise SpecError("an 'effect' claim needs a non-zero published_value (use 'null' for 0)")
    assert published is not None
    sp = _sign(published)
    claimed = fmt_change(published, unit)
    excludes0 = lo > 0 or hi < 0
    if excludes0 and _sign(lo) != sp:
        return Judgement(
            "contradicted",
            f"the whole interval is on the other side of zero from the claimed {claimed}",
        )
    if lo <= published <= hi:
        if excludes0:
            return Judgement(
                "supported", f"the interval includes the claimed {claimed} and excludes zero"
            )
        return Judgement(
            "inconclusive", f"the interval includes both the claimed {claimed} and no difference"
        )
    if excludes0:
        return Judgement(
            "different size",
            f"the direction matches, but the claimed {claimed} lies outside the interval",
        )
    # the interval includes 0 and lies short of the claimed size
    if margin is not None and margin > 0 and (hi < margin if sp > 0 else lo > -margin):
        return Judgement(
            "contradicted",
            f"the interval rules out the claimed {claimed} and any effect in that direction larger "
            f"than {fmt_level(margin, unit)}",
        )
    return Judgement(
        "inconclusive",
        f"the interval rules out the claimed {claimed} but not zero or a smaller effect "
        "in the claimed direction",
    )


def _null(lo: float, hi: float, margin: float | None, s: int, unit: str) -> Judgement:
    if not _finite(margin) or not margin:
        raise SpecError("a 'null' claim needs a positive margin (its family in margins.csv)")
    assert margin is not None
    band = fmt_level(margin, unit)
    if s == 0:
        if -margin <= lo and hi <= margin:
            return Judgement(
                "supported", f"the whole interval lies within {band} of zero, the smallest effect "
                "counted as meaningful"
            )  # fmt: skip
        if lo > margin or hi < -margin:
            return Judgement(
                "contradicted", f"the whole interval lies beyond {band}, a meaningful effect"
            )
        return Judgement(
            "inconclusive",
            f"the interval reaches beyond {band}, so a meaningful effect is not ruled out",
        )
    # one-sided: "not more" (s=+1) or "not less" (s=-1); flip so the claim reads "not more".
    flo, fhi = (lo, hi) if s > 0 else (-hi, -lo)
    word = "an increase" if s > 0 else "a decrease"
    if fhi <= margin:
        return Judgement(
            "supported", f"the interval rules out {word} larger than {band}, as claimed"
        )
    if flo > margin:
        return Judgement(
            "contradicted",
            f"the whole interval shows {word} larger than {band}, against the claim",
        )
    return Judgement("inconclusive", f"the interval cannot rule out {word} larger than {band}")


def _direction(lo: float, hi: float, margin: float | None, s: int, unit: str) -> Judgement:
    if s == 0:
        raise SpecError("a 'direction' claim needs direction '+' or '-'")
    m = margin if _finite(margin) else 0.0
    assert m is not None
    flo, fhi = (lo, hi) if s > 0 else (-hi, -lo)  # read as a claim of "higher"
    word = "higher" if s > 0 else "lower"
    if flo > 0:
        return Judgement("supported", f"the whole interval is {word}, as claimed")
    if fhi < m:
        what = f"anything more than {fmt_level(m, unit)} {word}" if m > 0 else f"any {word} value"
        return Judgement("contradicted", f"the interval rules out {what}, against the claim")
    return Judgement(
        "inconclusive", f"the interval includes zero and {word} values, so the direction is unclear"
    )


def _gap(tol: float, unit: str) -> str:
    """A distance between two values: between two percents it is in percentage points."""
    if unit in ("percent", "%"):
        return f"{fmt_number(tol)} percentage points"
    return fmt_level(tol, unit)


def _descriptive(
    kind: str, est: float, published: float | None, margin: float | None, s: int, unit: str
) -> Judgement:
    shown = fmt_level(est, unit)
    if kind == "consistency":
        if not _finite(published):
            raise SpecError("a 'consistency' check needs the stated value as published_value")
        assert published is not None
        tol = margin if _finite(margin) else 0.0
        assert tol is not None
        if abs(est - published) <= tol:
            return Judgement(
                "supported", f"the statement's own figures imply {shown}, matching the stated "
                f"{fmt_level(published, unit)}"
            )  # fmt: skip
        return Judgement(
            "contradicted",
            f"the statement's own figures imply {shown}, not the stated {fmt_level(published, unit)}",
        )
    if _finite(published) and s != 0:
        assert published is not None
        word = "above" if s > 0 else "below"
        if _sign(est - published) == s:
            return Judgement(
                "supported", f"the computed {shown} is {word} {fmt_level(published, unit)}"
            )
        return Judgement(
            "contradicted", f"the computed {shown} is not {word} {fmt_level(published, unit)}"
        )
    if _finite(published):
        assert published is not None
        tol = margin if _finite(margin) else 0.0
        assert tol is not None
        if abs(est - published) <= tol:
            return Judgement(
                "supported", f"the computed {shown} is within {_gap(tol, unit)} of the stated "
                f"{fmt_level(published, unit)}"
            )  # fmt: skip
        if _sign(est) == _sign(published):
            return Judgement(
                "different size",
                f"the computed {shown} differs from the stated {fmt_level(published, unit)} by more "
                f"than {_gap(tol, unit)}",
            )
        return Judgement(
            "contradicted", f"the computed {shown} has the opposite sign to the stated value"
        )
    if s == 0:
        raise SpecError("a 'descriptive' claim needs a published_value or a direction")
    if _sign(est) == 0:
        return Judgement("inconclusive", "the computed change is exactly zero")
    if _sign(est) == s:
        return Judgement("supported", f"the computed change ({shown}) has the stated sign")
    return Judgement("contradicted", f"the computed change ({shown}) has the opposite sign")
