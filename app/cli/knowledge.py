"""``dia3 ingest`` and ``dia3 search``: the knowledge base from the command line, through the
REST API (so they work against any DIA3 deployment the CLI can reach)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click
from rich.table import Table

from app.cli import params
from app.cli.output import api_call, api_client, console, show_outcome, wait_with_progress
from app.workflows.knowledge.embeddings import EMBEDDER_KINDS
from app.workflows.knowledge.formats import SUPPORTED_EXTENSIONS

# One upload request stays well inside the API's default body and per-job limits.
FILES_PER_UPLOAD = 50
BYTES_PER_UPLOAD = 6 * 1024 * 1024


def expand(paths: tuple[Path, ...]) -> list[Path]:
    """Files as given; folders contribute their supported files, recursively, sorted."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*")
                            if p.is_file() and p.suffix.lower() in SUPPORTED_EXTENSIONS)
        else:
            files.append(path)
    return files


def uploads(files: list[Path]) -> Iterator[list[Path]]:
    """Groups of files for one request each (a single large file goes alone)."""
    group: list[Path] = []
    size = 0
    for path in files:
        length = path.stat().st_size
        if group and (len(group) >= FILES_PER_UPLOAD or size + length > BYTES_PER_UPLOAD):
            yield group
            group, size = [], 0
        group.append(path)
        size += length
    if group:
        yield group


def json_object(ctx, param, value: str | None) -> dict | None:
    """An option's value as a JSON object (a usage error saying where it is not)."""
    if value is None:
        return None
    try:
        return params.json_object(value, param.get_error_hint(ctx))
    except click.ClickException as exc:
        raise click.BadParameter(exc.message) from None


def ensure_collection(client, name: str, create: bool, embedder: str | None) -> None:
    from app.client import APIError
    try:
        client.collection(name)
    except APIError as exc:
        if exc.status != 404 or not create:
            raise
        info = client.create_collection(name, embedder)
        console.print(f"created collection {name} ({info['embedder']})")


@click.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--collection", "-c", required=True, help="Target collection")
@click.option("--create/--no-create", default=True, show_default=True,
              help="Create the collection when it does not exist")
@click.option("--embedder", type=click.Choice(EMBEDDER_KINDS), default=None,
              help="Embedder of a new collection (default DIA3_EMBEDDER)")
@click.option("--title", default=None, help="Title of every uploaded document")
@click.option("--source", default=None, help="Source of every uploaded document")
@click.option("--metadata", callback=json_object, default=None,
              help="JSON object of metadata for every document")
@click.option("--wait", is_flag=True, help="Show progress and the per-document outcomes")
def ingest(paths, collection, create, embedder, title, source, metadata, wait) -> None:
    """Upload files (txt, md, html, pdf; folders recursively) into a collection."""
    files = expand(paths)
    if not files:
        raise click.ClickException("no supported files found "
                                   f"({', '.join(SUPPORTED_EXTENSIONS)})")
    client = api_client()
    api_call(ensure_collection, client, collection, create, embedder)
    jobs = []
    for group in uploads(files):
        job = api_call(client.upload_documents, collection, group, title, source, metadata)
        console.print(f"submitted ingest job {job['id']} ({len(group)} files)")
        jobs.append(job)
    if wait and not all([_report(client, job) for job in jobs]):
        sys.exit(1)


def _report(client, job: dict) -> bool:
    """Wait for one ingest job and print its outcomes; True when every document landed."""
    result = show_outcome(client, api_call(wait_with_progress, client, job))
    return isinstance(result, dict) and result["totals"]["failed"] == 0


def _when(metadata: dict) -> str:
    """Where a hit sits: its time span in a video, else its chunk number."""
    if "start_time" in metadata:
        start, end = (int(float(metadata[key])) for key in ("start_time", "end_time"))
        return f"{start // 60}:{start % 60:02d}-{end // 60}:{end % 60:02d}"
    return f"chunk {metadata.get('chunk_index', '?')}"


@click.command()
@click.argument("collection")
@click.argument("query")
@click.option("-k", "k", type=click.IntRange(1, 100), default=5, show_default=True,
              help="Number of hits")
@click.option("--where", callback=json_object, default=None,
              help="Metadata filter as a JSON object, e.g. '{\"team\": \"ops\"}'")
def search(collection: str, query: str, k: int, where: dict | None) -> None:
    """Search a collection: the chunks closest in meaning to QUERY, with scores."""
    result = api_call(api_client().search, collection, query, k, where)
    table = Table(title=f"{len(result['hits'])} hits in {collection} for {query!r}")
    for column in ("#", "score", "document", "where", "text"):
        table.add_column(column)
    for rank, hit in enumerate(result["hits"], 1):
        meta = hit["metadata"]
        text = " ".join(hit["text"].split())
        table.add_row(str(rank), f"{hit['score']:.3f}", str(meta.get("title") or
                                                            hit["document_id"]),
                      _when(meta), text[:200] + ("…" if len(text) > 200 else ""))
    console.print(table)


COMMANDS = (ingest, search)
