"""Short job ids: the CLI prints the first 8 characters of an id, so every ``dia3 jobs``
command takes any unique prefix and resolves it through the API (``GET /jobs?id_prefix=``,
which sees exactly the jobs this key may open)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from app.cli.output import api_call

if TYPE_CHECKING:
    from app.client import DIA3Client

ID_LENGTH = 32  # job ids are uuid4 hex
SHOWN_CANDIDATES = 5


def resolve(client: DIA3Client, given: str) -> str:
    """The full id of the one job whose id starts with ``given``; a click error when none
    does or several do (listing some of them)."""
    prefix = given.strip().lower()
    if len(prefix) == ID_LENGTH:
        return prefix
    if not prefix or len(prefix) > ID_LENGTH or any(c not in "0123456789abcdef" for c in prefix):
        raise click.BadParameter(f"{given!r} is not a job id or the start of one "
                                 "(hexadecimal characters)", param_hint="JOB_ID")
    page = api_call(client.jobs, id_prefix=prefix, all_tenants="true",
                    limit=SHOWN_CANDIDATES + 1)
    matches = page["items"]
    if not matches:
        raise click.ClickException(f"no job id starts with {prefix}")
    if len(matches) > 1:
        listed = "\n".join(f"  {job['id']}  {job['workflow']}  {job['state']}"
                           for job in matches[:SHOWN_CANDIDATES])
        more = "\n  …" if len(matches) > SHOWN_CANDIDATES else ""
        raise click.ClickException(f"{prefix} is ambiguous: it starts several job ids; "
                                   f"give more characters\n{listed}{more}")
    return matches[0]["id"]
