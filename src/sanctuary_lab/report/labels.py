"""Human names for what the report prints: outcomes with their units, result columns, terms.

Internal names (``std_error``, ``rel_time[-3]``, ``violent_rate_100k``) never reach the page;
every table header, axis title and term label goes through this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Column names of the tidy result shape and other frames shown in tables.
COLUMN_NAMES = {
    "term": "Term",
    "estimate": "Estimate",
    "std_error": "Standard error",
    "ci_low": "95% CI, low",
    "ci_high": "95% CI, high",
    "interval": "95% interval",
    "p_value": "p-value",
    "n_obs": "Observations",
    "n_clusters": "Clusters",
    "covariate": "Covariate",
    "mean_treated": "Mean, treated",
    "mean_control": "Mean, comparison",
    "std_diff_before": "Std. difference before",
    "std_diff_after": "Std. difference after",
    "rows_read": "Rows read",
    "rows_kept": "Rows kept",
    "rows_rejected": "Rejections",
    "sha256": "SHA-256 (start)",
    "year_min": "First year",
    "year_max": "Last year",
    "n_years": "Years",
    "numerator": "Matched",
    "denominator": "Of",
    "share": "Share",
    "rel_time": "Years relative to treatment",
}

_WORDS = {
    "violent": "violent crime",
    "property": "property crime",
    "part1": "Part I crime",
    "index": "index crime",
    "crime": "crime",
    "murder": "murder",
    "median_household_income": "median household income",
    "per_capita_income": "per-capita income",
    "poverty_rate": "poverty rate",
    "unemployment_rate": "unemployment rate",
    "pct_foreign_born": "foreign-born share",
    "pct_undocumented": "undocumented share",
    "pct_hispanic": "Hispanic share",
    "foreign_born": "foreign-born share",
    "log_population": "log population",
    "n_units": "units",
    "n_treated": "treated units",
    "n_treated_units": "treated units",
    "p_chi2": "p (chi-squared)",
    "df_denom": "denominator degrees of freedom",
    "nchs_class": "NCHS urban–rural class",
    "sc_share": "Secure Communities coverage",
    "sc_cohort": "Secure Communities start year",
    "any_287g": "any 287(g) agreement",
    "first_year": "first year",
    "last_year": "last year",
    "p_value": "p-value",
    "std_error": "standard error",
    "ci_low": "95% CI, low",
    "ci_high": "95% CI, high",
    "n_obs": "observations",
    "n_clusters": "clusters",
    "abadie_imbens": "Abadie–Imbens",
    "eo_13768": "Executive Order 13768",
    "sc_full_activation": "Secure Communities fully active",
    "sc_ended": "Secure Communities ended",
    "index_crime_rate": "index crime rate",
}


@dataclass(frozen=True)
class Outcome:
    """An outcome's words, its unit, and whether it is a log (effects read as % change)."""

    words: str
    unit: str
    log: bool = False

    @property
    def axis(self) -> str:
        """Axis title of an effect on this outcome."""
        if self.log:
            return f"Change in {self.words} (%)"
        return f"Difference in {self.words} ({self.unit})" if self.unit else self.words.capitalize()

    @property
    def axis_ci(self) -> str:
        """Axis title of an effect with its 95% CI: ``Difference in X (unit, 95% CI)``."""
        if self.log:
            return f"Change in {self.words} (%, 95% CI)"
        if self.unit:
            return f"Difference in {self.words} ({self.unit}, 95% CI)"
        return f"Difference in {self.words} (95% CI)"

    @property
    def family(self) -> str:
        """Curves and plots never mix families: same unit and same scale."""
        return f"{'log' if self.log else 'level'}:{self.unit}"


def outcome(name: str) -> Outcome:
    """Words and unit of an outcome column name (``log(violent_rate_100k)`` ->
    violent crime, per 100,000 residents, log)."""
    raw = str(name or "").strip()
    log = False
    m = re.fullmatch(r"log\((.+)\)", raw)
    if m:
        raw, log = m.group(1), True
    if raw.startswith("log_"):
        raw, log = raw[4:], True
    unit = ""
    base = raw
    for pat, u in (
        (r"_(rate_)?100k$|_per100k$", "per 100,000 residents"),
        (r"_(rate_)?10k$|_per10k$", "per 10,000 residents"),
    ):
        if re.search(pat, base):
            base = re.sub(pat, "", base)
            unit = u
            break
    if base in _WORDS:
        words = _WORDS[base]
    else:
        words = base.replace("_", " ")
        words = re.sub(r"\brate\b", "rate", words).strip()
    if not unit:
        if base in ("median_household_income", "per_capita_income") or "income" in base:
            unit = "US dollars"
        elif (
            base.endswith("_rate")
            and base.split("_")[0] in ("poverty", "unemployment")
            or base.startswith("pct_")
            or base.endswith("_share")
            or base.startswith("share_")
        ):
            unit = "percentage points"
        elif base.endswith("_rate") and log:
            unit = "rate"
        elif "arrest" in base:
            unit = "arrests"
    if log and base.endswith("_rate") and base[:-5] in _WORDS:
        words = _WORDS[base[:-5]] + " rate"
    return Outcome(words=words, unit=unit, log=log)


