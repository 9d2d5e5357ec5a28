"""The studies' own data files: large-city adoption dates and the cited facts table.

Both are CSV files under ``studies/data/``; users can pass their own adoption file (same columns)
through the ``adoption_file`` study parameter. Every row must cite a public source and carry a
confidence; a row without one is an :class:`~sanctuary_lab.errors.InputError` naming file, row and
field.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from sanctuary_lab.errors import InputError

CONFIDENCE_LEVELS = ("low", "medium", "high")
ADOPTION_COLUMNS = (
    "ori",
    "department_name",
    "state",
    "adoption_year",
    "policy",
    "source",
    "confidence",
)
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


def load_adoption_dates(
    adoption_file: str | Path = "", min_confidence: str = "low"
) -> tuple[pd.DataFrame, str]:
    """Read an adoption-date file; keep rows at or above ``min_confidence``.

    Returns
    -------
    (table, source)
        ``table`` has ``ori`` (7 characters) and integer ``adoption_year``; ``source`` is the
        file name used (for the study's sample record).
    """
    if min_confidence not in CONFIDENCE_LEVELS:
        from sanctuary_lab.errors import SpecError

        raise SpecError(
            f"min_confidence must be one of {list(CONFIDENCE_LEVELS)}, got {min_confidence!r}"
        )
    path = (
        Path(adoption_file).expanduser()
        if adoption_file
        else data_dir() / "sanctuary_adoption_large_cities.csv"
    )
    df = _read(path, ADOPTION_COLUMNS)
    _require_text(df, path, ("ori", "source", "confidence", "adoption_year"))
    _confidence(df, path)
    years = pd.to_numeric(df["adoption_year"], errors="coerce")
    bad = years.isna() | (years < 1900) | (years > 2100)
    if bad.any():
        row = int(bad.to_numpy().argmax()) + 1
        raise InputError(
            path,
            f"adoption_year {df['adoption_year'].iloc[row - 1]!r} is not a year",
            row=row,
            field="adoption_year",
        )
    df["adoption_year"] = years.astype(int)
    df["ori"] = df["ori"].str.strip().str[:7]
    dup = df["ori"].duplicated()
    if dup.any():
        row = int(dup.to_numpy().argmax()) + 1
        raise InputError(
            path, f"ORI {df['ori'].iloc[row - 1]!r} listed twice", row=row, field="ori"
        )
    rank = {c: i for i, c in enumerate(CONFIDENCE_LEVELS)}
    keep = df["confidence"].map(rank) >= rank[min_confidence]
    return df.loc[keep].reset_index(drop=True), path.name


def load_facts(path: str | Path = "") -> pd.DataFrame:
    """The cited facts table: published official figures, never computed results."""
    p = Path(path) if path else data_dir() / "facts.csv"
    df = _read(p, FACT_COLUMNS)
    _require_text(df, p, ("fact_id", "quantity", "source", "confidence"))
    _confidence(df, p)
    return df
