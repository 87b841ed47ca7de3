"""`coinpos terminals issue-key|revoke-key|keys`: terminal API keys, beside the terminals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from coinpos.cli_support import STORE, AppContext, emit, json_option, pass_app, unit_of_work
from coinpos.stores.cli import terminals

if TYPE_CHECKING:
    from coinpos.db.models import ApiKey

__all__ = ["terminals"]


def _key_row(key: ApiKey, terminal_code: str) -> dict[str, Any]:
    return {
        "prefix": key.prefix,
        "terminal": terminal_code,
        "role": key.role,
        "created_at": key.created_at,
        "last_used_at": key.last_used_at,
        "revoked_at": key.revoked_at,
    }


@terminals.command("issue-key")
@click.argument("store_id", type=STORE)
@click.argument("terminal")
@click.option(
    "--role",
    type=click.Choice(["terminal", "manager"]),
    default="terminal",
    show_default=True,
    help="manager also reads sales, refunds, requests settlements and manages webhooks.",
)
@json_option
@pass_app
def issue_key(app: AppContext, store_id: str, terminal: str, role: str, as_json: bool) -> None:
    """Issue an API key for a terminal; the key is shown this once."""
    from coinpos.apikeys.service import issue_key as issue
    from coinpos.apikeys.service import parse_role
    from coinpos.stores.service import resolve_store

    with unit_of_work(app) as uow:
        store_id = resolve_store(uow, store_id).store_id
        issued = issue(uow, store_id, terminal, parse_role(role))
    row = {**_key_row(issued.record, terminal), "key": issued.key}
    emit([row], as_json, "API key (shown once: store it now)", single=True)


@terminals.command("revoke-key")
@click.argument("prefix")
@json_option
@pass_app
def revoke_key(app: AppContext, prefix: str, as_json: bool) -> None:
    """Revoke the API key with this prefix; requests with it are refused from now on."""
    from coinpos.apikeys.service import revoke_key as revoke
    from coinpos.db.models import Terminal

    with unit_of_work(app) as uow:
        key = revoke(uow, prefix)
        terminal = uow.session.get(Terminal, key.terminal_id)
        assert terminal is not None
        row = _key_row(key, terminal.code)
    emit([row], as_json, "revoked API key", single=True)


@terminals.command("keys")
@click.argument("store_id", type=STORE)
@json_option
@pass_app
def keys(app: AppContext, store_id: str, as_json: bool) -> None:
    """List a store's API keys (prefix, role, created, last used, revoked)."""
    from coinpos.apikeys.service import list_keys
    from coinpos.stores.service import resolve_store

    with unit_of_work(app) as uow:
        store_id = resolve_store(uow, store_id).store_id
        rows = [_key_row(key, code) for key, code in list_keys(uow, store_id)]
    emit(rows, as_json, "API keys")
