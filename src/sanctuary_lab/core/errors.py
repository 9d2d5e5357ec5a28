"""Errors that reach users as one clear line.

Every error a user can cause with bad input is an :class:`InputError` (bad data files) or a
:class:`SpecError` (bad arguments to a design, study or command). The CLI turns both into a single
line on stderr and exit code 2.
"""

from __future__ import annotations

from pathlib import Path


class SanctuaryLabError(Exception):
    """Base class for errors that are shown to the user as one line."""


class InputError(SanctuaryLabError):
    """A raw input file is missing, empty, malformed or holds an invalid value.

    Parameters
    ----------
    file
        The offending file (or folder).
    message
        What is wrong, and where possible what to do.
    row
        1-based data row (header excluded) where the problem was found, if any.
    field
        Column name involved, if any.
    """

    def __init__(
        self,
        file: str | Path,
        message: str,
        *,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = str(file)
        self.row = row
        self.field = field
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        return f"{': '.join([', '.join(where), self.message])}".replace("\n", " ")


class SpecError(SanctuaryLabError, ValueError):
    """A design, study, claim or command was given arguments that cannot work.

    The message says what is wrong and what to do instead.
    """
