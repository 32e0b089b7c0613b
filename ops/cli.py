"""`pulse`: operator tasks — run a service, the local stack, the whole system, the docs."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Annotated

import typer

from ops import stack as local_stack
from ops import system

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
def stop(
    services: Annotated[
        list[str] | None,
        typer.Argument(help="Only these services (the infrastructure keeps running)."),
    ] = None,
) -> None:
    """Stop the services and the local stack (`make stop`), or only the services named."""
    unknown = sorted(set(services or ()) - set(SERVICE_NAMES))
    if unknown:
        raise typer.BadParameter(f"no service {', '.join(unknown)}; one of {SERVICE_NAMES}")
    system.stop(typer.echo, services or ())


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
    help="API keys: each names an agency, its partnerships and its roles; only hashes are stored.",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    key_id: Annotated[str, typer.Option("--id", help="a name for the key, e.g. police-ingest")],
    agency: Annotated[str, typer.Option(help="the agency the key submits as")],
    file: Annotated[Path, typer.Option(help="the key file (API_KEYS_FILE) to add it to")],
    partnership: Annotated[
        list[str],
        typer.Option(
            help="a partnership the key acts for (repeat for several; '*' = every one, "
            "trusted-system keys only)"
        ),
    ],
    role: Annotated[
        list[str] | None,
        typer.Option(
            help="submit (default), decide (the MASH front door), staff, trusted-system; "
            "repeat for several"
        ),
    ] = None,
    staff: Annotated[bool, typer.Option(help="also the staff role (as --role staff)")] = False,
) -> None:
    """Create a key, add its hash to the key file, and print the key once."""
    import json

    from shared.auth import STAFF, SUBMIT, new_key_entry

    entries = json.loads(file.read_text()) if file.exists() else []
    if any(e["id"] == key_id for e in entries):
        typer.echo(f"error: {file} already has a key {key_id!r}", err=True)
        raise typer.Exit(1)
    roles = set(role or [SUBMIT]) | ({STAFF} if staff else set())
    try:
        key, entry = new_key_entry(key_id, agency, roles, partnerships=partnership)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    file.write_text(json.dumps([*entries, entry], indent=2))
    typer.echo(key)


@app.command()
def simulate(
    seed: Annotated[int, typer.Option(help="The same seed gives the same year, ids included.")] = 1,
    partnerships: Annotated[
        int, typer.Option(min=1, max=999, help="How many partnerships (p01, p02, ...).")
    ] = 1,
    scale: Annotated[
        float, typer.Option(min=0.0001, help="Volume; 1 = one county's year (~24,000 contacts).")
    ] = 1.0,
    year: Annotated[str, typer.Option(help="Financial year, e.g. 2020-21.")] = "2020-21",
    years: Annotated[
        str | None,
        typer.Option(
            help="Several financial years, oldest first, e.g. 2020-21,2021-22,2022-23 (instead "
            "of --year): each year gets its own ids and complete figures; learners recur."
        ),
    ] = None,
    via: Annotated[str, typer.Option(help="kafka, http or both.")] = "kafka",
    part: Annotated[
        list[str] | None,
        typer.Option(help="frontdoor, reviews or training (repeat; default: all three)."),
    ] = None,
    intake_url: Annotated[str | None, typer.Option(help="Default http://127.0.0.1:8001.")] = None,
    reviews_url: Annotated[str | None, typer.Option(help="Default http://127.0.0.1:8002.")] = None,
    bootstrap_servers: Annotated[
        str | None, typer.Option(envvar="KAFKA_BOOTSTRAP_SERVERS", help="Default: local stack.")
    ] = None,
    topic_prefix: Annotated[str, typer.Option(envvar="TOPIC_PREFIX")] = "",
    api_key: Annotated[
        str | None,
        typer.Option(
            envvar="PULSE_API_KEY",
            help="A key with the trusted-system and decide roles (for HTTP).",
        ),
    ] = None,
    totals_out: Annotated[
        Path | None, typer.Option(help="Write the simulator's own totals here (JSON).")
    ] = None,
) -> None:
    """Publish a simulated partnership year through the real inbound paths."""
    from ops import simulate as sim
    from ops.progress import progress as progress_display

    if via not in ("kafka", "http", "both"):
        raise typer.BadParameter("kafka, http or both", param_hint="--via")
    try:
        options = sim.SimulateOptions(
            seed=seed,
            partnerships=partnerships,
            scale=scale,
            year=year,
            via=via,  # type: ignore[arg-type]  # checked above
            parts=tuple(part) if part else sim.PARTS,
            bootstrap_servers=bootstrap_servers or sim.default_bootstrap(),
            topic_prefix=topic_prefix,
            intake_url=intake_url or sim.default_url("intake"),
            reviews_url=reviews_url or sim.default_url("reviews"),
            api_key=api_key or _dev_service_key(),
            totals_out=totals_out,
        )
        with progress_display() as progress:
            if years:  # --totals-out then holds every year's result, by year
                results = sim.simulate_years(options, sim.years_of(years), progress)
            else:
                results = {year: sim.simulate(options, progress)}
    except (ValueError, sim.SimulationError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    for result in results.values():
        for line in sim.summary(result):
            typer.echo(line)


def _dev_service_key() -> str | None:
    """The local run's trusted-system key, if `make run` made one."""
    import json

    from ops.paths import state_dir

    keys = state_dir() / "dev-keys.json"
    if keys.exists():
        found: str | None = json.loads(keys.read_text()).get("simulator")
        return found
    return None


