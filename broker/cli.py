"""The ``meshfarm`` command: run the service and administer accounts and tokens."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, Protocol

import typer
from meshfarm_client.cli import app as client_app
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from broker.db.engine import make_engine, make_session_factory, transaction
from broker.db.migrate import upgrade
from broker.jobs import billing
from broker.services import accounts
from workers.config import Settings

if TYPE_CHECKING:
    from broker.context import AppContext
    from workers.executor import Executor

app = typer.Typer(help="meshfarm: a self-hosted render farm with the dx.gl v1 API.")
admin = typer.Typer(help="Accounts, credits and API tokens.")
app.add_typer(admin, name="admin")
worker = typer.Typer(help="The worker fleet.")
app.add_typer(worker, name="worker")
app.add_typer(client_app, name="client")  # the SDK's command line: docs/client.md
err = Console(stderr=True)


def _sessions(settings: Settings) -> sessionmaker[Session]:
    upgrade(settings.resolved_database_url)
    return make_session_factory(make_engine(settings.resolved_database_url))


def _fail(exc: Exception) -> NoReturn:
    err.print(f"[red]error:[/red] {exc}")
    raise typer.Exit(1)


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when the file was there before, with looser bits
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def _announce_first_token(settings: Settings, token: str, base: str) -> None:
    """One block on stdout before the server logs anything, flushed at once (a piped stdout
    is block-buffered, and the token would surface later among the access-log lines). With
    MESHFARM_BOOTSTRAP_TOKEN_FILE the token goes only to that file (mode 0600), so that it
    is not kept in container logs."""
    who = (
        f"meshfarm first start: admin account {settings.admin_bootstrap_email} "
        f"with {settings.admin_bootstrap_credits} credits."
    )
    target = settings.bootstrap_token_file
    if target is not None:
        _write_private(target, token + "\n")
        lines = [
            who,
            f"Its API token is in {target} (mode 0600), shown nowhere else. Try it:",
            "",
            f'    curl -H "Authorization: Bearer $(cat {target})" {base}/account',
        ]
    else:
        lines = [
            who,
            "Its API token, shown only this once (store it now):",
            "",
            f"    {token}",
            "",
            "Try it:",
            "",
            f"    curl -H 'Authorization: Bearer {token}' {base}/account",
        ]
    rule = "-" * 72
    sys.stdout.write("\n".join([rule, *lines, rule]) + "\n")
    sys.stdout.flush()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[
        int | None, typer.Option(help="TCP port (default: MESHFARM_PORT, else 8000).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="GPU render slots: local worker processes, or Ray render actors."),
    ] = None,
    executor: Annotated[
        str, typer.Option(help="local (worker processes here) or ray (the fleet).")
    ] = "local",
    api_processes: Annotated[
        int | None,
        typer.Option(
            min=1, help="Processes answering the API (default: MESHFARM_API_PROCESSES, else 1)."
        ),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(help="auto, ray://host:10001, ...; default: start a local Ray instance."),
    ] = None,
) -> None:
    """Start the broker (API + dispatcher) and local worker processes."""
    import uvicorn

    from broker.app import create_app
    from broker.server import configure_logging, receive_timeouts, timed_protocol
    from workers.local_executor import LocalExecutor

    settings = Settings()
    processes = settings.api_processes if api_processes is None else api_processes
    metrics_dir = _metrics_shared_by_processes() if processes > 1 else None
    configure_logging()
    port = settings.port if port is None else port
    sessions = _sessions(settings)
    with transaction(sessions) as session:
        issued = accounts.bootstrap_admin(
            session, settings.admin_bootstrap_email, settings.admin_bootstrap_credits
        )
    base = f"http://{host}:{port}/v1"
    if issued is not None:
        _announce_first_token(settings, issued.token, base)
    else:
        typer.echo(f"meshfarm on {base} (a new token: meshfarm admin create-token --email E)")
    count = settings.workers if workers is None else workers
    if executor == "ray":
        from workers.ray_executor import RayExecutor

        pool: Executor = RayExecutor(settings, address=ray_address, workers=count)
    elif executor == "local":
        pool = LocalExecutor(settings, count)
    else:
        _fail(ValueError(f"unknown executor {executor!r} (local or ray)"))
    if metrics_dir is None:  # one process: the app's lifespan starts and stops the loops
        app_ = create_app(settings=settings)
        _loops(app_.state.ctx, pool, settings, app_.state)
        protocol = timed_protocol(receive_timeouts(settings))
        uvicorn.run(app_, host=host, port=port, log_level="info", http=protocol)
        return
    # Several API processes (broker/asgi.py) on the one socket; this one runs the loops
    # and uvicorn's supervisor, which returns once SIGTERM or SIGINT has stopped them all.
    from broker.context import AppContext

    ctx = AppContext.from_settings(settings)
    loops = _loops(ctx, pool, settings, None)
    for loop in loops:
        loop.start()
    try:
        uvicorn.run(
            "broker.asgi:api_app",
            factory=True,
            host=host,
            port=port,
            workers=processes,
            log_level="info",
            http="broker.asgi:TimedProtocol",
        )
    finally:
        for loop in loops:
            loop.stop()
        ctx.close()
        if (metrics_dir / METRICS_DIR_MARK).exists():
            shutil.rmtree(metrics_dir, ignore_errors=True)


class Loop(Protocol):
    """A background loop of the serving process: the dispatcher, janitor, webhook outbox."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def _loops(ctx: AppContext, pool: Executor, settings: Settings, state: Any) -> list[Loop]:
    """The dispatcher, the janitor (a sweep on start, then one every interval) and the
    webhook outbox; set on ``state`` (an app's) for its lifespan to start and stop."""
    from broker.dialects.refinery import views as refinery_views
    from broker.dispatcher import Dispatcher
    from broker.janitor import Janitor
    from broker.webhooks.outbox import WebhookLoop

    dispatcher = Dispatcher(ctx, pool)
    janitor = Janitor(
        ctx, grace_s=settings.janitor_grace_seconds, interval_s=settings.janitor_interval_seconds
    )
    webhooks = WebhookLoop(ctx, refinery_views.webhook_body)
    if state is not None:
        state.dispatcher, state.janitor, state.webhooks = dispatcher, janitor, webhooks
    return [dispatcher, janitor, webhooks]


