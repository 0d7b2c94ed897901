"""``meshfarm client …``: the SDK from a terminal, with progress bars.

Waiting (``--wait``, ``watch``) can be left with Ctrl-C at any time: the renders go on on
the farm, and the command prints the ``meshfarm client watch …`` that picks them up again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from meshfarm_client import bars, catalogue
from meshfarm_client.client import Client
from meshfarm_client.config import Credentials, config_path, save
from meshfarm_client.errors import ApiError, MeshfarmError
from meshfarm_client.models import Render

app = typer.Typer(
    help="Talk to a meshfarm farm (its dx.gl v1 API): upload, render, watch, download.",
    no_args_is_help=True,
)
models_app = typer.Typer(help="The account's models: list, tag, archive.", no_args_is_help=True)
app.add_typer(models_app, name="models")
out = Console()
err = Console(stderr=True)
INTERRUPTED = 130
WHATS = ("video", "web", "poster", "thumb", "bundle", "dataset")

RenderOption = Annotated[
    str | None,
    typer.Option(
        "--render",
        "--settings",
        help="Render settings: a JSON object, @file.json, or name=value,name=value "
        "(quality=4k,aspect=1:1).",
    ),
]
WaitOption = Annotated[bool, typer.Option("--wait", help="Watch the renders until they end.")]


def _fail(message: str) -> NoReturn:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(1)


@contextmanager
def _farm() -> Iterator[Client]:
    """The logged-in client; the SDK's errors become one line and exit status 1."""
    try:
        with Client.from_config() as client:
            yield client
    except ApiError as exc:
        _fail(f"{exc.message} ({exc.code}, HTTP {exc.status})")
    except (MeshfarmError, catalogue.CatalogueError, OSError) as exc:
        _fail(str(exc))


def _settings(text: str | None) -> dict[str, Any]:
    try:
        return catalogue.parse_settings(text)
    except (catalogue.CatalogueError, OSError) as exc:
        _fail(str(exc))


def _watch(client: Client, render_ids: Sequence[str]) -> dict[str, Render]:
    """Bars until the renders end; Ctrl-C says how to come back and exits 130."""
    try:
        ended = bars.watch(client, render_ids, err)
    except KeyboardInterrupt:
        err.print(
            "\nStopped watching; the renders go on on the farm. Resume with:\n"
            f"  meshfarm client watch {' '.join(render_ids)}"
        )
        raise typer.Exit(INTERRUPTED) from None
    failed = [r for r in ended.values() if r.status != "done"]
    for render in failed:
        err.print(f"[red]{render.id} {render.status}:[/red] {render.error_message or ''}")
    if failed:
        raise typer.Exit(1)
    return ended


@app.command()
def login(
    url: Annotated[str, typer.Option(help="The farm's base URL (http://host:8000).")],
    token: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, help="A dxgl_sk_… token (asked if left out)."),
    ],
) -> None:
    """Check the token against the farm and keep both in the config file (mode 0600)."""
    credentials = Credentials(url.rstrip("/"), token.strip())
    try:
        with Client.from_config(credentials) as client:
            account = client.account()
    except MeshfarmError as exc:
        _fail(f"cannot log in to {url}: {exc}")
    path = save(credentials)
    out.print(f"Logged in to {credentials.base_url} as {account.email} ({account.credits} credits)")
    out.print(f"Credentials kept in {path}")


@app.command()
def upload(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True)],
    render: RenderOption = None,
    wait: WaitOption = False,
) -> None:
    """Upload model files; each starts a render with the given settings."""
    settings = _settings(render)
    with _farm() as client:
        render_ids = []
        with bars.transfer_bars(err) as transfers:
            for path in files:
                with bars.transfer(transfers, path.name) as report:
                    done = client.upload(path, settings or None, progress=report)
                render_ids.append(done.render_id)
                note = " (already uploaded: a new render of it)" if done.duplicate else ""
                out.print(f"{path.name}: model {done.model_id}, render {done.render_id}{note}")
        if wait:
            _watch(client, render_ids)


