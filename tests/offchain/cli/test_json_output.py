"""Every command offering `--json` prints JSON and nothing else on stdout: the whole of
stdout goes through `json.loads`. Found by walking the click tree, so a new `--json`
command must be listed here: run offline on a populated database (OFFLINE), or on a chain
(ON_CHAIN, run as separate processes by tests/chainops/test_cli_json.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal

import click
import pytest

from coinpos.apikeys.service import issue_key
from coinpos.catalogue.service import add_priced_item
from coinpos.db.engine import make_engine
from coinpos.settlement.service import SettlementRequest, request_settlement
from coinpos.unit_of_work import UnitOfWork
from tests.offchain.cli.test_bad_input import REGISTER, Workspace, _populate, leaf_commands
from tests.offchain.factories import confirmed_capture

OFFLINE: dict[str, tuple[str, ...]] = {
    "status": (),
    "config show": (),
    "customers register": ("newcomer", *REGISTER),
    "customers list": ("--all",),
    "customers show": ("minji",),
    "customers update": ("minji", "--phone", "010-1234-5678"),
    "stores create": ("Second Cafe", "--fiat", "USD"),
    "stores list": (),
    "stores show": ("{store}",),
    "terminals list": ("{store}",),
    "coins list": (),
    # Sorted, so the item is added before it is updated and listed.
    "catalogue add": ("{store}", "TEA", "--name", "Tea", "--price", "3.00", "--coin", "CPW"),
    "catalogue list": ("{store}",),
    "catalogue update": ("{store}", "LATTE", "--price", "3.50"),
    "rates show": ("CPW", "KRW"),
    "settle request": ("{store}", "CPW", "--amount", "1.00", "--key", "json-1", "--fee-bps", "0"),
    "payouts list": (),
    "payouts mark-paid": ("1", "--reference", "HANA-1"),
    "invoices show": ("{invoice}",),
    "invoices prove": ("{invoice}",),
    "invoices list": (),
    "reports sales": ("{store}",),
    "terminals issue-key": ("{store}", "POS-1"),
    "terminals keys": ("{store}",),
    # The key `populated` issues, named by its prefix.
    "terminals revoke-key": ("{key_prefix}",),
    # Nothing waits in the outbox, so no request goes to the URL.
    "notify": ("--webhook-url", "http://127.0.0.1:9/hook", "--secret", "s"),
}
ON_CHAIN = {
    "invoices create",
    "ops capture",
    "ops capture-many",
    "ops void",
    "ops refund",
    "ops sweep",
    "ops recover",
    "ops bump",
    "settle send",
    "track",
    "mining campaigns",
    "mining rewards",
    "reconcile",
}


def json_commands() -> set[str]:
    return {
        path
        for path, command in leaf_commands().items()
        if any(isinstance(p, click.Option) and "--json" in p.opts for p in command.params)
    }


def test_every_json_command_is_run_somewhere() -> None:
    found = json_commands()
    assert not found - set(OFFLINE) - ON_CHAIN, (
        f"no --json run for {found - set(OFFLINE) - ON_CHAIN}"
    )
    assert set(OFFLINE) | ON_CHAIN <= found


ISSUED_KEY_PREFIX: list[str] = []


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The bad-input workspace, with a confirmed capture so a settlement can be requested, a
    settlement already requested (its payout can be marked paid), and a catalogue item."""
    workspace = _populate(tmp_path_factory.mktemp("json"))
    engine = make_engine(f"sqlite:///{workspace.db}")
    confirmed_capture(engine, workspace.store, 1, 50_00)
    with UnitOfWork(engine) as uow:
        # A settlement of part of it, so a payout exists to be marked paid.
        request_settlement(
            uow,
            SettlementRequest(
                store_id=workspace.store, coin="CPW", idempotency_key="json-0", amount=10_00,
                fee_bps=0,
            ),
        )  # fmt: skip
    with UnitOfWork(engine) as uow:
        ISSUED_KEY_PREFIX.append(issue_key(uow, workspace.store, "POS-1").record.prefix)
        # Its own item: under xdist `catalogue add` may run in another process, or later.
        add_priced_item(uow, workspace.store, "LATTE", "Latte", "CPW", Decimal("4.50"), 10)
        uow.commit()
    engine.dispose()
    yield workspace


@pytest.mark.parametrize("command", sorted(OFFLINE))
def test_json_output__parses_whole(populated: Workspace, command: str) -> None:
    given = (arg.replace("{key_prefix}", ISSUED_KEY_PREFIX[0]) for arg in OFFLINE[command])
    args = ("--db", "sqlite:///{db}", *command.split(), *given, "--json")
    result = populated.invoke(args)
    assert result.exit_code == 0, result.stderr
    parsed = json.loads(result.stdout)
    assert parsed not in (None, "", [], {}) or command in {"payouts list"}, result.stdout


def test_json_output__not_json_is_caught(populated: Workspace) -> None:
    """Positive control: a table where JSON was asked for does not parse."""
    result = populated.invoke(("--db", "sqlite:///{db}", "stores", "list"))
    assert result.exit_code == 0
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.stdout)
