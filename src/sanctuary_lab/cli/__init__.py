"""The `sanctuary-lab` command line.

Each command is defined in a module of this package (``cli/warehouse.py``, ``cli/studies.py``,
``cli/report.py``, ``cli/multiverse.py``) and registered in :data:`COMMANDS`; those modules keep
heavy imports inside the command functions so that `sanctuary-lab --help` stays fast.
Errors a user can cause print one line on stderr and exit with code 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import typer

from sanctuary_lab.cli import help as cli_help
from sanctuary_lab.cli import multiverse as multiverse_commands
from sanctuary_lab.cli import report as report_commands
from sanctuary_lab.cli import sources as sources_commands
from sanctuary_lab.cli import studies as studies_commands
from sanctuary_lab.cli import warehouse as warehouse_commands
from sanctuary_lab.core.errors import SanctuaryLabError

cli_help.install()

app = typer.Typer(
    name="sanctuary-lab",
    help="Open evidence engine for immigration-enforcement policy and public safety.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: The command registry: command name -> function, in the order ``--help`` lists them.
COMMANDS: dict[str, Callable[..., Any]] = {
    "build": warehouse_commands.build,
    "info": warehouse_commands.info,
    "quality": warehouse_commands.quality,
    "studies": studies_commands.studies_command,
    "run": studies_commands.run_command,
    "check": studies_commands.check_command,
    "report": report_commands.report_command,
    "multiverse": multiverse_commands.multiverse_command,
    "sources": sources_commands.sources_command,
}

for _name, _fn in COMMANDS.items():
    app.command(_name)(_fn)


DEBUG_ENV = "SANCTUARY_LAB_DEBUG"


def _usage_error_classes() -> tuple[type[BaseException], ...]:
    """``UsageError`` of typer's bundled click (typer >= 0.29) and of a standalone click."""
    classes: list[type[BaseException]] = []
    for module_name in ("typer._click.exceptions", "click.exceptions"):
        try:
            module = __import__(module_name, fromlist=["UsageError"])
        except ImportError:
            continue
        classes.append(module.UsageError)
    return tuple(classes)


def _click_exception_classes() -> tuple[type[BaseException], ...]:
    classes: list[type[BaseException]] = []
    for module_name in ("typer._click.exceptions", "click.exceptions"):
        try:
            module = __import__(module_name, fromlist=["ClickException"])
        except ImportError:
            continue
        classes.append(module.ClickException)
    return tuple(classes)


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _split_debug(argv: list[str]) -> tuple[list[str], bool]:
    """Remove a global ``--debug`` flag (before any ``--``) from ``argv``."""
    import os

    debug = os.environ.get(DEBUG_ENV, "") not in ("", "0")
    out: list[str] = []
    for i, arg in enumerate(argv):
        if arg == "--":
            out.extend(argv[i:])
            break
        if arg == "--debug":
            debug = True
            continue
        out.append(arg)
    return out, debug


def main() -> None:
    """Console-script entry point: one-line errors and exit code 2 for anything a user can cause.

    ``--debug`` (anywhere on the command line) or ``SANCTUARY_LAB_DEBUG=1`` shows the traceback
    instead. Usage errors, bad input files, bad warehouse files, unreadable or unwritable paths
    all give ``error: ...`` on one line and exit code 2; an internal error gives one line naming
    its type and exit code 1.
    """
    argv, debug = _split_debug(sys.argv[1:])
    try:
        rc = app(args=argv, prog_name="sanctuary-lab", standalone_mode=False)
        if isinstance(rc, int) and rc:
            sys.exit(rc)  # click returns (not raises) the code of typer.Exit(code) here
    except SanctuaryLabError as exc:
        if debug:
            raise
        typer.echo(f"error: {_one_line(exc)}", err=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        if isinstance(exc, _usage_error_classes()):
            if debug:
                raise
            hint = ""
            ctx = getattr(exc, "ctx", None)
            if ctx is not None:
                hint = f" (see `{ctx.command_path} --help`)"
            typer.echo(f"error: {_one_line(exc.format_message())}{hint}", err=True)  # type: ignore[attr-defined]
            sys.exit(2)
        if isinstance(exc, _click_exception_classes()):
            if debug:
                raise
            typer.echo(f"error: {_one_line(exc.format_message())}", err=True)  # type: ignore[attr-defined]
            sys.exit(getattr(exc, "exit_code", 1) or 1)
        if debug:
            raise
        if isinstance(exc, OSError):
            name = exc.filename if exc.filename is not None else ""
            what = exc.strerror or type(exc).__name__
            typer.echo(f"error: {name}: {what}" if name else f"error: {what}", err=True)
            sys.exit(2)
        import duckdb

        if isinstance(exc, duckdb.Error):
            msg = _one_line(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            typer.echo(f"error: warehouse query failed: {msg}; rebuild the warehouse", err=True)
            sys.exit(2)
        msg = _one_line(exc)[:300]
        typer.echo(
            f"error: internal error ({type(exc).__name__}: {msg}); rerun with --debug for the "
            "traceback and report it",
            err=True,
        )
        sys.exit(1)