@app.command()
def bench(
    events: Annotated[
        int, typer.Option(min=1000, help="Events for the raw and sustained runs (issue: 1000000).")
    ] = 100_000,
    rate: Annotated[
        int, typer.Option(min=0, help="Latency phase: events per second (0 skips it).")
    ] = 1000,
    latency_seconds: Annotated[float, typer.Option(help="Latency phase: how long.")] = 30.0,
    raw: Annotated[bool, typer.Option("--raw/--no-raw", help="Measure the raw ceiling.")] = True,
    pipeline: Annotated[bool, typer.Option("--pipeline/--no-pipeline")] = True,
    rebuild: Annotated[bool, typer.Option("--rebuild/--no-rebuild")] = True,
    service_env: Annotated[
        list[str] | None,
        typer.Option(help="KEY=VALUE for the services the bench starts (repeat)."),
    ] = None,
    keep: Annotated[bool, typer.Option(help="Keep the bench's topics and databases.")] = False,
    write: Annotated[
        bool, typer.Option("--write/--no-write", help="Update docs/benchmarks.md.")
    ] = True,
) -> None:
    """Measure the raw Kafka ceiling, the pipeline, latency and rebuild; write the figures."""
    import shlex
    import sys

    from ops import bench as measure
    from ops.progress import progress as progress_display

    env = dict(item.split("=", 1) for item in service_env or [] if "=" in item)
    options = measure.BenchOptions(
        events=events,
        rate=rate,
        latency_seconds=latency_seconds,
        raw=raw,
        pipeline=pipeline,
        rebuild=rebuild,
        service_env=env,
        keep=keep,
        doc=measure.DOC if write else None,
        command=shlex.join(["pulse", *sys.argv[1:]]),
    )
    with progress_display() as progress:
        result = measure.bench(options, progress)
    for line in result.lines():
        typer.echo(line)
    if write:
        typer.echo(f"figures written to {measure.DOC}")
    if result.failures:
        raise typer.Exit(1)


reporting_app = typer.Typer(help="Reporting operations.", no_args_is_help=True)
app.add_typer(reporting_app, name="reporting")


