"""Data contracts shared by the studies runner, the claim checker, the report and the multiverse.

These are plain dataclasses; the studies package fills them, the report only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sanctuary_lab.core.result import Result

Verdict = Literal[
    "supported", "contradicted", "inconclusive", "different size", "not testable here"
]


@dataclass
class StudyRun:
    """The outcome of running one study file on one warehouse.

    Attributes
    ----------
    study_id
        File stem of the study TOML (e.g. ``"wong2017_cross_section"``).
    title, citation
        From the study file.
    design
        Design name(s) used.
    results
        Label -> Result, one per estimated specification (e.g. ``"violent_per10k:adjusted"``).
    sample
        Sample description: n_obs, units, years, data vintage, differences from the published sample.
    published
        The published numbers the study reproduces (citation, table/figure, value, unit).
    caveats
        Caveats recorded in the study file plus any computed at run time.
    descriptive
        Named descriptive tables (pandas DataFrames) for studies that are descriptive series.
    """

    study_id: str
    title: str
    citation: str
    design: str
    results: dict[str, Result] = field(default_factory=dict)
    sample: dict[str, Any] = field(default_factory=dict)
    published: list[dict[str, Any]] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    descriptive: dict[str, Any] = field(default_factory=dict)
    comparison: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: results as :meth:`Result.to_dict`, descriptive tables as records."""
        import json

        import pandas as pd

        from sanctuary_lab.core.jsonio import clean_json, frame_records, json_default

        desc = {
            k: frame_records(v) if isinstance(v, pd.DataFrame) else v
            for k, v in self.descriptive.items()
        }
        body = {
            "study_id": self.study_id,
            "title": self.title,
            "citation": self.citation,
            "design": self.design,
            "results": {k: r.to_dict() for k, r in self.results.items()},
            "sample": self.sample,
            "published": self.published,
            "caveats": self.caveats,
            "descriptive": desc,
            "comparison": self.comparison,
        }
        return clean_json(json.loads(json.dumps(body, default=json_default)))


@dataclass
class ClaimCheck:
    """A registered public claim and its computed verdict.

    Everything except the quote, its source and the declared metadata is computed at check time.

    Attributes
    ----------
    verdict
        ``supported``, ``contradicted``, ``inconclusive``, ``different size`` or
        ``not testable here`` (rule: :data:`sanctuary_lab.studies.verdict.RULE_TEXT`).
    rule_verdict
        What the rule gives on the estimate before diagnostics and comparability gate it.
    qualifier
        Why a verdict was gated or qualified (e.g. ``"designs disagree"``); empty if none.
    sentence
        One plain sentence: the number in natural units, its CI, what it means for the claim.
    comparability
        ``{"grade", "rows": [{"aspect","theirs","ours","same"}], "differences"}``.
    diagnostics
        ``[{"name", "status", "detail"}]``, status in pass/fail/not computable/warning.
    robustness
        ``{"holds", "total", "variants": [{"label","verdict","estimate","ci_low","ci_high"}],
        "flips", "margin_dependent"}``.
    exploratory
        True when the estimate is shown but cannot test the claim (a proxy).
    decided_by
        ``<result label>@<term>`` whose estimate decided the verdict (a robust estimator may
        replace the registry's TWFE result).
    """

    claim_id: str
    quote: str
    who: str
    quantity: str
    published_value: float | None
    unit: str
    study_id: str | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    verdict: Verdict
    reason: str
    source_url: str = ""
    n_obs: int | None = None
    kind: str = ""
    where: str = ""
    quote_type: str = ""
    result_term: str = ""
    margin: float | None = None
    notes: str = ""
    statement_no: str = ""
    article: str = ""
    published_date: str = ""
    direction: str = ""
    margin_family: str = ""
    margin_justification: str = ""
    qualifier: str = ""
    rule_verdict: str = ""
    sentence: str = ""
    comparability: dict[str, Any] = field(default_factory=dict)
    diagnostics: list[dict[str, str]] = field(default_factory=list)
    robustness: dict[str, Any] = field(default_factory=dict)
    exploratory: bool = False
    decided_by: str = ""
    design: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN -> None)."""
        from dataclasses import asdict

        from sanctuary_lab.core.jsonio import clean_json

        return clean_json(asdict(self))