@app.command("render")
def render_models(
    model_ids: Annotated[list[str], typer.Argument(help="Model ids.")],
    render: RenderOption = None,
    wait: WaitOption = False,
) -> None:
    """Start one render of each model with the given settings."""
    settings = _settings(render)
    with _farm() as client:
        if len(model_ids) == 1:
            render_ids = [client.render(model_ids[0], settings).id]
        else:
            render_ids = [b.id for b in client.batch((m, settings) for m in model_ids)]
        for model_id, render_id in zip(model_ids, render_ids, strict=True):
            out.print(f"model {model_id}: render {render_id}")
        if wait:
            _watch(client, render_ids)


@app.command()
def batch(
    source: Annotated[Path, typer.Argument(exists=True, help="A folder of models or a CSV.")],
    render: RenderOption = None,
    wait: WaitOption = False,
    download_to: Annotated[
        Path | None,
        typer.Option("--download", "-o", help="When done, download each render here."),
    ] = None,
) -> None:
    """A catalogue: every model of a folder, or one render per CSV row (docs/client.md)."""
    settings = _settings(render)
    with _farm() as client:
        rows = catalogue.read(source, settings)
        made = _run_batch(client, rows)
        table = Table("line", "model", "source", "render")
        for row, (model_id, render_id) in zip(rows, made, strict=True):
            table.add_row(str(row.line), model_id, row.source, render_id)
        out.print(table)
        render_ids = [render_id for _, render_id in made]
        if wait or download_to is not None:
            ended = _watch(client, render_ids)
            if download_to is not None:
                _download_all(client, list(ended.values()), download_to)


def _run_batch(client: Client, rows: list[catalogue.Row]) -> list[tuple[str, str]]:
    """Each file uploaded once (its first row's settings), every other row one render in
    batches of 100; (model id, render id) per row, in the rows' order."""
    made: dict[int, tuple[str, str]] = {}
    uploaded: dict[Path, str] = {}
    later: list[tuple[catalogue.Row, str]] = []
    with bars.transfer_bars(err) as transfers:
        for row in rows:
            if row.file is None:
                later.append((row, str(row.model_id)))
            elif row.file in uploaded:
                later.append((row, uploaded[row.file]))
            else:
                with bars.transfer(transfers, row.file.name) as report:
                    done = client.upload(row.file, row.settings or None, progress=report)
                uploaded[row.file] = done.model_id
                made[row.line] = (done.model_id, done.render_id)
                _describe(client, row, done.model_id)
    for start in range(0, len(later), 100):
        chunk = later[start : start + 100]
        items = client.batch((model_id, row.settings) for row, model_id in chunk)
        for (row, model_id), item in zip(chunk, items, strict=True):
            made[row.line] = (model_id, item.id)
            _describe(client, row, model_id)
    return [made[row.line] for row in rows]


def _describe(client: Client, row: catalogue.Row, model_id: str) -> None:
    fields: dict[str, Any] = {"title": row.title, "sku": row.sku}
    fields = {k: v for k, v in fields.items() if v is not None}
    if row.tags:
        client.tag_model(model_id, add=row.tags)
    if fields:
        client.update_model(model_id, **fields)


