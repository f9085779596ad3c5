"""The `voxhall` command: `voxhall --help` lists everything it can do."""

from __future__ import annotations

import json

import typer
from pydantic import SecretStr

from voxhall.settings import Settings, env_example

app = typer.Typer(
    help="Voxhall, a voice assistant that lives in Discord: run the demo, the services, "
    "and the maintainers' tools.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
config_app = typer.Typer(help="Inspect Voxhall's configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("env-example")
def config_env_example() -> None:
    """Print every setting with its default, in .env format (this is .env.example)."""
    typer.echo(env_example(), nl=False)


@config_app.command("show")
def config_show() -> None:
    """Print the settings in effect (environment and .env applied), secrets masked."""
    settings = Settings()

    def masked(value: object) -> object:
        return "**********" if isinstance(value, SecretStr) else value

    effective = {
        section: {name: masked(value) for name, value in dict(getattr(settings, section)).items()}
        for section in Settings.model_fields
    }
    typer.echo(json.dumps(effective, indent=2, default=str))
