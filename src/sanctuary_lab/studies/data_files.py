"""The studies' own data files: city/county sanctuary policies and the cited facts table.

Both are CSV files under ``studies/data/``. ``sanctuary_policies.csv`` has one row per
(jurisdiction, policy instrument) with its dates, definition class, citation (title + URL) and
confidence; users can pass their own file in the same format through the ``adoption_file`` study
parameter. Parsing the format (:func:`parse_sanctuary_policies`) is separate from finding the file
(:func:`sanctuary_policy_path`). Every row must cite a public source and carry a confidence; a row
without one is an :class:`~sanctuary_lab.core.errors.InputError` naming file, row and field.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pandas as pd

from sanctuary_lab.core.errors import InputError

CONFIDENCE_LEVELS = ("low", "medium", "high")
POLICY_COLUMNS = (
    "ori",
    "jurisdiction",
    "state",
    "level",
    "instrument",
    "definition_class",
    "adopted",
    "effective",
    "citation_title",
    "citation_url",
    "confidence",
)
#: what an instrument does (one class per row; a jurisdiction may have several rows)
DEFINITION_CLASSES = (
    "no-status-inquiry",
    "limits-notification",
    "limits-detainer-holds",
    "statewide-law",
)
POLICY_LEVELS = ("city", "county", "state")
#: values of the city panel's ``definition`` parameter
DEFINITIONS = ("any", "local", *DEFINITION_CLASSES)
_ISO = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
FACT_COLUMNS = ("fact_id", "quantity", "value", "unit", "period", "source", "confidence")


def data_dir() -> Path:
    """Folder of the bundled CSV data files."""
    return Path(str(resources.files("sanctuary_lab.studies") / "data"))


def _read(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot parse as CSV: {str(exc).strip()}") from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(
            path, f"missing column(s) {missing}; required: {list(required)}", field=missing[0]
        )
    if df.empty:
        raise InputError(path, "file has no data rows")
    return df


def _require_text(df: pd.DataFrame, path: Path, columns: tuple[str, ...]) -> None:
    for col in columns:
        blank = df[col].str.strip() == ""
        if blank.any():
            row = int(blank.to_numpy().argmax()) + 1
            raise InputError(path, "value is required on every row", row=row, field=col)


def _confidence(df: pd.DataFrame, path: Path) -> None:
    bad = ~df["confidence"].str.strip().str.lower().isin(CONFIDENCE_LEVELS)
    if bad.any():
        row = int(bad.to_numpy().argmax()) + 1
        raise InputError(
            path,
            f"confidence {df['confidence'].iloc[row - 1]!r} not one of {list(CONFIDENCE_LEVELS)}",
            row=row,
            field="confidence",
        )
    df["confidence"] = df["confidence"].str.strip().str.lower()


def sanctuary_policy_path(adoption_file: str | Path = "") -> Path:
    """Where the sanctuary-policy table is: ``adoption_file`` if given, else the bundled file."""
    if adoption_file:
        return Path(adoption_file).expanduser()
    return data_dir() / "sanctuary_policies.csv"


def _iso_date(value: str) -> tuple[pd.Timestamp, str] | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` -> (first day, precision); None if malformed."""
    m = _ISO.fullmatch(value.strip())
    if m is None:
        return None
    y, mo, d = m.group(1), m.group(2), m.group(3)
    try:
        ts = pd.Timestamp(int(y), int(mo or 1), int(d or 1))
    except ValueError:
        return None
    return ts, "day" if d else ("month" if mo else "year")


