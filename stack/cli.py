"""The `voxhall` command: `voxhall --help` lists everything it can do.

Each command imports the parts it runs when it runs, so `--help` answers at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ledgers.cli import ledger_app

app = typer.Typer(
    help="Voxhall, a voice assistant that lives in Discord: run the demo, the services, "
    "and the maintainers' tools.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
config_app = typer.Typer(help="Inspect Voxhall's configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")
avatar_app = typer.Typer(help="Render lip-synced avatar clips.", no_args_is_help=True)
app.add_typer(avatar_app, name="avatar")
app.add_typer(ledger_app, name="ledger")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the demo's audio and report.")] = Path(
        "demo-out"
    ),
    yes: Annotated[
        bool, typer.Option("--yes", help="Approve the booking without asking at the terminal.")
    ] = False,
    discord: Annotated[
        bool,
        typer.Option(
            "--discord",
            help="Play the conversation through the real Discord bot and a local Discord "
            "stand-in (gateway, voice with DAVE, RTP over UDP, REST) instead of the "
            "conversation core's local ports; no Discord account or network needed.",
        ),
    ] = False,
) -> None:
    """Run the whole voice loop on bundled models and sample speech, no accounts needed.

    Two people's sample speech plays through the bot's conversation core with local
    speech-to-text, the agent on the local model with a calendar, and text-to-speech: a
    calendar question, chatter, a booking that needs approval, an interruption. A live
    transcript shows each stage's timing; everything is written to the output folder.
    With --discord the same lines go through the bot's real Discord edge instead.
    """
    from stack.demo import run_demo

    run_demo(out, approve_all=yes, discord=discord)


@app.command("bot")
def discord_bot(
    print_commands: Annotated[
        bool, typer.Option("--print-commands", help="Print the slash commands' JSON and exit.")
    ] = False,
    sync: Annotated[
        bool, typer.Option("--sync", help="Register the slash commands with Discord and exit.")
    ] = False,
    guild: Annotated[
        int | None,
        typer.Option(help="With --sync: register in this guild only (instant, for development)."),
    ] = None,
) -> None:
    """Run the Discord bot until Ctrl-C (needs VOXHALL_DISCORD_TOKEN and the services).

    Slash commands are not registered on start: use --sync --guild ID while developing
    (instant), --sync alone once per release (global).
    """
    from stack.bot_runner import MissingTokenError, command_payloads, run_bot, sync_commands
    from stack.settings import Settings

    settings = Settings()
    try:
        if print_commands:
            typer.echo(json.dumps(command_payloads(settings), indent=2))
        elif sync:
            names = sync_commands(settings, guild)
            where = f"guild {guild}" if guild else "every guild (global)"
            typer.echo(f"synced {len(names)} commands to {where}: {', '.join(names)}")
        else:
            run_bot(settings)
    except MissingTokenError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error


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
    from stack.jobs import JOB_MODULES
    from stack.settings import Settings
    from voxhall.tasks import run_worker
    from voxhall.telemetry import configure_logging

    settings = Settings()
    configure_logging(settings.common.log_level)
    sections = [getattr(settings, name) for name in Settings.model_fields]
    try:
        run_worker(JOB_MODULES, sections=sections, threads=threads)
    except RuntimeError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error


@app.command()
def up(
    only: Annotated[
        str | None,
        typer.Option(help="Comma-separated parts to run (stt,tts,llm,github,calendar,...)."),
    ] = None,
    mcp: Annotated[bool, typer.Option(help="Run the four MCP servers over HTTP.")] = True,
    ready_timeout: Annotated[
        float, typer.Option(help="Seconds to wait for every part to be healthy.")
    ] = 300.0,
) -> None:
    """Run stt, tts, llm, the MCP servers and (with Redis) the worker until Ctrl-C.

    Each part is a supervised process with a health check, prefixed output and restarts.
    """
    from stack.supervisor import UnknownPartError, run_up

    names = [name.strip() for name in only.split(",") if name.strip()] if only else None
    try:
        code = run_up(names, with_mcp=mcp, ready_timeout_s=ready_timeout)
    except UnknownPartError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    raise typer.Exit(code)


@avatar_app.command("render")
def avatar_render(
    text: Annotated[str, typer.Option(help="What the avatar says.")],
    out: Annotated[Path, typer.Option(help="Where to write the MP4 clip.")] = Path("clip.mp4"),
    avatar: Annotated[
        str | None, typer.Option(help="Avatar name (default: VOXHALL_AVATAR_DEFAULT_AVATAR).")
    ] = None,
) -> None:
    """Speak TEXT with the bundled voice and render its lip-synced avatar clip (H.264 MP4)."""
    from stack.avatar import render_clip_cli
    from tts_service.avatar.avatars import AvatarError
    from tts_service.avatar.errors import AvatarRenderError

    try:
        clip = render_clip_cli(text, out, avatar)
    except (AvatarError, AvatarRenderError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"wrote {out} ({len(clip.data) / 1000:.0f} kB, {clip.provider} provider)")


@config_app.command("env-example")
def config_env_example() -> None:
    """Print every setting with its default, in .env format (this is .env.example)."""
    from stack.settings import Settings
    from voxhall.settings import env_example

    typer.echo(env_example(Settings), nl=False)


@config_app.command("show")
def config_show() -> None:
    """Print the settings in effect (environment and .env applied), secrets masked."""
    from pydantic import SecretStr

    from stack.settings import Settings

    settings = Settings()

    def masked(value: object) -> object:
        return "**********" if isinstance(value, SecretStr) else value

    effective = {
        section: {name: masked(value) for name, value in dict(getattr(settings, section)).items()}
        for section in Settings.model_fields
    }
    typer.echo(json.dumps(effective, indent=2, default=str))
