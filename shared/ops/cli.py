"""`pulse`: operator tasks — run a service, the local stack, the whole system, the docs."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Annotated

import typer

from shared.ops import stack as local_stack
from shared.ops import system

app = typer.Typer(
    help="Partnership Pulse operator commands.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
stack_app = typer.Typer(
    help="The local stack: Kafka and FerretDB on 127.0.0.1, no Docker.", no_args_is_help=True
)
app.add_typer(stack_app, name="stack")

SERVICE_NAMES = tuple(system.SERVICES)


def _check_service(name: str) -> str:
    if name not in SERVICE_NAMES:
        raise typer.BadParameter(f"one of {', '.join(SERVICE_NAMES)}")
    return name


@app.command()
def run(
    service: Annotated[
        str, typer.Argument(callback=_check_service, help="intake, reviews, training or reporting")
    ],
) -> None:
    """Run one service in the foreground until SIGTERM or Ctrl-C."""
    import uvicorn

    from shared.settings import load_settings

    module = importlib.import_module(f"services.{service}.main")
    settings = load_settings(module.SETTINGS)
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    uvicorn.run(
        module.create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=int(settings.graceful_timeout_s) + 5,
        access_log=False,
    )


@app.command()
def start() -> None:
    """Start everything (`make run`): infrastructure and the four services, in the background."""
    try:
        system.start(typer.echo)
    except local_stack.StackError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command()
def stop() -> None:
    """Stop the services and the local stack (`make stop`)."""
    system.stop(typer.echo)


@app.command()
def status() -> None:
    """Show what is running."""
    for name, state in {**local_stack.status(), **system.status()}.items():
        typer.echo(f"{name:<10} {state}")


@stack_app.command("up")
def stack_up() -> None:
    """Provision (first run) and start Kafka and FerretDB; wait until they answer."""
    try:
        local_stack.up(say=typer.echo)
    except local_stack.StackError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@stack_app.command("down")
def stack_down() -> None:
    """Stop Kafka and FerretDB; leaves no process behind."""
    local_stack.down(say=typer.echo)


@stack_app.command("status")
def stack_status() -> None:
    """Is the local stack running and answering?"""
    for name, state in local_stack.status().items():
        typer.echo(f"{name:<10} {state}")


keys_app = typer.Typer(
    help="API keys: each names an agency; only hashes are stored.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    key_id: Annotated[str, typer.Option("--id", help="a name for the key, e.g. police-ingest")],
    agency: Annotated[str, typer.Option(help="the agency the key submits as")],
    file: Annotated[Path, typer.Option(help="the key file (API_KEYS_FILE) to add it to")],
    staff: Annotated[bool, typer.Option(help="may read unsuppressed figures")] = False,
) -> None:
    """Create a key, add its hash to the key file, and print the key once."""
    import json

    from shared.auth import AGENCY, STAFF, new_key_entry

    entries = json.loads(file.read_text()) if file.exists() else []
    if any(e["id"] == key_id for e in entries):
        typer.echo(f"error: {file} already has a key {key_id!r}", err=True)
        raise typer.Exit(1)
    key, entry = new_key_entry(key_id, agency, [AGENCY, STAFF] if staff else [AGENCY])
    file.write_text(json.dumps([*entries, entry], indent=2))
    typer.echo(key)


@app.command()
def docs(
    check: Annotated[bool, typer.Option(help="fail if the generated docs are out of date")] = False,
) -> None:
    """Generate docs/events.md, docs/asyncapi/*.json and docs/openapi/*.json from the code."""
    from shared.ops import docs as generator

    if check:
        stale = generator.stale()
        for path in stale:
            typer.echo(f"out of date: {path}", err=True)
        if stale:
            typer.echo("run `make docs` and commit the result", err=True)
            raise typer.Exit(1)
        typer.echo("docs are up to date")
        return
    for path in generator.write():
        typer.echo(f"wrote {path}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
