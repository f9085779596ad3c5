"""The `voxhall` command: `voxhall --help` lists everything it can do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

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


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo's audio and report.")] = Path(
        "demo-out"
    ),
) -> None:
    """Run the voice loop on bundled models and sample speech, with no accounts needed.

    Starts the speech services on loopback, speaks sample sentences and transcribes them back,
    and prints each round trip with its timings and word error rate.
    """
    from bot.demo import run_demo

    run_demo(out)


@app.command()
def worker(
    threads: Annotated[
        int | None, typer.Option(help="Worker threads (default: VOXHALL_TASKS_WORKER_THREADS).")
    ] = None,
) -> None:
    """Run the Dramatiq worker for every job module (GitHub and AWS jobs) until Ctrl-C.

    Needs Redis at VOXHALL_REDIS_URL. Without Redis, each process runs its own jobs in
    single-machine mode and no separate worker is needed.
    """
    from voxhall.tasks import run_worker
    from voxhall.telemetry import configure_logging

    configure_logging(Settings().common.log_level)
    try:
        run_worker(threads=threads)
    except RuntimeError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error


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
