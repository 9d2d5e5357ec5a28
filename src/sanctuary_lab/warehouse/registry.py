"""The table-module registry: the modules that derive the final tables, in build order.

A table module has ``derive(staged, final) -> {table name: DataFrame}``, reading the staged tables
(``stg_<name>``) and the final tables of the modules before it, plus ``QUALITY_CHECKS`` and
``QUALITY_LISTS`` for ``sanctuary-lab quality`` (see :mod:`sanctuary_lab.warehouse.quality`).
Every table it produces is declared in :mod:`sanctuary_lab.warehouse.contract`. A new table
module is one module, one entry in :data:`TABLE_MODULES` and its tables in the contract.
"""

from __future__ import annotations

from typing import Protocol

import pandas as pd

from sanctuary_lab.warehouse import tables_arrests, tables_core, tables_offenses, tables_policy

#: ``(label, sql)``: SQL returning one row ``(numerator, denominator)``.
QualityCheck = tuple[str, str]
#: ``(key, label, sql)``: SQL returning the rows to list in full.
QualityList = tuple[str, str, str]


class TableModule(Protocol):
    """What the build and the quality report use of a table module."""

    __name__: str
    QUALITY_CHECKS: list[QualityCheck]
    QUALITY_LISTS: list[QualityList]

    def derive(
        self, staged: dict[str, pd.DataFrame], final: dict[str, pd.DataFrame]
    ) -> dict[str, pd.DataFrame]: ...


#: The table modules in build order: each may read the final tables of those before it
#: (``tables_policy`` reads ``counties``, ``county_population`` and ``county_covariates``;
#: ``tables_offenses`` reads ``agencies``).
TABLE_MODULES: tuple[TableModule, ...] = (
    tables_core,
    tables_policy,
    tables_arrests,
    tables_offenses,
)


def module_name(module: TableModule) -> str:
    """The short name of a table module (``tables_core`` ...), as the contract names it."""
    return module.__name__.rsplit(".", 1)[-1]