def column(name: str) -> str:
    """A table header for a column name."""
    if name in COLUMN_NAMES:
        return COLUMN_NAMES[name]
    text = str(name).replace("_", " ").strip()
    text = re.sub(r"\bpct\b", "%", text)
    text = re.sub(r"\bn\b", "number of", text)
    return text[:1].upper() + text[1:]


_REL = re.compile(r"^rel_time\[(<=|>=)?(-?\d+)\]$")


def rel_label(k: int, kind: str = "") -> str:
    """``-3`` -> ``−3``; end bins ``≤−5`` / ``≥5``."""
    text = str(int(k)).replace("-", "\u2212")
    return {"<=": "\u2264", ">=": "\u2265"}.get(kind, "") + text


def term(name: str) -> str:
    """A term for a reader: ``rel_time[-3]`` -> ``3 years before treatment``; end bins say so."""
    m = _REL.match(str(name))
    if m:
        kind, k = m.group(1) or "", int(m.group(2))
        if kind == "<=":
            return f"{abs(k)} or more years before treatment (end bin)"
        if kind == ">=":
            return f"{k} or more years after treatment (end bin)"
        if k < 0:
            return f"{abs(k)} year{'s' if abs(k) != 1 else ''} before treatment"
        if k == 0:
            return "year of treatment"
        return f"{k} year{'s' if k != 1 else ''} after treatment"
    if str(name) in ("pretrend", "pre_trend", "pretrend_test"):
        return "joint pre-trend test"
    if str(name) in _WORDS:
        return _WORDS[str(name)]
    if re.match(
        r"^(log\(|log_)?[a-z0-9]+(_[a-z0-9]+)*(_(rate_)?1?0+k|_per1?0+k)\)?$", str(name)
    ) and ("10k" in str(name) or "100k" in str(name)):
        o = outcome(str(name))
        return o.words + (f" ({'log, ' if o.log else ''}{o.unit})" if o.unit else "")
    return str(name).replace("_", " ")


def result_label(label: str) -> str:
    """A result label for a heading: ``crime_per10k:adjusted[decline_threshold=0.005]`` ->
    ``Crime per 10,000 residents, adjusted (decline threshold = 0.005)``."""
    text = str(label)
    sens = ""
    m = re.match(r"^(.*?)\s*\[(.+)\]$", text)
    if m:
        text, sens = m.group(1), m.group(2)
    out_name, _, kind = text.partition(":")
    o = outcome(out_name)
    words = o.words + (f" ({'log, ' if o.log else ''}{o.unit})" if o.unit else "")
    head = words[:1].upper() + words[1:]
    if kind:
        head += ", " + kind.replace("_", " ")
    if sens:
        key, _, value = sens.partition("=")
        head += f" ({key.replace('_', ' ')} = {value.replace('_', ' ')})"
    return head


_DESIGNS = {
    "callaway_santanna": "Callaway–Sant'Anna staggered DiD",
    "sun_abraham": "Sun–Abraham event study",
    "did2s": "two-stage DiD (Gardner)",
    "twfe": "two-way fixed effects",
    "event_study": "event study",
    "ols": "OLS",
    "matching": "matching",
    "ipw": "inverse-probability weighting",
    "cross_section": "cross-section",
    "descriptive": "descriptive series",
}

_IDENT = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)+")


def design(name: str) -> str:
    """A design name in words (``callaway_santanna`` -> ``Callaway–Sant'Anna staggered DiD``);
    free text is returned as written with identifiers inside it put in words."""
    text = str(name or "")
    if text in _DESIGNS:
        return _DESIGNS[text]
    return _IDENT.sub(lambda m: _DESIGNS.get(m.group(0), term(m.group(0))), text)


_FILE_EXT = {"csv", "json", "xlsx", "xls", "toml", "md", "py", "html", "txt", "dta", "zip", "js"}
_VINTAGE = re.compile(r"\b(acs|usdata|census)_?(\d{4})(?:_(\d{4}))?\b", re.I)


def _ident(name: str) -> str:
    m = _VINTAGE.fullmatch(name)
    if m:
        src = {"acs": "ACS", "usdata": "usdata", "census": "Census"}[m.group(1).lower()]
        return f"{src} {m.group(2)}" + (f"–{m.group(3)}" if m.group(3) else "")
    if name in _DESIGNS:
        return _DESIGNS[name]
    return term(name)


def words(value: str, names: dict[str, str] | None = None) -> str:
    """Free text with identifiers put in words: ``names`` (e.g. study id -> title) first, then
    vintages (``acs2011_2015`` -> ``ACS 2011–2015``) and snake_case names (``violent_per10k`` ->
    ``violent crime (per 10,000 residents)``)."""
    text = str(value)
    for key, title in sorted((names or {}).items(), key=lambda kv: -len(kv[0])):
        text = re.sub(rf"(?<![\w/.]){re.escape(key)}(?![\w])", title, text)
    text = _VINTAGE.sub(lambda m: _ident(m.group(0)), text)
    # dotted column references (``county_year_287g.first_year``), not file names
    text = re.sub(
        r"(?<![\w/.])([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\.([a-z][a-z0-9_]*)(?![\w/])",
        lambda m: (
            m.group(0) if m.group(2) in _FILE_EXT else f"{_ident(m.group(1))}, {_ident(m.group(2))}"
        ),
        text,
    )
    return re.sub(
        r"(?<![\w/.])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?:\[[^\]]*\])?(?![\w/]|\.[a-z])",
        lambda m: _ident(m.group(0)),
        text,
    )
