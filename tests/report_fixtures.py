"""Synthetic study runs, claim checks and warehouse tables for the report tests.

Numbers are made up and deterministic; they exercise every part of the site (event study with a
reference period, balance table, several specifications, a specification curve, a descriptive
series, each verdict) without needing the studies package or a warehouse.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sanctuary_lab.core.result import Result
from sanctuary_lab.report import maps
from sanctuary_lab.report.site import MapLayer, ReportData
from sanctuary_lab.report.sources import read_sources
from sanctuary_lab.studies.records import ClaimCheck, StudyRun


def _tidy(terms: list[str], est: list[float], se: list[float], n: int) -> pd.DataFrame:
    e, s = np.array(est), np.array(se)
    return pd.DataFrame(
        {
            "term": terms,
            "estimate": e,
            "std_error": s,
            "ci_low": e - 1.96 * s,
            "ci_high": e + 1.96 * s,
            "p_value": [0.03, 0.4, 0.9][: len(terms)],
            "n_obs": n,
            "n_clusters": 50,
        }
    )


def event_study_frame() -> pd.DataFrame:
    rel = list(range(-4, 5))
    est = [0.3, -0.2, 0.1, 0.0, -0.5, -0.8, -0.4, -0.6, -0.3]
    df = pd.DataFrame({"rel_time": rel, "estimate": est, "std_error": 0.25})
    df["ci_low"] = df["estimate"] - 0.49
    df["ci_high"] = df["estimate"] + 0.49
    df["reference"] = df["rel_time"] == -1
    df.loc[df["reference"], ["std_error", "ci_low", "ci_high"]] = 0.0
    return df


def multiverse_frame(n: int = 24) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    df = pd.DataFrame(
        {
            "outcome": rng.choice(
                ["violent_per10k", "property_per10k", "log(violent_rate_100k)"], n
            ),
            "controls": rng.choice(["none", "demographic", "full"], n),
            "weights": rng.choice(["unweighted", "population"], n),
            "estimate": rng.normal(0, 1, n),
        }
    )
    df["ci_low"] = df["estimate"] - 0.9
    df["ci_high"] = df["estimate"] + 0.9
    df["p_value"] = 0.2
    df["skipped"] = ""
    df["skip_kind"] = ""
    df.loc[n - 1, ["estimate", "ci_low", "ci_high", "p_value"]] = float("nan")
    df.loc[n - 1, ["skipped", "skip_kind"]] = ["collinear treatment", "failed"]
    df.loc[n - 2, ["estimate", "ci_low", "ci_high", "p_value"]] = float("nan")
    df.loc[n - 2, ["skipped", "skip_kind"]] = ["no pooled wild", "excluded by design"]
    log = df["outcome"].str.startswith("log")
    df.loc[log, ["estimate", "ci_low", "ci_high"]] = (
        df.loc[log, ["estimate", "ci_low", "ci_high"]] / 10
    )
    return df


def study_runs() -> list[StudyRun]:
    """Three studies: a matching cross-section, a staggered DiD, and a descriptive series."""
    balance = pd.DataFrame(
        {
            "covariate": ["pct_foreign_born", "median_income", "pct_poverty"],
            "mean_treated": [14.2, 61000.0, 12.5],
            "mean_control": [7.9, 52000.0, 15.1],
            "std_diff_before": [0.61, 0.44, -0.30],
            "std_diff_after": [0.04, 0.02, -0.05],
        }
    )
    cross = StudyRun(
        study_id="synthetic_cross_section",
        title="Synthetic cross-section <b>with</b> matching",
        citation="Doe, J. (2017). A synthetic paper. Journal of Tests.",
        design="matching",
        results={
            "violent_per10k:adjusted": Result(
                "ols",
                _tidy(["sanctuary", "pct_foreign_born"], [-3.1, 0.2], [1.2, 0.1], 2492),
                {"outcome": "violent_per10k", "treatment": "sanctuary", "inference": "HC1"},
                {"balance": balance},
            ),
            "violent_per10k:matched": Result(
                "matching",
                _tidy(["sanctuary"], [-1.4], [0.9], 1210),
                {
                    "outcome": "violent_per10k",
                    "treatment": "sanctuary",
                    "warnings": ["3 units dropped"],
                },
                {"balance": balance},
            ),
        },
        sample={"n_obs": 2492, "units": "counties", "years": "2015", "data_vintage": "UCR 2015"},
        published=[
            {
                "table": "Table 1",
                "result": "violent_per10k:adjusted",
                "term": "sanctuary",
                "value": -3.3,
                "unit": "per 10k",
            }
        ],
        caveats=["Synthetic caveat: the sample differs from the published one."],
    )
    did = StudyRun(
        study_id="synthetic_did",
        title="Synthetic staggered DiD",
        citation="Roe, R. (2020). Another synthetic paper.",
        design="callaway_santanna",
        results={
            "overall": Result(
                "callaway_santanna",
                _tidy(["ATT"], [-0.45], [0.3], 18000),
                {
                    "outcome": "violent_per10k",
                    "inference": "multiplier bootstrap",
                    "window": [-4, 4],
                    "endpoints": "bin",
                },
                {"event_study": event_study_frame()},
            )
        },
        sample={"n_obs": 18000, "years": "2005-2017"},
        caveats=[],
    )
    series = pd.DataFrame(
        {
            "year": list(range(2008, 2016)),
            "detainers": [10, 20, 35, 50, 60, 55, 40, 30],
            "share_pct": [0.1, 0.2, 0.2, 0.5, 1.5, 4.0, 9.0, 5.0],
        }
    )
    desc = StudyRun(
        study_id="synthetic_series",
        title="Synthetic descriptive series",
        citation="Agency report",
        design="descriptive",
        descriptive={"detainers_by_year": series},
        caveats=["Fiscal years."],
    )
    return [cross, did, desc]


def _with(check: ClaimCheck, **fields: object) -> ClaimCheck:
    """Set the fields the verdict rule adds (``qualifier``, ``sentence``, ``comparability``,
    ``diagnostics``, ``robustness``, ...) whether or not ClaimCheck declares them yet."""
    for k, v in fields.items():
        setattr(check, k, v)
    return check


def _comparability(grade: str) -> dict:
    return {
        "grade": grade,
        "rows": [
            {"aspect": "unit", "theirs": "county", "ours": "county", "same": True},
            {"aspect": "years", "theirs": [2014, 2015], "ours": [2012, 2012], "same": False},
            {
                "aspect": "treatment",
                "theirs": "ICE list of counties declining detainers",
                "ours": "declined-detainer share above 0 (NPR FOIA outcomes)",
                "same": False,
            },
        ],
    }


def claim_checks() -> list[ClaimCheck]:
    """One claim per verdict of the new vocabulary (with the verdict rule's new fields), one in
    the old vocabulary without them (renders before and after the verdict rule's change)."""
    base = {"who": "A. Speaker", "unit": "per 10k", "source_url": "https://example.org/claim"}
    diagnostics = [
        {"name": "pre_trends", "status": "pass", "detail": "joint p = 0.41"},
        {"name": "designs agree", "status": "warning", "detail": "matching is smaller"},
    ]
    robustness = {
        "holds": 3,
        "total": 4,
        "variants": [
            {"label": "threshold 0.01", "verdict": "supported", "estimate": -2.9,
             "ci_low": -5.1, "ci_high": -0.7},
            {"label": "threshold 0.05", "verdict": "inconclusive", "estimate": -1.2,
             "ci_low": -3.9, "ci_high": 1.5},
            {"label": "at least 50 detainers", "verdict": "supported", "estimate": -3.4,
             "ci_low": -6.0, "ci_high": -0.8},
        ],
        "flips": ["threshold 0.05"],
    }  # fmt: skip
    return [
        _with(
            ClaimCheck(
                "c_supported",
                "Crime is lower.",
                quantity="difference in violent crime",
                published_value=-3.3,
                study_id="synthetic_cross_section",
                estimate=-3.1,
                ci_low=-5.45,
                ci_high=-0.75,
                verdict="supported",  # type: ignore[arg-type]
                reason="inside CI",
                n_obs=2492,
                **base,
            ),
            sentence="Counties classed sanctuary had 3.1 fewer violent crimes per 10,000 "
            "residents (95% CI 0.75 to 5.45 fewer), close to the claimed 3.3.",
            comparability=_comparability("same question on other data"),
            diagnostics=diagnostics,
            robustness=robustness,
            article="Article A",
            published_date="2017-01-26",
            statement_no="5",
        ),
        _with(
            ClaimCheck(
                "c_different_size",
                "Crime falls a lot.",
                quantity="ATT",
                published_value=-2.0,
                study_id="synthetic_did",
                estimate=-0.45,
                ci_low=-1.04,
                ci_high=-0.1,
                verdict="different size",  # type: ignore[arg-type]
                reason="same sign, published value outside CI",
                quote_type="paraphrase",
                **base,
            ),
            qualifier="designs disagree",
            sentence="Violent crime fell by 0.45 per 10,000 after adoption, far less than the "
            "claimed 2.",
            comparability=_comparability("same design and data"),
            diagnostics=[{"name": "pre-trends", "status": "fail", "detail": "p = 0.01"}],
            robustness={"holds": 1, "total": 1, "variants": [], "flips": []},
        ),
        _with(
            ClaimCheck(
                "c_inconclusive",
                "Crime rises.",
                quantity="ATT",
                published_value=1.0,
                study_id="synthetic_did",
                estimate=-0.45,
                ci_low=-1.04,
                ci_high=0.14,
                verdict="inconclusive",  # type: ignore[arg-type]
                reason="CI includes 0",
                **{**base, "who": "B. Official"},
            ),
            sentence="The estimate cannot tell: from 1.04 fewer to 0.14 more per 10,000.",
            comparability=_comparability("proxy"),
            diagnostics=[{"name": "clusters", "status": "not computable", "detail": ""}],
            exploratory=True,
        ),
        _with(
            ClaimCheck(
                "c_contradicted",
                "Crime is higher.",
                quantity="difference",
                published_value=2.0,
                study_id="synthetic_cross_section",
                estimate=-3.1,
                ci_low=-5.45,
                ci_high=-0.75,
                verdict="contradicted",
                reason="opposite sign, CI excludes 0",
                **{**base, "who": "B. Official"},
            ),
            sentence="Sanctuary counties had 3.1 fewer violent crimes per 10,000, not more.",
            comparability=_comparability("same question on other data"),
        ),
        _with(
            ClaimCheck(
                "c_not_testable",
                "Nobody knows.",
                quantity="share of offenders",
                published_value=None,
                study_id=None,
                estimate=None,
                ci_low=None,
                ci_high=None,
                verdict="not testable here",  # type: ignore[arg-type]
                reason="no data on offenders",
                **base,
            ),
            sentence="Not testable here: needs records of offenders' immigration status.",
            comparability={"grade": "", "rows": []},
        ),
        ClaimCheck(
            "c_legacy",
            "Detainers declined rose.",
            quantity="Tested as: change in the share of detainers declined (log points)",
            published_value=None,
            study_id="synthetic_series",
            estimate=0.02,
            ci_low=None,
            ci_high=None,
            verdict="direction-only",
            reason="same sign",
            who="C. Writer",
            unit="log points",
            source_url="",
            margin=0.1,
            notes="Margin of 0.1 log points, about a 10% change.",
        ),
    ]


def explorer_data() -> dict:
    """Synthetic explorer places: Maricopa County, AZ and a city, with series and facts."""
    return {
        "meta": {
            "series": {
                "violent_rate": {"title": "Violent crime rate", "unit": "per 100,000 residents"},
                "any_287g": {"title": "287(g) agreement in force", "unit": "1 = yes"},
            },
            "n_counties": 2,
            "n_cities": 1,
        },
        "places": [
            {
                "id": "04013",
                "kind": "county",
                "label": "Maricopa County, AZ",
                "state": "AZ",
                "series": {
                    "violent_rate": {
                        "source": "synthetic",
                        "points": [[2012, 410.0], [2015, 380.5], [2017, 402.1]],
                    },
                    "any_287g": {
                        "source": "synthetic",
                        "points": [[2008, 1], [2009, 1], [2010, 0]],
                    },
                },
                "facts": {"Detainers declined": "0 of 1,000"},
            },
            {
                "id": "06037",
                "kind": "county",
                "label": "Los Angeles County, CA",
                "state": "CA",
                "series": {"violent_rate": {"source": "synthetic", "points": [[2012, 500.0]]}},
                "facts": {},
            },
            {
                "id": "city:AZ00723",
                "kind": "city",
                "label": "Phoenix (city police), AZ",
                "state": "AZ",
                "series": {
                    "violent_rate": {
                        "source": "synthetic",
                        "points": [[2014, 600.0], [2015, 640.0]],
                    }
                },
                "facts": {},
            },
        ],
    }


def report_data(raw_dir: Path) -> ReportData:
    """A full synthetic :class:`ReportData`, with maps drawn on the real county topology."""
    topo = maps.load_topology(raw_dir)
    ids = [g["id"] for g in topo["objects"]["counties"]["geometries"]]
    rng = np.random.default_rng(3)
    crime = pd.DataFrame({"fips": ids[::3], "rate": rng.uniform(5, 60, len(ids[::3]))})
    crime["flagged"] = np.arange(len(crime)) % 7 == 0
    crime["rate_class"], class_labels = maps.quantile_classes(
        crime["rate"].where(~crime["flagged"])
    )
    crime["value"] = crime["rate"]
    names = pd.DataFrame({"fips": ids, "county": [f"County {i}" for i in ids], "state": "ZZ"})
    cover = pd.DataFrame(
        {"fips": ids, "status": np.where(np.arange(len(ids)) % 5, "reported", "missing")}
    )
    map_layers = [
        MapLayer(
            "crime",
            "Violent crime rate",
            "Synthetic rates.",
            maps.choropleth(
                crime,
                field="rate_class",
                title="Violent crimes per 10,000 residents (quantile classes)",
                legend_title="Violent crimes per 10,000 residents",
                kind="ordinal",
                domain=class_labels,
                colors=maps.YLORRD7[: len(class_labels)],
                names=names,
                value_title="Rate per 10,000",
                flagged_label="flagged by the source, not classed",
            ),
        ),
        MapLayer(
            "coverage",
            "Coverage",
            "Synthetic coverage.",
            maps.choropleth(
                cover,
                field="status",
                title="Coverage",
                legend_title="Reporting status",
                kind="nominal",
                domain=["reported", "missing"],
                colors=["#1f5f8b", "#e6550d"],
            ),
        ),
    ]
    return ReportData(
        runs=study_runs(),
        checks=claim_checks(),
        topology=topo,
        maps=map_layers,
        provenance=pd.DataFrame(
            {
                "source": ["ucr"],
                "file": ["a.csv"],
                "sha256": ["ab" * 32],
                "rows_read": [10],
                "rows_kept": [9],
                "rows_rejected": [1],
                "built_at": ["2026-01-01T00:00:00"],
            }
        ),
        rejected=pd.DataFrame(
            {"source": ["ucr"], "file": ["a.csv"], "reason": ["bad fips"], "rows": [1]}
        ),
        tables=pd.DataFrame(
            {"table": ["county_crime"], "rows": [9], "year_min": [2012], "year_max": [2017]}
        ),
        table_years=pd.DataFrame(
            {"table": ["county_crime"] * 3, "year": [2012, 2015, 2017], "rows": [3, 3, 3]}
        ),
        coverage_checks=pd.DataFrame(
            {
                "check": ["crime with covariates"],
                "numerator": [9],
                "denominator": [10],
                "share": [0.9],
            }
        ),
        caveats=pd.DataFrame({"source": ["ucr"], "caveat": ["Synthetic caveat."]}),
        build={"built_at": "2026-01-01T00:00:00", "raw_dir": str(raw_dir), "version": "0.1.0"},
        multiverse={"synthetic_cross_section": multiverse_frame()},
        multiverse_summary={
            "synthetic_cross_section": {"n_specs": 24, "n_skipped": 1, "median_estimate": 0.1234}
        },
        warehouse_name="synthetic.duckdb",
        sources=read_sources(raw_dir),
        explorer=explorer_data(),
        n_perm=0,
    )