METRICS_DIR_MARK = ".made-by-meshfarm-serve"


def _metrics_shared_by_processes() -> Path:
    """Prometheus' multiprocess mode, so that /metrics in any API process reports the
    dispatcher's job counters too: every process writes its values under
    PROMETHEUS_MULTIPROC_DIR. The variable is read when prometheus_client is imported,
    which this module already did, so the command starts itself again with it set (a new
    temporary directory, removed at exit, unless one was given)."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        return Path(given)
    directory = Path(tempfile.mkdtemp(prefix="meshfarm-metrics-"))
    (directory / METRICS_DIR_MARK).touch()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    os.execv(sys.executable, [sys.executable, "-m", "broker.cli", *sys.argv[1:]])


@admin.command("create-account")
def create_account(
    email: Annotated[str, typer.Option(help="Account email.")],
    credits_: Annotated[int | None, typer.Option("--credits", help="Initial credits.")] = None,
    is_admin: Annotated[bool, typer.Option("--admin", help="Admin account.")] = False,
) -> None:
    """Create an account; prints its id."""
    settings = Settings()
    initial = settings.free_signup_credits if credits_ is None else credits_
    try:
        with transaction(_sessions(settings)) as session:
            account = accounts.create_account(
                session, email, initial_credits=initial, is_admin=is_admin
            )
            typer.echo(account.id)
    except accounts.AccountError as exc:
        _fail(exc)


@admin.command("create-token")
def create_token(
    email: Annotated[str, typer.Option(help="Account email.")],
    scopes: Annotated[
        str | None, typer.Option(help="Comma-separated scopes (default all).")
    ] = None,
    expires_in_days: Annotated[int | None, typer.Option(help="Expiry in days.")] = None,
    name: Annotated[str | None, typer.Option(help="A label for the token.")] = None,
) -> None:
    """Create an API token; prints only the token (shown once)."""
    try:
        with transaction(_sessions(Settings())) as session:
            account = accounts.find_account(session, email)
            issued = accounts.issue_token(
                session, account, scopes=scopes, expires_in_days=expires_in_days, name=name
            )
        typer.echo(issued.token)
    except accounts.AccountError as exc:
        _fail(exc)


@admin.command("create-refinery-key")
def create_refinery_key(
    email: Annotated[str, typer.Option(help="Account email (created when missing).")],
    tier: Annotated[str, typer.Option(help="starter | pro | enterprise")] = "starter",
) -> None:
    """Create a USD Refinery API key (im_...); prints only the key (shown once). Revoke it
    with `meshfarm admin revoke-token im_XXXXXXXX` (its first 11 characters)."""
    from broker.dialects.refinery.keys import issue_key

    try:
        with transaction(_sessions(Settings())) as session:
            key = issue_key(session, email, tier)
        typer.echo(key)
    except accounts.AccountError as exc:
        _fail(exc)


@admin.command("create-rigyd-key")
def create_rigyd_key(
    email: Annotated[str, typer.Option(help="Account email (created when missing).")],
    test: Annotated[bool, typer.Option("--test", help="A test key (rgyd_test_...).")] = False,
) -> None:
    """Create a Rigyd API key (rgyd_live_..., or rgyd_test_... with --test); prints only the
    key (shown once). At most 10 active per account. Revoke it with
    `meshfarm admin revoke-token rgyd_live_XXXXXXXX` (its first 18 characters)."""
    from broker.dialects.rigyd.keys import issue_key

    try:
        with transaction(_sessions(Settings())) as session:
            key = issue_key(session, email, test=test)
        typer.echo(key)
    except accounts.AccountError as exc:
        _fail(exc)


@admin.command("revoke-token")
def revoke_token(
    prefix: Annotated[
        str,
        typer.Argument(
            help="Token prefix, e.g. dxgl_sk_AbCd1234, im_AbCd1234 or rgyd_live_AbCd1234"
        ),
    ],
) -> None:
    """Revoke a token by its prefix."""
    try:
        with transaction(_sessions(Settings())) as session:
            count = accounts.revoke_token(session, prefix)
        err.print(f"revoked {count} token(s)")
    except accounts.AccountError as exc:
        _fail(exc)


@admin.command()
def suspend(
    email: Annotated[str, typer.Option(help="Account email.")],
    undo: Annotated[bool, typer.Option("--undo", help="Lift the suspension.")] = False,
) -> None:
    """Suspend an account (its tokens get 403 forbidden)."""
    try:
        with transaction(_sessions(Settings())) as session:
            accounts.set_suspended(session, email, not undo)
        err.print(f"{email}: {'active' if undo else 'suspended'}")
    except accounts.AccountError as exc:
        _fail(exc)


@admin.command("add-credits")
def add_credits(
    amount: Annotated[int, typer.Argument(help="Credits to add.", min=1)],
    email: Annotated[str, typer.Option(help="Account email.")],
) -> None:
    """Add credits to an account; prints the new balance."""
    try:
        with transaction(_sessions(Settings())) as session:
            account = accounts.find_account(session, email)
            billing.grant(session, account.id, amount, "grant", "admin add-credits")
            session.flush()
            session.refresh(account)
            typer.echo(account.balance)
    except accounts.AccountError as exc:
        _fail(exc)


@admin.command("publish-overlay")
def publish_overlay(
    overlay_id: Annotated[str, typer.Argument(help="The overlay's id (from POST /v1/overlays).")],
    undo: Annotated[bool, typer.Option("--undo", help="Make it private again.")] = False,
) -> None:
    """Publish an overlay as a system overlay: every account lists it and may use it."""
    from broker.errors import OverlayNotFound
    from broker.services.overlays import set_published

    try:
        with transaction(_sessions(Settings())) as session:
            set_published(session, overlay_id, not undo)
        err.print(f"overlay {overlay_id}: {'private' if undo else 'published'}")
    except OverlayNotFound:
        _fail(ValueError(f"no overlay {overlay_id!r}"))


@app.command()
def render(
    model: Annotated[Path, typer.Argument(help="A .glb, .gltf or .zip model.", exists=True)],
    output: Annotated[Path, typer.Option("-o", "--output", help="OUT.png, OUT.mp4 or OUT.mov")],
    quality: Annotated[
        str | None, typer.Option(help="share | standard | 4k | pro (overrides --settings)")
    ] = None,
    settings: Annotated[str | None, typer.Option(help="renderSettings as JSON.")] = None,
    frame: Annotated[int, typer.Option(help="Frame to render for a PNG.", min=0)] = 0,
    bg_image: Annotated[
        Path | None,
        typer.Option(help="Background image (PNG/JPEG/WebP), cropped from bgAlign.", exists=True),
    ] = None,
    environment: Annotated[
        Path | None,
        typer.Option(
            help="Light with this equirectangular .hdr / .exr (renderSettings' environment"
            " names a server's overlay).",
            exists=True,
        ),
    ] = None,
) -> None:
    """Render a model locally, without a server: one frame to PNG, or the whole video."""
    from broker.errors import ApiError
    from broker.local import render_locally

    try:
        render_locally(
            model,
            output,
            settings,
            quality=quality,
            frame=frame,
            bg_image=bg_image,
            environment=environment,
        )
    except (ApiError, ValueError) as exc:
        _fail(exc)


@app.command("render-scenario")
def render_scenario(
    config: Annotated[
        str,
        typer.Argument(
            help='{"scenario": {lighting, dimensions, target, orbit, verticalFoV, renderSkybox,'
            ' name, model}, "outputFile": PATH} as the Khronos glTF-Render-Fidelity-Generator'
            " passes it."
        ),
    ],
) -> None:
    """Render a Khronos fidelity scenario to its outputFile (a CLI renderer backend).

    The model's rest pose at 2× the dimensions from model-viewer's orbit camera, lit only
    by the scenario's HDR, ACES tone mapping; transparent unless renderSkybox.
    """
    from broker.errors import ApiError
    from broker.local import render_scenario_locally

    try:
        out = render_scenario_locally(config)
    except (ApiError, ValueError) as exc:
        _fail(exc)
    err.print(f"wrote {out}")


@worker.command()
def drain() -> None:
    """Let running jobs finish and take no new ones (fleet-wide, until `worker resume`)."""
    from broker.fleet import set_draining

    with transaction(_sessions(Settings())) as session:
        set_draining(session, True)
    err.print("draining: running jobs finish, no new jobs are started")


@worker.command()
def resume() -> None:
    """Take new jobs again after a drain."""
    from broker.fleet import set_draining

    with transaction(_sessions(Settings())) as session:
        set_draining(session, False)
    err.print("resumed: workers take new jobs")


@app.command()
def dataset(
    model: Annotated[Path, typer.Argument(help="A .glb, .gltf or .zip model.", exists=True)],
    output: Annotated[Path, typer.Option("-o", "--output", help="OUT.zip")],
    quality: Annotated[str, typer.Option(help="100x800 | 196x1024 | 400x2048")] = "100x800",
    coverage: Annotated[str, typer.Option(help="hemisphere | sphere")] = "hemisphere",
) -> None:
    """Export a NeRF / Gaussian-Splatting training dataset locally, without a server."""
    from broker.errors import ApiError
    from broker.local import dataset_locally

    try:
        dataset_locally(model, output, quality=quality, coverage=coverage)
    except (ApiError, ValueError) as exc:
        _fail(exc)


if __name__ == "__main__":  # `python -m broker.cli`: how serve restarts itself (above)
    app()
