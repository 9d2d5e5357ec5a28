"""The final-table column contract: every table ``sanctuary-lab build`` writes, and its columns.

A warehouse holds three kinds of table:

- **staged** tables, ``stg_<name>``: what each source adapter read, as it read it (their columns
  are the adapter's, see :mod:`sanctuary_lab.sources`);
- **final** tables (:data:`FINAL_TABLES`): derived by the table modules
  (:data:`sanctuary_lab.warehouse.registry.TABLE_MODULES`); these are what studies, the report
  and the CLI read;
- **meta** tables (:data:`META_TABLES`): provenance, rejected rows, caveats and build
  information.

The build checks every final table against this contract as its module produces it
(:func:`check_produced`) and, once all modules ran, that no required table is missing
(:func:`check_complete`): a missing or undeclared column, or an undeclared table, is a
:class:`ContractError` naming the table and column. Consumers read column names from here
(:func:`column`, :func:`columns`) instead of guessing them.

Types are the DuckDB types of a full build; the build checks names, and a test checks the types
against a real build.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pandas as pd

ColumnType = Literal["BIGINT", "BOOLEAN", "DOUBLE", "TIMESTAMP", "TINYINT", "VARCHAR"]


class ContractError(RuntimeError):
    """A table module produced a table that breaks the contract (a programming error)."""


@dataclass(frozen=True)
class FinalTable:
    """One declared warehouse table.

    Parameters
    ----------
    module
        The table module that builds it (``tables_core`` ...; ``build`` for meta tables).
    columns
        Column name -> DuckDB type, in the table's column order.
    optional
        Absent from some builds: built only when the raw folder holds the files it needs
        (``tables_offenses``), or only to record a fallback (``policy_caveats``).
    """

    module: str
    columns: Mapping[str, ColumnType]
    optional: bool = False

    @property
    def names(self) -> list[str]:
        """The column names, in order."""
        return list(self.columns)


#: Every final table by name, grouped by the table module that builds it.
FINAL_TABLES: dict[str, FinalTable] = {
    "counties": FinalTable(
        "tables_core",
        {
            "fips": "VARCHAR", "name": "VARCHAR", "state": "VARCHAR", "state_fips": "VARCHAR",
            "state_name": "VARCHAR", "nchs_code": "BIGINT", "nchs_label": "VARCHAR",
            "name_source": "VARCHAR", "nchs_code_2006": "BIGINT", "cbsa_title": "VARCHAR",
            "land_area_sq_mi": "DOUBLE",
        },
    ),
    "county_population": FinalTable(
        "tables_core",
        {
            "fips": "VARCHAR", "year": "BIGINT", "population": "BIGINT", "source": "VARCHAR",
        },
    ),
    "county_covariates": FinalTable(
        "tables_core",
        {
            "fips": "VARCHAR", "vintage": "VARCHAR", "source": "VARCHAR", "population": "BIGINT",
            "pct_hispanic": "DOUBLE", "pct_black": "DOUBLE", "pct_white_nonhispanic": "DOUBLE",
            "pct_foreign_born": "DOUBLE", "median_household_income": "DOUBLE",
            "per_capita_income": "DOUBLE", "poverty_rate": "DOUBLE", "unemployment_rate": "DOUBLE",
            "pct_age_under5": "DOUBLE", "pct_age_under18": "DOUBLE", "pct_age_65plus": "DOUBLE",
        },
    ),
    "county_unemployment": FinalTable(
        "tables_core",
        {
            "fips": "VARCHAR", "year": "BIGINT", "unemployment_rate": "DOUBLE",
            "source": "VARCHAR",
        },
    ),
    "county_crime": FinalTable(
        "tables_core",
        {
            "fips": "VARCHAR", "year": "BIGINT", "series": "VARCHAR", "source": "VARCHAR",
            "murder": "BIGINT", "rape": "BIGINT", "robbery": "BIGINT", "agg_assault": "BIGINT",
            "burglary": "BIGINT", "larceny": "BIGINT", "motor_vehicle_theft": "BIGINT",
            "arson": "BIGINT", "violent_count": "BIGINT", "property_count": "BIGINT",
            "part1_count": "BIGINT", "population": "BIGINT", "population_year": "BIGINT",
            "violent_rate_100k": "DOUBLE", "property_rate_100k": "DOUBLE",
            "part1_rate_100k": "DOUBLE", "violent_rate_10k": "DOUBLE",
            "property_rate_10k": "DOUBLE", "part1_rate_10k": "DOUBLE", "coverage": "DOUBLE",
            "quality": "BIGINT", "quality_flag": "VARCHAR", "reporting": "VARCHAR",
        },
    ),
    "state_crime": FinalTable(
        "tables_core",
        {
            "state": "VARCHAR", "state_fips": "VARCHAR", "state_name": "VARCHAR", "year": "BIGINT",
            "population": "BIGINT", "murder": "BIGINT", "rape": "BIGINT", "robbery": "BIGINT",
            "agg_assault": "BIGINT", "burglary": "BIGINT", "larceny": "BIGINT",
            "motor_vehicle_theft": "BIGINT", "arson": "BIGINT", "rape_legacy": "BIGINT",
            "rape_revised": "BIGINT", "rape_definition": "VARCHAR", "violent_count": "BIGINT",
            "property_count": "BIGINT", "violent_rate_100k": "DOUBLE",
            "property_rate_100k": "DOUBLE", "murder_rate_100k": "DOUBLE",
            "agencies_total": "BIGINT", "agencies_submitting": "BIGINT", "source": "VARCHAR",
            "series": "VARCHAR",
        },
    ),
    "city_crime": FinalTable(
        "tables_core",
        {
            "ori": "VARCHAR", "year": "BIGINT", "state": "VARCHAR", "department_name": "VARCHAR",
            "population": "BIGINT", "murder": "BIGINT", "rape": "BIGINT", "robbery": "BIGINT",
            "agg_assault": "BIGINT", "violent_count": "BIGINT", "months_reported": "BIGINT",
            "violent_rate_100k": "DOUBLE", "murder_rate_100k": "DOUBLE",
            "rape_rate_100k": "DOUBLE", "robbery_rate_100k": "DOUBLE",
            "agg_assault_rate_100k": "DOUBLE", "url": "VARCHAR", "reporting": "VARCHAR",
            "source": "VARCHAR", "series": "VARCHAR",
        },
    ),
    "national_crime": FinalTable(
        "tables_core",
        {
            "year": "BIGINT", "population": "BIGINT", "index_count": "BIGINT",
            "violent_count": "BIGINT", "property_count": "BIGINT", "murder": "BIGINT",
            "rape": "BIGINT", "robbery": "BIGINT", "agg_assault": "BIGINT", "burglary": "BIGINT",
            "larceny": "BIGINT", "motor_vehicle_theft": "BIGINT", "violent_rate_100k": "DOUBLE",
            "property_rate_100k": "DOUBLE", "murder_rate_100k": "DOUBLE", "source": "VARCHAR",
            "rape_rate_100k": "DOUBLE", "robbery_rate_100k": "DOUBLE",
            "agg_assault_rate_100k": "DOUBLE",
        },
    ),
    "agencies": FinalTable(
        "tables_policy",
        {
            "ori": "VARCHAR", "ori7": "VARCHAR", "ori7_unique": "BOOLEAN",
            "agency_name": "VARCHAR", "agency_type": "VARCHAR", "state": "VARCHAR",
            "state_fips": "VARCHAR", "county_names": "VARCHAR", "county_name": "VARCHAR",
            "fips": "VARCHAR", "fips_first_listed": "VARCHAR", "fips_list": "VARCHAR",
            "n_counties": "BIGINT", "county_match": "VARCHAR",
        },
    ),
    "policy_287g": FinalTable(
        "tables_policy",
        {
            "agreement_id": "BIGINT", "state": "VARCHAR", "agency": "VARCHAR",
            "agency_key": "VARCHAR", "agency_kind": "VARCHAR", "jurisdiction": "VARCHAR",
            "fips": "VARCHAR", "fips_list": "VARCHAR", "fips_method": "VARCHAR", "ori": "VARCHAR",
            "models": "VARCHAR", "model": "VARCHAR", "first_signed": "TIMESTAMP",
            "latest_signed": "TIMESTAMP", "start_date": "TIMESTAMP", "end_date": "TIMESTAMP",
            "cohort_date": "TIMESTAMP", "cohort_year": "BIGINT", "date_basis": "VARCHAR",
            "end_year": "BIGINT", "end_censored": "BOOLEAN", "first_active_year": "BIGINT",
            "last_active_year": "BIGINT", "active_years": "VARCHAR", "active_2024": "BOOLEAN",
            "active_2025": "BOOLEAN", "confidence": "VARCHAR", "sources": "VARCHAR",
            "n_sources": "BIGINT", "n_records": "BIGINT",
        },
    ),
    "county_year_287g": FinalTable(
        "tables_policy",
        {
            "fips": "VARCHAR", "year": "BIGINT", "any_287g": "TINYINT", "known": "BOOLEAN",
            "n_agreements": "BIGINT", "models": "VARCHAR", "jail": "BOOLEAN",
            "task_force": "BOOLEAN", "warrant_service": "BOOLEAN", "model_unknown": "BOOLEAN",
            "first_year": "BIGINT", "county_jail_287g": "TINYINT",
            "county_jail_first_year": "BIGINT", "county_jail_end_year": "BIGINT",
            "county_jail_date_basis": "VARCHAR", "sources": "VARCHAR", "coverage": "VARCHAR",
        },
    ),
    "policy_287g_date_conflicts": FinalTable(
        "tables_policy",
        {
            "agreement_id": "BIGINT", "state": "VARCHAR", "agency": "VARCHAR", "fips": "VARCHAR",
            "field": "VARCHAR", "source": "VARCHAR", "source_says": "VARCHAR",
            "source_year": "BIGINT", "chosen_year": "BIGINT", "chosen_basis": "VARCHAR",
            "years_apart": "BIGINT",
        },
    ),
    "policy_sc_coverage_cpuma": FinalTable(
        "tables_policy",
        {
            "cpuma0010": "BIGINT", "year": "BIGINT", "state_fips": "VARCHAR", "state": "VARCHAR",
            "population": "DOUBLE", "sc_frac": "DOUBLE", "sc_jan": "DOUBLE", "sc_march": "DOUBLE",
            "jail287g_frac": "DOUBLE", "jail287g_jan": "DOUBLE", "jail287g_march": "DOUBLE",
            "task287g_frac": "DOUBLE", "task287g_jan": "DOUBLE", "task287g_march": "DOUBLE",
            "state287g_frac": "DOUBLE", "state287g_jan": "DOUBLE", "state287g_march": "DOUBLE",
        },
    ),
    "policy_sc_coverage": FinalTable(
        "tables_policy",
        {
            "state_fips": "VARCHAR", "state": "VARCHAR", "year": "BIGINT", "population": "DOUBLE",
            "n_cpuma": "BIGINT", "sc_frac": "DOUBLE", "sc_jan": "DOUBLE", "sc_march": "DOUBLE",
            "jail287g_frac": "DOUBLE", "jail287g_jan": "DOUBLE", "jail287g_march": "DOUBLE",
            "task287g_frac": "DOUBLE", "task287g_jan": "DOUBLE", "task287g_march": "DOUBLE",
            "state287g_frac": "DOUBLE", "state287g_jan": "DOUBLE", "state287g_march": "DOUBLE",
            "sc_note": "VARCHAR",
        },
    ),
    "detainer_outcomes": FinalTable(
        "tables_policy",
        {
            "facility": "VARCHAR", "lift_reason": "VARCHAR", "count": "BIGINT",
            "count_all": "BIGINT", "freq": "DOUBLE", "public": "BOOLEAN",
        },
    ),
    "detainer_facility_county": FinalTable(
        "tables_policy",
        {
            "facility": "VARCHAR", "public": "BOOLEAN", "facility_kind": "VARCHAR",
            "custody": "VARCHAR", "state": "VARCHAR", "fips": "VARCHAR", "match_method": "VARCHAR",
            "match_confidence": "VARCHAR", "n_candidates": "BIGINT", "n_detainers": "BIGINT",
            "n_declined": "BIGINT",
        },
    ),
    "county_detainer_declines": FinalTable(
        "tables_policy",
        {
            "fips": "VARCHAR", "n_detainers": "BIGINT", "n_declined": "BIGINT",
            "share_declined": "DOUBLE", "n_facilities": "BIGINT", "n_facilities_high": "BIGINT",
            "match_quality": "VARCHAR", "facilities": "VARCHAR",
        },
    ),
    "detainers_national_by_reason": FinalTable(
        "tables_policy",
        {
            "year": "BIGINT", "lift_reason": "VARCHAR", "count": "BIGINT",
        },
    ),
    "detainers_national_by_year": FinalTable(
        "tables_policy",
        {
            "year": "BIGINT", "count": "BIGINT",
        },
    ),
    "detainers_national_by_month": FinalTable(
        "tables_policy",
        {
            "year": "BIGINT", "month": "BIGINT", "count": "BIGINT",
        },
    ),
    "detainers_national_by_type": FinalTable(
        "tables_policy",
        {
            "year": "BIGINT", "detainer_type": "VARCHAR", "count": "BIGINT",
        },
    ),
    "detainers_national_lifted": FinalTable(
        "tables_policy",
        {
            "year": "BIGINT", "count": "BIGINT",
        },
    ),
    "ice_aor": FinalTable(
        "tables_policy",
        {
            "fips": "VARCHAR", "state_fips": "VARCHAR", "county_name": "VARCHAR", "aor": "VARCHAR",
            "field_office_addr": "VARCHAR",
        },
    ),
    "policy_caveats": FinalTable(
        "tables_policy",
        {
            "caveat": "VARCHAR",
        },
        optional=True,
    ),
    "county_arrests": FinalTable(
        "tables_arrests",
        {
            "fips": "VARCHAR", "year": "BIGINT", "series": "VARCHAR", "series_break": "BIGINT",
            "source": "VARCHAR", "icpsr_study": "VARCHAR", "layout": "BIGINT",
            "all_arrests": "BIGINT", "part1": "BIGINT", "violent": "BIGINT", "property": "BIGINT",
            "murder": "BIGINT", "rape": "BIGINT", "robbery": "BIGINT", "agg_assault": "BIGINT",
            "burglary": "BIGINT", "larceny": "BIGINT", "motor_vehicle_theft": "BIGINT",
            "arson": "BIGINT", "other_assault": "BIGINT", "forgery": "BIGINT", "fraud": "BIGINT",
            "embezzlement": "BIGINT", "stolen_property": "BIGINT", "vandalism": "BIGINT",
            "weapons": "BIGINT", "prostitution": "BIGINT", "sex_offences": "BIGINT",
            "drug_total": "BIGINT", "drug_sale": "BIGINT", "drug_possession": "BIGINT",
            "gambling": "BIGINT", "family_offences": "BIGINT", "dui": "BIGINT", "liquor": "BIGINT",
            "drunkenness": "BIGINT", "disorderly": "BIGINT", "vagrancy": "BIGINT",
            "all_other": "BIGINT", "suspicion": "BIGINT", "curfew": "BIGINT", "runaway": "BIGINT",
            "pop_covered": "BIGINT", "county_population": "BIGINT", "agencies": "BIGINT",
            "jurflag": "BIGINT", "coverage": "DOUBLE", "reporting": "VARCHAR",
            "all_arrests_rate_10k": "DOUBLE", "part1_rate_10k": "DOUBLE",
            "violent_rate_10k": "DOUBLE", "property_rate_10k": "DOUBLE",
        },
    ),
    "icpsr_arrest_files": FinalTable(
        "tables_arrests",
        {
            "file": "VARCHAR", "icpsr_study": "VARCHAR", "layout": "DOUBLE", "years": "VARCHAR",
            "status": "VARCHAR", "rows_kept": "BIGINT", "violent_sum_ok_share": "DOUBLE",
            "murder_all_records": "DOUBLE", "all_arrests_all_records": "DOUBLE",
        },
    ),
    "ice_ero_arrests": FinalTable(
        "tables_arrests",
        {
            "fiscal_year": "BIGINT", "measure": "VARCHAR", "value": "DOUBLE", "unit": "VARCHAR",
            "value_type": "VARCHAR", "bound": "VARCHAR", "source_url": "VARCHAR",
            "source_kind": "VARCHAR", "quote": "VARCHAR",
        },
    ),
    "county_offenses": FinalTable(
        "tables_offenses",
        {
            "fips": "VARCHAR", "year": "BIGINT", "source": "VARCHAR", "series": "VARCHAR",
            "murder": "BIGINT", "rape": "BIGINT", "robbery": "BIGINT", "agg_assault": "BIGINT",
            "burglary": "BIGINT", "larceny": "BIGINT", "motor_vehicle_theft": "BIGINT",
            "violent": "BIGINT", "property": "BIGINT", "part1": "BIGINT", "population": "BIGINT",
            "agencies": "BIGINT", "agencies_full_year": "BIGINT", "coverage": "DOUBLE",
            "reporting": "VARCHAR", "violent_rate_100k": "DOUBLE", "property_rate_100k": "DOUBLE",
            "part1_rate_100k": "DOUBLE",
        },
        optional=True,
    ),
    "ice_records_by_year": FinalTable(
        "tables_offenses",
        {
            "kind": "VARCHAR", "fiscal_year": "BIGINT", "n": "BIGINT", "n_convicted": "BIGINT",
            "n_pending": "BIGINT", "n_other": "BIGINT", "n_criminality_unknown": "BIGINT",
        },
        optional=True,
    ),
    "ice_arrests": FinalTable(
        "tables_offenses",
        {
            "year": "BIGINT", "n_arrests": "BIGINT", "n_noncriminal": "BIGINT",
        },
        optional=True,
    ),
}  # fmt: skip

#: The build's own tables (written by :mod:`sanctuary_lab.warehouse.build`).
META_TABLES: dict[str, FinalTable] = {
    "provenance": FinalTable(
        "build",
        {
            "source": "VARCHAR", "file": "VARCHAR", "sha256": "VARCHAR", "rows_read": "BIGINT",
            "rows_kept": "BIGINT", "rows_rejected": "BIGINT", "built_at": "VARCHAR",
        },
    ),
    "rejected_rows": FinalTable(
        "build",
        {
            "source": "VARCHAR", "file": "VARCHAR", "row": "BIGINT", "field": "VARCHAR",
            "reason": "VARCHAR",
        },
    ),
    "caveats": FinalTable("build", {"source": "VARCHAR", "caveat": "VARCHAR"}),
    "build_info": FinalTable(
        "build", {"version": "VARCHAR", "raw_dir": "VARCHAR", "built_at": "VARCHAR"}
    ),
}  # fmt: skip

#: Prefix of the staged tables (one per table an adapter returns).
STAGED_PREFIX = "stg_"


def _declared(table: str) -> FinalTable:
    found = FINAL_TABLES.get(table) or META_TABLES.get(table)
    if found is None:
        raise KeyError(f"{table!r} is not a declared warehouse table (see warehouse/contract.py)")
    return found


def columns(table: str) -> list[str]:
    """The declared columns of a final or meta table, in order.

    Raises
    ------
    KeyError
        ``table`` is not declared.
    """
    return _declared(table).names


def column(table: str, name: str) -> str:
    """``name``, checked to be a declared column of ``table`` (use it to read a column by name).

    Raises
    ------
    KeyError
        ``table`` is not declared, or has no column ``name``.
    """
    if name not in _declared(table).columns:
        raise KeyError(f"warehouse table {table!r} declares no column {name!r}")
    return name


def check_produced(module: str, tables: Mapping[str, pd.DataFrame]) -> None:
    """Check the tables one table module produced against :data:`FINAL_TABLES`.

    Raises
    ------
    ContractError
        A table is undeclared or declared for another module, lacks a declared column, or has
        an undeclared one.
    """
    for name, df in tables.items():
        spec = FINAL_TABLES.get(name)
        if spec is None:
            raise ContractError(
                f"{module} produced table {name!r}, which warehouse/contract.py does not declare"
            )
        if spec.module != module:
            raise ContractError(
                f"{module} produced table {name!r}, which warehouse/contract.py declares for "
                f"{spec.module}"
            )
        missing = [c for c in spec.columns if c not in df.columns]
        if missing:
            raise ContractError(
                f"{module}: table {name!r} lacks declared column {missing[0]!r}"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
            )
        extra = [str(c) for c in df.columns if c not in spec.columns]
        if extra:
            raise ContractError(
                f"{module}: table {name!r} has column {extra[0]!r}, which warehouse/contract.py "
                "does not declare"
            )


def check_complete(final: Mapping[str, pd.DataFrame]) -> None:
    """Check that every required (not optional) final table was produced.

    Raises
    ------
    ContractError
        A required table is missing.
    """
    for name, spec in FINAL_TABLES.items():
        if not spec.optional and name not in final:
            raise ContractError(f"{spec.module} did not produce required table {name!r}")