def parse_sanctuary_policies(path: Path) -> pd.DataFrame:
    """Parse a sanctuary-policy table (one row per jurisdiction x policy instrument).

    Columns: see :data:`POLICY_COLUMNS` (``effective`` and ``notes`` may be blank). Every row
    needs a citation title and an ``http(s)://`` URL, a known ``definition_class``, ``level`` and
    ``confidence``, and an ISO ``adopted`` date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``); an
    (ori, instrument) pair may appear once. Any violation is an
    :class:`~sanctuary_lab.core.errors.InputError` naming file, row and field.

    Returns
    -------
    pandas.DataFrame
        The rows, plus ``adopted_date`` / ``effective_date`` (first day of the stated period),
        ``date_precision``, ``start_date`` (``effective`` when given, else ``adopted``) and
        integer ``start_year``.
    """
    df = _read(path, POLICY_COLUMNS)
    _require_text(
        df,
        path,
        ("ori", "instrument", "definition_class", "level", "adopted", "citation_title",
         "citation_url", "confidence"),
    )  # fmt: skip
    _confidence(df, path)
    for col, allowed in (("definition_class", DEFINITION_CLASSES), ("level", POLICY_LEVELS)):
        v = df[col].str.strip()
        bad = ~v.isin(allowed)
        if bad.any():
            row = int(bad.to_numpy().argmax()) + 1
            raise InputError(
                path, f"{col} {v.iloc[row - 1]!r} not one of {list(allowed)}", row=row, field=col
            )
        df[col] = v
    url = df["citation_url"].str.strip()
    bad = ~url.str.match(r"^https?://\S+$")
    if bad.any():
        row = int(bad.to_numpy().argmax()) + 1
        raise InputError(
            path, f"citation_url {url.iloc[row - 1]!r} is not an http(s) URL", row=row,
            field="citation_url",
        )  # fmt: skip
    df["citation_url"] = url
    for col in ("adopted", "effective"):
        dates: list[pd.Timestamp] = []
        precision: list[str | None] = []
        for i, v in enumerate(df[col]):
            if col == "effective" and not v.strip():
                dates.append(pd.NaT)
                precision.append(None)
                continue
            got = _iso_date(v)
            if got is None:
                raise InputError(
                    path, f"{col} {v!r} is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)",
                    row=i + 1, field=col,
                )  # fmt: skip
            dates.append(got[0])
            precision.append(got[1])
        df[f"{col}_date"] = pd.to_datetime(pd.Series(dates, index=df.index))
        if col == "adopted":
            df["date_precision"] = precision
    df["ori"] = df["ori"].str.strip().str[:7]
    dup = df.duplicated(["ori", "instrument"])
    if dup.any():
        row = int(dup.to_numpy().argmax()) + 1
        raise InputError(
            path, f"ORI {df['ori'].iloc[row - 1]!r} lists instrument twice", row=row,
            field="instrument",
        )  # fmt: skip
    df["start_date"] = df["effective_date"].fillna(df["adopted_date"])
    df["start_year"] = df["start_date"].dt.year.astype(int)
    return df


def load_sanctuary_policies(
    adoption_file: str | Path = "", min_confidence: str = "low"
) -> tuple[pd.DataFrame, str]:
    """Read the sanctuary-policy table and keep rows at or above ``min_confidence``.

    Returns
    -------
    (table, source)
        ``table`` from :func:`parse_sanctuary_policies`; ``source`` is the file name used.
    """
    if min_confidence not in CONFIDENCE_LEVELS:
        from sanctuary_lab.core.errors import SpecError

        raise SpecError(
            f"min_confidence must be one of {list(CONFIDENCE_LEVELS)}, got {min_confidence!r}"
        )
    path = sanctuary_policy_path(adoption_file)
    df = parse_sanctuary_policies(path)
    rank = {c: i for i, c in enumerate(CONFIDENCE_LEVELS)}
    keep = df["confidence"].map(rank) >= rank[min_confidence]
    return df.loc[keep].reset_index(drop=True), path.name


def adoption_cohorts(policies: pd.DataFrame, definition: str = "any") -> pd.Series:
    """ORI -> adoption year under one definition of "sanctuary".

    ``definition`` is ``"any"`` (the earliest cited instrument of any class), ``"local"`` (any
    class, city or county instruments only: state laws left out) or one of
    :data:`DEFINITION_CLASSES` (only instruments of that class). The year is ``start_year``
    (the in-force date when the row gives one, else the adoption date).
    """
    if definition not in DEFINITIONS:
        from sanctuary_lab.core.errors import SpecError

        raise SpecError(f"definition must be one of {list(DEFINITIONS)}, got {definition!r}")
    p = policies
    if definition == "local":
        p = p.loc[p["level"] != "state"]
    elif definition != "any":
        p = p.loc[p["definition_class"] == definition]
    return p.groupby("ori")["start_year"].min()


def load_facts(path: str | Path = "") -> pd.DataFrame:
    """The cited facts table: published official figures, never computed results."""
    p = Path(path) if path else data_dir() / "facts.csv"
    df = _read(p, FACT_COLUMNS)
    _require_text(df, p, ("fact_id", "quantity", "source", "confidence"))
    _confidence(df, p)
    return df