@reporting_app.command("rebuild")
def reporting_rebuild(
    force: Annotated[
        bool, typer.Option(help="Rebuild even while reporting's consumer group has members.")
    ] = False,
) -> None:
    """Replay every canonical topic from the beginning into fresh read models (run it while
    the reporting service is stopped: it refuses otherwise, and when a canonical topic's
    history has been cut); settings come from the
    environment, as for the service itself, with the local stack's addresses where it names
    none."""
    import asyncio

    from rich.progress import BarColumn, MofNCompleteColumn, TimeRemainingColumn

    from ops.progress import progress as progress_display
    from services.reporting.main import SETTINGS as REPORTING_SETTINGS
    from services.reporting.rebuild import HistoryCut, ReportingRunning
    from services.reporting.rebuild import rebuild as replay
    from shared.settings import load_settings

    settings = load_settings(REPORTING_SETTINGS, **_local_defaults())
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with progress_display(*columns) as bar:
        task = bar.add_task("replaying canonical events", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            result = asyncio.run(replay(settings, progress, force=force))
        except (ReportingRunning, HistoryCut) as exc:
            bar.stop()
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
    typer.echo(
        f"rebuilt {result.database}: {result.events} events replayed "
        f"({result.unusable} unusable), {result.years} partnership-years recomputed "
        f"in {result.seconds:.1f}s ({result.events / max(result.seconds, 1e-9):,.0f} events/s: "
        f"{result.describe_phases()})"
    )


erase_app = typer.Typer(
    help="Erase a contact, or a child's contacts, from every service (and keep them out).",
    no_args_is_help=True,
)
app.add_typer(erase_app, name="erase")


def _erase(partnership: str, contact_ids: list[str], child_ref: str | None) -> None:
    import asyncio

    from ops.erase import erase
    from services.intake.main import SETTINGS as INTAKE_SETTINGS
    from services.reporting.main import SETTINGS as REPORTING_SETTINGS
    from shared.settings import load_settings

    done = asyncio.run(
        erase(
            load_settings(INTAKE_SETTINGS, **_local_defaults()),
            load_settings(REPORTING_SETTINGS, **_local_defaults()),
            partnership,
            contact_ids=contact_ids,
            child_ref=child_ref,
        )
    )
    if not done.contacts:
        typer.echo(f"{partnership}: no such contact; nothing erased", err=True)
        raise typer.Exit(1)
    years = ", ".join(done.years) or "none"
    typer.echo(
        f"{partnership}: erased {done.contacts} contact(s) ({done.records} intake records); "
        f"figures recomputed for: {years}. Later events about them are refused, and "
        "rebuilds skip them."
    )


@erase_app.command("contact")
def erase_contact(
    partnership: Annotated[str, typer.Option(help="The contact's partnership.")],
    contact_ids: Annotated[list[str], typer.Argument(help="Contact ids to erase.")],
) -> None:
    """Erase contacts by id."""
    _erase(partnership, contact_ids, None)


@erase_app.command("child")
def erase_child(
    partnership: Annotated[str, typer.Option(help="The child's partnership.")],
    child_ref: Annotated[str, typer.Argument(help="The child reference agencies sent.")],
) -> None:
    """Erase every contact about one child reference."""
    _erase(partnership, [], child_ref)


def _local_defaults() -> dict[str, object]:
    """For an operation run beside `make run`: the infrastructure of `pulse start` (the
    environment's, else the local stack). It serves no HTTP, so it needs no key file."""
    import os

    infra = system.infra_or_local_stack()
    defaults: dict[str, object] = {
        "kafka_bootstrap_servers": infra.kafka_bootstrap_servers,
        "mongodb_url": infra.mongodb_url,
    }
    if not os.environ.get("API_KEYS_FILE"):
        defaults["auth_disabled"] = True
    return defaults


@app.command()
def docs(
    check: Annotated[bool, typer.Option(help="fail if the generated docs are out of date")] = False,
) -> None:
    """Generate docs/events.md, docs/asyncapi/*.json and docs/openapi/*.json from the code."""
    from ops import docs as generator

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
