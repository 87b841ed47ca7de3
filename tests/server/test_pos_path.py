"""The whole POS path on real parts: a terminal creates an invoice over HTTP (uvicorn on a
real port), an account pays its deposit address on anvil, `coinpos track --follow` runs as
its own process, the invoice's SSE stream (read by a real HTTP client) shows Processing then
Settled, and `coinpos notify --follow` delivers the signed `invoice.settled` to a receiver on
127.0.0.1, which verifies the signature. Then the exchange sweeps and captures the payment,
and the manager's settlement request through the API settles on chain: the tracker confirms
it and `settlement.settled` reaches the receiver."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from web3 import Web3

from coinpos.chainops.escrow import Escrow
from coinpos.chainops.keys import LocalKey
from coinpos.chainops.operations import capture, sweep
from coinpos.chainops.sender import TransactionSender
from coinpos.chainops.settlement import EscrowSettlementExecutor
from coinpos.db.models import StoreBalance
from coinpos.demo.processes import running
from coinpos.demo.receiver import Receiver
from coinpos.demo.sse import StreamReader
from coinpos.invoices.service import Issuer
from coinpos.invoices.terms import EscrowDomain
from coinpos.rates.service import set_rate
from coinpos.server.app import create_app
from coinpos.server.settings import ServerSettings
from coinpos.settlement.batches import run_settlements
from coinpos.stores.service import add_coin
from coinpos.unit_of_work import UnitOfWork
from coinpos.webhooks.signing import verify_signature
from tests.offchain.tracker.anvil import Anvil, contract_type
from tests.server.conftest import bearer, store_with_keys
from tests.server.live import serving

# anvil's second default account: the exchange's operator here.
OPERATOR_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
UNIT = 10**18


def _deploy(node: Anvil) -> tuple[object, object]:
    admin, operator, payer, treasury = node.accounts[:4]
    token = node.deploy("TestToken", "Test Coin", "TST")
    token.functions.mint(payer, 1_000 * UNIT).transact({"from": admin})  # type: ignore[attr-defined]
    escrow = node.deploy("PaymentEscrow", admin, treasury)
    role = escrow.functions.OPERATOR_ROLE().call()
    escrow.functions.grantRole(role, operator).transact({"from": admin})
    escrow.functions.setTokenAllowed(token.address, True).transact({"from": admin})  # type: ignore[attr-defined]
    return token, escrow


def _captured(engine: Engine) -> int:
    with Session(engine) as session:
        return sum(session.scalars(select(StoreBalance.captured)))


def _wait_until(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.mark.postgres
def test_pos_path__invoice_over_http__paid_on_anvil__tracked__streamed__webhook_signed(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    node = Anvil()
    receiver = Receiver()
    try:
        token, escrow = _deploy(node)
        keys = store_with_keys(engine)
        with UnitOfWork(engine) as uow:
            add_coin(uow, "TST", 31337, 18, token.address)  # type: ignore[attr-defined]
        forwarder = contract_type("DepositForwarder")["deploymentBytecode"]["bytecode"]
        issuer = Issuer(
            EscrowDomain(31337, escrow.address),  # type: ignore[attr-defined]
            bytes.fromhex(forwarder.removeprefix("0x")),
            LocalKey(OPERATOR_KEY),
            qr_dir=tmp_path / "qr",
        )
        escrow_abi = contract_type("PaymentEscrow")["abi"]
        chain = Escrow(Web3(Web3.HTTPProvider(node.url)), escrow.address, escrow_abi)  # type: ignore[attr-defined]
        sender = TransactionSender(chain, LocalKey(OPERATOR_KEY), receipt_timeout=10)
        with UnitOfWork(engine) as uow:
            set_rate(uow, "TST", "KRW", Decimal("4000000"))
        settings = ServerSettings(
            database_url=db_url, issuer=issuer, sender=sender, allow_private_webhooks=True
        )
        app = create_app(settings)
        with serving(app) as url, httpx.Client(base_url=url, timeout=30) as api:
            store = f"/api/v1/stores/{keys.store.store_id}"
            hook = api.post(
                f"{store}/webhooks",
                json={
                    "url": receiver.url,
                    "events": ["invoice.processing", "invoice.settled", "settlement.settled"],
                },
                headers=bearer(keys.manager),
            )
            assert hook.status_code == 201, hook.text
            secret = hook.json()["secret"]

            made = api.post(
                f"{store}/invoices",
                json={"coin": "TST", "amount": "2.5"},
                headers={**bearer(keys.terminal), "Idempotency-Key": "sale-1"},
            )
            assert made.status_code == 201, made.text
            invoice = made.json()
            stream = StreamReader(
                f"{url}{store}/invoices/{invoice['id']}/events", bearer(keys.terminal)
            ).start()
            assert stream.next().data["status"] == "New"

            deposit = invoice["payment"]["deposit_address"]
            token.functions.transfer(deposit, 5 * UNIT // 2).transact(  # type: ignore[attr-defined]
                {"from": node.accounts[2]}
            )
            track = [
                "track", "--follow", "--interval", "0.3", "--json", "--rpc", node.url,
                "--escrow", escrow.address, "--confirmations", "3",  # type: ignore[attr-defined]
            ]  # fmt: skip
            notify = ["notify", "--follow", "--interval", "0.3", "--allow-private-webhooks"]
            with (
                running(track, db_url, tmp_path / "track.log"),
                running(notify, db_url, tmp_path / "notify.log"),
            ):
                processing = stream.next(timeout=60)
                assert processing.data["status"] == "Processing"
                node.mine(3)
                settled = stream.next(timeout=60)
                assert settled.data["status"] == "Settled"
                assert stream.ended.wait(10)
                listing = f"{store}/webhooks/{hook.json()['id']}/deliveries"

                def delivered() -> bool:
                    rows = api.get(listing, headers=bearer(keys.manager)).json()
                    return len(rows) == 2 and {d["status"] for d in rows} == {"delivered"}

                _wait_until(delivered, 60, "both webhooks delivered")
                read = api.get(f"{store}/invoices/{invoice['id']}", headers=bearer(keys.terminal))
                assert read.json()["status"] == "Settled"

                # The exchange sweeps the deposit into the escrow (attesting the transfer the
                # tracker recorded) and captures it; the ledger keeps the store's 1 % fee.
                with UnitOfWork(engine) as uow:
                    swept = sweep(uow, sender, [invoice["id"]], key="e2e")
                    assert swept.result is not None, swept.plan.skipped
                with UnitOfWork(engine) as uow:
                    capture(uow, sender, invoice["id"])
                node.mine(3)
                credit = 5 * UNIT // 2 - 5 * UNIT // 2 * 100 // 10_000
                _wait_until(lambda: _captured(engine) == credit, 60, "the capture")

                settlement = api.post(
                    f"{store}/settlements",
                    json={"coin": "TST"},
                    headers={**bearer(keys.manager), "Idempotency-Key": "payout-1"},
                )
                assert settlement.status_code == 201, settlement.text
                reference = settlement.json()["id"]
                # The exchange's settlement run carries it on chain (one settle per coin).
                with UnitOfWork(engine) as uow:
                    [run] = run_settlements(uow, EscrowSettlementExecutor(sender))
                    assert run.payout == credit and run.error is None
                node.mine(3)

                def settled_on_chain() -> bool:
                    answer = api.get(
                        f"{store}/settlements/{reference}", headers=bearer(keys.manager)
                    )
                    return bool(answer.json()["status"] == "settled")

                _wait_until(settled_on_chain, 60, "the settlement confirmed")
                _wait_until(
                    lambda: (
                        "settlement.settled"
                        in [r.headers["Coinpos-Event-Type"] for r in receiver.received]
                    ),
                    60,
                    "the settlement.settled webhook",
                )
        app.state.engine.dispose()

        types = [r.headers["Coinpos-Event-Type"] for r in receiver.received]
        # Deliveries due together go out side by side: their order is not promised.
        assert sorted(types[:2]) == ["invoice.processing", "invoice.settled"]
        assert types[2] == "settlement.settled"
        # Paid out and the fee moved to the fee pool: nothing captured is left.
        assert escrow.functions.pool(token.address).call()[1] == 0  # type: ignore[attr-defined]
        paid_out = receiver.received[2]
        verify_signature(secret, paid_out.headers["Coinpos-Signature"], paid_out.body)
        assert json.loads(paid_out.body)["data"]["settlement"]["reference"] == reference
        [got] = [
            r for r in receiver.received if r.headers["Coinpos-Event-Type"] == "invoice.settled"
        ]
        verify_signature(secret, got.headers["Coinpos-Signature"], got.body)
        body = json.loads(got.body)
        assert body["type"] == "invoice.settled"
        assert body["data"]["invoice"]["invoice_hash"] == invoice["id"]
        assert body["data"]["invoice"]["amount_paid"] == str(5 * UNIT // 2)
        assert int(processing.id or 0) < int(settled.id or 0)
    finally:
        receiver.stop()
        node.stop()