def _download_all(client: Client, renders: list[Render], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with bars.transfer_bars(err) as transfers:
        for render in renders:
            what = "dataset" if render.is_dataset else "video"
            with bars.transfer(transfers, f"{render.id} {what}") as report:
                path = client.download(render.id, what, folder, progress=report)
            out.print(f"{render.id}: {path}")


@app.command()
def status(
    render_ids: Annotated[
        list[str] | None, typer.Argument(help="Renders (default: latest).")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many of the latest renders.")] = 20,
) -> None:
    """A table of renders: status, progress, time left."""
    with _farm() as client:
        if render_ids:
            renders = [client.get_render(r) for r in render_ids]
        else:
            renders = client.renders(limit=limit).data
        table = Table("render", "model", "status", "progress", "eta", "quality", "error")
        for r in renders:
            progress = "" if r.progress is None else f"{r.progress}%"
            eta = "" if r.eta is None else f"{r.eta:.0f} s"
            quality = str(r.render_settings.get("quality") or r.render_settings.get("output", ""))
            table.add_row(r.id, r.model_id, r.status, progress, eta, quality, r.error_message or "")
        out.print(table)


@app.command()
def watch(render_ids: Annotated[list[str], typer.Argument(help="Render ids.")]) -> None:
    """Progress bars until the renders end (Ctrl-C stops watching, not the renders)."""
    with _farm() as client:
        _watch(client, render_ids)


@app.command()
def download(
    render_id: str,
    what: Annotated[str, typer.Option(help=f"One of {', '.join(WHATS)}.")] = "video",
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder (or file).")] = Path("."),
) -> None:
    """Download a done render's file; an interrupted download resumes where it stopped."""
    if what not in WHATS:
        _fail(f"--what must be one of {', '.join(WHATS)}")
    with _farm() as client, bars.transfer_bars(err) as transfers:
        with bars.transfer(transfers, f"{render_id} {what}") as report:
            try:
                path = client.download(render_id, what, output, progress=report)
            except ValueError as exc:
                _fail(str(exc))
        out.print(str(path))


@app.command()
def quote(
    settings: Annotated[
        list[str] | None,
        typer.Argument(help="One render's settings per argument (JSON or name=value,…)."),
    ] = None,
) -> None:
    """What the renders would cost, and whether the account can pay."""
    items = [_settings(s) for s in settings or ["{}"]]
    with _farm() as client:
        answer = client.quote(items)
    table = Table("item", "tier", "credits")
    for i, line in enumerate(answer.breakdown):
        table.add_row(str(i), line.quality or f"dataset {line.dataset_quality}", str(line.credits))
    out.print(table)
    verdict = "enough" if answer.sufficient else "[red]not enough[/red]"
    out.print(
        f"{answer.credits_required} credits required, {answer.credits_available} available: "
        f"{verdict}"
    )


@app.command()
def account() -> None:
    """The account's email and credits."""
    with _farm() as client:
        me = client.account()
    out.print(f"{me.email}: {me.credits} credits")


@models_app.command("ls")
def models_ls(
    tags: Annotated[str | None, typer.Option(help="Comma-separated tags (any of them).")] = None,
    archived: Annotated[bool, typer.Option(help="List archived models instead.")] = False,
    limit: int = 50,
    offset: int = 0,
) -> None:
    """The account's models, newest first."""
    wanted = [t for t in (tags or "").split(",") if t.strip()]
    with _farm() as client:
        page = client.models(limit=limit, offset=offset, tags=wanted, archived=archived)
    table = Table("model", "name", "title", "sku", "tags", "size", "created")
    for m in page.data:
        table.add_row(
            m.id,
            m.original_name,
            m.title or "",
            m.sku or "",
            ", ".join(m.tags),
            f"{m.file_size:,}",
            m.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    out.print(table)
    out.print(f"{len(page.data)} of {page.meta.total} (offset {page.meta.offset})")


@models_app.command("tag")
def models_tag(
    model_id: str,
    tags: Annotated[list[str], typer.Argument(help="Tags to add.")],
    remove: Annotated[bool, typer.Option("--remove", help="Take these tags off.")] = False,
) -> None:
    """Add tags to a model (or take them off with --remove)."""
    with _farm() as client:
        model = (
            client.tag_model(model_id, remove=tags) if remove else client.tag_model(model_id, tags)
        )
    out.print(f"{model.id}: {', '.join(model.tags) or '(no tags)'}")


@models_app.command("archive")
def models_archive(
    model_ids: list[str],
    undo: Annotated[bool, typer.Option("--undo", help="Unarchive instead.")] = False,
) -> None:
    """Archive models (hidden from `models ls`; --undo restores them)."""
    with _farm() as client:
        for model_id in model_ids:
            model = client.archive_model(model_id, archived=not undo)
            out.print(f"{model.id}: {'archived' if model.archived else 'active'}")


@app.command("config")
def show_config() -> None:
    """Where the login is kept."""
    out.print(str(config_path()))
