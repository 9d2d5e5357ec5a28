"""The `sanctuary-lab` command line.

Each command is defined in the module of the area that owns it and registered here; those modules
keep heavy imports inside the command functions so that `sanctuary-lab --help` stays fast.
Errors a user can cause print one line on stderr and exit with code 2.
"""

from __future__ import annotations

import sys

import typer

from sanctuary_lab.errors import SanctuaryLabError
from sanctuary_lab.warehouse import commands as warehouse_commands

app = typer.Typer(
    name="sanctuary-lab",
    help="Open evidence engine for immigration-enforcement policy and public safety.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.command("build")(warehouse_commands.build)
app.command("info")(warehouse_commands.info)
app.command("quality")(warehouse_commands.quality)


def _register_optional() -> None:
    """Register the commands of areas that exist (studies, report, multiverse)."""
    import importlib

    for module_name, commands in (
        ("sanctuary_lab.studies.commands", ("studies", "run", "check")),
        ("sanctuary_lab.report.commands", ("report",)),
        ("sanctuary_lab.multiverse.commands", ("multiverse",)),
        ("sanctuary_lab.studies.sources_catalog", ("sources",)),
    ):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        for name in commands:
            fn = getattr(module, name.replace("-", "_") + "_command")
            app.command(name)(fn)


_register_optional()


def main() -> None:
    """Console-script entry point: one-line errors, exit code 2."""
    try:
        app(standalone_mode=False)
    except SanctuaryLabError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.exceptions.UsageError):
            typer.echo(f"error: {exc.format_message()}", err=True)
            sys.exit(2)
        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
