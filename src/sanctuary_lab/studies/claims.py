"""The claims registry and claim checks.

The registry (``studies/data/claims.csv``) lists every quantitative public claim the project
tests: the quote (or a paraphrase, flagged by ``quote_type``), who made it and where, the
quantity, the published value and unit, the claim *kind*, the study and the result term that
test it, and (for null claims) an equivalence margin with its justification in ``notes``.
Nothing in the registry is a verdict: :func:`check` computes every verdict at run time with the
single rule :func:`sanctuary_lab.studies.verdict.judge` (its docstring states the rule; so does
``docs/studies.md``).

``result_term`` is ``"<result label>@<term>"``: the label of a result in the study's
:class:`~sanctuary_lab.studies.model.StudyRun` (e.g. ``crime_per10k:adjusted``) and a term of
that result's tidy table (e.g. ``sanctuary``). ``scale`` converts the published value into the
units of our estimate (default 1). ``margin`` is in the units of our estimate.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from sanctuary_lab.errors import InputError
from sanctuary_lab.studies.model import ClaimCheck, StudyRun
from sanctuary_lab.studies.verdict import CLAIM_KINDS, judge

CLAIM_COLUMNS = (
    "claim_id",
    "quote",
    "quote_type",
    "who",
    "where",
    "source_url",
    "quantity",
    "published_value",
    "unit",
    "scale",
    "kind",
    "direction",
    "margin",
    "study_id",
    "result_term",
    "untestable_reason",
    "notes",
)
_NUMERIC = ("published_value", "scale", "margin")


def registry_path() -> Path:
    """The bundled claims registry."""
    from sanctuary_lab.studies.tables import data_dir

    return data_dir() / "claims.csv"


def load_registry(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate the claims registry.

    Raises
    ------
    InputError
        Naming file, row and field for a missing column, a bad number, an unknown kind, a
        duplicate id, or a claim whose fields do not fit its kind.
    """
    p = Path(path) if path else registry_path()
    if not p.is_file():
        raise InputError(p, "claims registry not found")
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(p, f"cannot parse as CSV: {str(exc).strip()}") from None
    missing = [c for c in CLAIM_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(p, f"missing column(s) {missing}", field=missing[0])
    if df.empty:
        raise InputError(p, "registry has no claims")
    for i, row in enumerate(df.itertuples(index=False), start=1):
        r = row._asdict()
        for col in ("claim_id", "quote", "who", "quantity", "kind", "quote_type"):
            if not r[col].strip():
                raise InputError(p, "value is required", row=i, field=col)
        if r["kind"] not in CLAIM_KINDS:
            raise InputError(
                p, f"kind {r['kind']!r} not one of {list(CLAIM_KINDS)}", row=i, field="kind"
            )
        if r["quote_type"] not in ("quote", "paraphrase"):
            raise InputError(
                p, "quote_type must be 'quote' or 'paraphrase'", row=i, field="quote_type"
            )
        if r["direction"] not in ("", "+", "-"):
            raise InputError(p, "direction must be '+', '-' or blank", row=i, field="direction")
        for col in _NUMERIC:
            if r[col].strip():
                try:
                    float(r[col])
                except ValueError:
                    raise InputError(p, f"{r[col]!r} is not a number", row=i, field=col) from None
        if r["study_id"] and "@" not in r["result_term"]:
            raise InputError(
                p, "result_term must be '<result label>@<term>'", row=i, field="result_term"
            )
        if not r["study_id"] and not r["untestable_reason"].strip():
            raise InputError(
                p,
                "a claim with no study needs an untestable_reason",
                row=i,
                field="untestable_reason",
            )
        if r["kind"] == "effect" and not r["published_value"].strip():
            raise InputError(
                p, "an effect claim needs a published_value", row=i, field="published_value"
            )
        if r["kind"] == "null" and not r["margin"].strip():
            raise InputError(p, "a null claim needs an equivalence margin", row=i, field="margin")
        if r["kind"] == "direction" and not r["direction"]:
            raise InputError(
                p, "a direction claim needs direction '+' or '-'", row=i, field="direction"
            )
    dup = df["claim_id"].duplicated()
    if dup.any():
        row = int(dup.to_numpy().argmax()) + 1
        raise InputError(
            p, f"duplicate claim_id {df['claim_id'].iloc[row - 1]!r}", row=row, field="claim_id"
        )
    return df


def _float(text: str) -> float | None:
    return float(text) if text.strip() else None


def _lookup(
    run: StudyRun, result_term: str
) -> tuple[float | None, float | None, float | None, int | None, str]:
    """Estimate, CI, n_obs for ``label@term``, or Nones and why not."""
    label, _, term = result_term.rpartition("@")
    failed = run.sample.get("failed", {})
    if label not in run.results:
        why = (
            failed.get(label)
            or failed.get("*")
            or failed.get(f"descriptive:{label.split(':', 1)[-1]}")
        )
        return (
            None,
            None,
            None,
            None,
            (f"study {run.study_id} did not estimate {label!r}" + (f": {why}" if why else "")),
        )
    table = run.results[label].tidy()
    row = table.loc[table["term"].astype(str) == term]
    if row.empty:
        return (
            None,
            None,
            None,
            None,
            f"result {label!r} has no term {term!r} (terms: {list(table['term'])})",
        )
    r = row.iloc[0]

    def f(x: object) -> float | None:
        v = pd.to_numeric(x, errors="coerce")
        return None if pd.isna(v) else float(v)

    n = f(r["n_obs"])
    return (
        f(r["estimate"]),
        f(r["ci_low"]),
        f(r["ci_high"]),
        (int(n) if n is not None and math.isfinite(n) else None),
        "",
    )


def check(registry: pd.DataFrame, runs: dict[str, StudyRun]) -> list[ClaimCheck]:
    """Compute every claim's estimate and verdict from study runs (keyed by study id)."""
    out = []
    for row in registry.itertuples(index=False):
        r = row._asdict()
        published = _float(r["published_value"])
        scale = _float(r["scale"]) or 1.0
        margin = _float(r["margin"])
        est = lo = hi = None
        n_obs = None
        if not r["study_id"]:
            verdict, reason = "untestable", r["untestable_reason"]
        elif r["study_id"] not in runs:
            verdict, reason = "untestable", f"study {r['study_id']!r} was not run"
        else:
            est, lo, hi, n_obs, why = _lookup(runs[r["study_id"]], r["result_term"])
            if why:
                verdict = "untestable"
                reason = f"{r['untestable_reason']} ({why})" if r["untestable_reason"] else why
            else:
                j = judge(
                    r["kind"],
                    est,
                    lo,
                    hi,
                    published=None if published is None else published * scale,
                    margin=margin,
                    direction=r["direction"] or None,
                )
                verdict, reason = j.verdict, j.reason
                if verdict == "untestable" and r["untestable_reason"]:
                    reason = f"{r['untestable_reason']} ({reason})"
        out.append(
            ClaimCheck(
                claim_id=r["claim_id"],
                quote=r["quote"],
                who=r["who"],
                quantity=r["quantity"],
                published_value=published,
                unit=r["unit"],
                study_id=r["study_id"] or None,
                estimate=est,
                ci_low=lo,
                ci_high=hi,
                verdict=verdict,  # type: ignore[arg-type]
                reason=reason,
                source_url=r["source_url"],
                n_obs=n_obs,
                kind=r["kind"],
                where=r["where"],
                quote_type=r["quote_type"],
                result_term=r["result_term"],
                margin=margin,
                notes=r["notes"],
            )
        )
    return out
