"""The demo's story, run chapter by chapter on the test chain, with its end state checked."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from coinpos.db.engine import make_engine
from coinpos.db.migrate import upgrade
from coinpos.db.models import IdempotencyRecord, MiningCampaign, MiningClaim
from coinpos.demo import mining, payments
from coinpos.demo.context import Cast, DemoContext
from coinpos.demo.summary import agreements
from coinpos.deployer import deploy_all, load_params
from coinpos.settlement.service import DEFAULT_FEE_BPS
from coinpos.webhooks.signing import SignatureVerificationError, verify_signature


@pytest.fixture
def demo(project: Any, chain: Any, accounts: Any, tmp_path: Path) -> DemoContext:
    cast = Cast.from_test_accounts(accounts)
    deployment = deploy_all(
        project, chain, cast.admin, load_params("ethereum:local"),
        tmp_path / "ethereum-local.json", test_accounts=accounts, log=lambda _: None,
    )  # fmt: skip
    engine: Engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    upgrade(engine)
    return DemoContext(project, chain, deployment, cast, engine, say=lambda _: None)


def test_mining_story__pays_walkers_and_refuses_second_comer_and_teleporter(
    demo: DemoContext,
) -> None:
    emoney = demo.contract("EMoney")
    geo = demo.contract("GeoRewards")
    unit = 10 ** emoney.decimals()
    alice, bob = demo.cast.walkers

    told: list[int] = []
    outcome = mining.run(replace(demo, chapter=told.append))

    assert told == [8]

    everyone, first_come = outcome.everyone_campaign, outcome.first_come_campaign
    assert outcome.paid == {
        f"alice@{everyone}": 5 * unit,
        f"bob@{everyone}": 5 * unit,
        f"alice@{first_come}": 20 * unit,
    }
    assert outcome.refused_on_chain == {"bob": "GeoRewardsCapReached"}
    assert outcome.refused_by_oracle == {"carol": "impossible_speed"}

    assert emoney.balanceOf(alice) == 25 * unit
    assert emoney.balanceOf(bob) == 5 * unit
    assert emoney.balanceOf(demo.cast.teleporter) == 0
    assert geo.hasClaimed(everyone, alice) and geo.hasClaimed(everyone, bob)
    assert not geo.hasClaimed(first_come, bob)
    # Two budgets of ten rewards each, less what was paid.
    assert emoney.balanceOf(geo) == (50 + 200 - 30) * unit

    names = {alice.address: "alice", bob.address: "bob", demo.cast.teleporter.address: "carol"}
    with Session(demo.engine) as session:
        rows = session.execute(
            select(MiningCampaign.campaign_id, MiningClaim.recipient, MiningClaim.status).join(
                MiningCampaign, MiningCampaign.id == MiningClaim.campaign_pk
            )
        )
        claims = sorted((campaign, names[who], status.value) for campaign, who, status in rows)
        actions = dict(
            session.execute(select(MiningCampaign.campaign_id, MiningCampaign.action_name)).all()
        )
    # What the wallet page shows shoppers as each campaign's action.
    assert actions == {
        everyone: "scan-the-city-hall-poster",
        first_come: "check-in-at-the-palace-gate",
    }
    assert claims == [
        (everyone, "alice", "submitted"),
        (everyone, "bob", "submitted"),
        (everyone, "carol", "rejected"),
        (first_come, "alice", "submitted"),
        # Approved by the oracle, refused by the contract: never marked submitted.
        (first_come, "bob", "approved"),
    ]


def test_payments_story__ends_with_chain_and_database_in_agreement(
    demo: DemoContext, tmp_path: Path
) -> None:
    emoney = demo.contract("EMoney")
    escrow = demo.contract("PaymentEscrow")

    stale = tmp_path / "out" / "invoices" / f"0x{'ab' * 32}.png"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"from an earlier run")

    told: list[int] = []
    outcome = payments.run(
        replace(demo, chapter=told.append), out_dir=tmp_path / "out", state_dir=tmp_path / "state"
    )

    assert told == [2, 3, 4, 5, 6, 7]  # the README's steps; 1 and 9 are the script's

    assert outcome.statuses == {
        "counter": "Settled",
        "terrace": "Settled",
        "starved": "Settled",
        "dropped": "Settled",
    }
    assert outcome.duplicate_deposit_refused
    assert outcome.duplicate_broadcasts == 0
    assert outcome.out_of_gas_attempts == 2
    assert outcome.expired_notifications == 1
    assert outcome.report is not None
    # The store's log entries: its requests and the escrow events of its invoices.
    assert outcome.report.counts == {"pending": 0, "valid": 11, "failed": 0, "expired": 1}
    # By name, not in the report's order: the server dates POS-1's invoice by the wall clock,
    # the others are dated by the chain's, which the test chain may have moved on.
    names = {ref: name for name, ref in outcome.invoices.items()}
    assert {names[s.invoice_hash]: s.amount for s in outcome.report.sales} == {
        "counter": Decimal("12.20"), "terrace": Decimal("15.60"),
        "starved": Decimal("4.50"), "dropped": Decimal("3.20"),
    }  # fmt: skip
    for sale in outcome.report.sales:
        assert sale.fiat_at_sale == (sale.amount * Decimal("1350")).quantize(Decimal(1))
        assert sale.fiat_now is not None and sale.fiat_now > sale.fiat_at_sale

    # Captured: 12.20 + 15.60 + 4.50 less 1% each (rounded down), half of it settled.
    credited = sum(a - a * 100 // 10_000 for a in (1220, 1560, 450))
    assert outcome.settled == credited // 2
    # No store balance on chain: the pool holds the gross captures less what the settlement
    # run paid out and moved to the fee pool (every capture's 1 % fee).
    captured = 1220 + 1560 + 450
    fees = sum(a * 100 // 10_000 for a in (1220, 1560, 450))
    pool = escrow.pool(emoney)
    assert (pool.captured, pool.fees) == (captured - credited // 2 - fees, fees)
    assert emoney.balanceOf(escrow.treasury()) == credited // 2
    # The dropped capture's payment is still held for its payer: 3.20.
    assert escrow.payment(outcome.invoices["dropped"]).amount == 320

    # The payout: the settled coins at the rate locked at request time, rounded down to whole
    # won, less the settlement fee rounded half-even.
    [row] = outcome.payout_rows
    assert (row["store_id"], row["fiat"]) == (outcome.store_id, "KRW")
    gross = (Decimal(credited // 2) / 100 * Decimal("1382.50")).quantize(1, rounding=ROUND_DOWN)
    fee = (gross * DEFAULT_FEE_BPS / 10_000).quantize(1, rounding=ROUND_HALF_EVEN)
    assert Decimal(row["amount"]) == gross - fee
    assert (tmp_path / "out" / "payouts.csv").exists()
    # Only the images of this run's invoices are left: a PNG and an SVG each.
    assert not stale.exists()
    assert sorted(p.name for p in (tmp_path / "out" / "invoices").iterdir()) == sorted(
        f"{ref}.{kind}" for ref in outcome.invoices.values() for kind in ("png", "svg")
    )

    checks = agreements(demo, outcome.store_id)
    assert [c.what for c in checks if not c.agrees] == []
    [pooled] = [c for c in checks if c.what.startswith("CPE captured")]
    assert pooled.chain == captured - credited // 2 - fees


def test_payments_story__pos_chapters_go_through_the_http_api(
    demo: DemoContext, tmp_path: Path
) -> None:
    outcome = payments.run(demo, out_dir=tmp_path / "out", state_dir=tmp_path / "state")
    counter = outcome.invoices["counter"]

    # POS-1's invoice was created by the server: the idempotency record of its POST holds
    # the answer (and a retry was replayed from it), and the access log shows the request.
    with Session(demo.engine) as session:
        records = {r.key: r for r in session.scalars(select(IdempotencyRecord))}
    made = records[payments.INVOICE_REQUEST_KEY]
    assert made.status_code == 201
    assert json.loads(made.response_body or b"{}")["id"] == counter
    assert outcome.invoice_replayed
    logged = [json.loads(line) for line in outcome.server_log.read_text().splitlines()
              if line.startswith("{")]  # fmt: skip
    assert {"method": "POST", "path": "/api/v1/stores/{store_id}/invoices", "status": 201} in [
        {k: line[k] for k in ("method", "path", "status")} for line in logged
    ]

    # The stream gave POS-1 the statuses in order, ending at the approval.
    assert outcome.streamed == ["New", "Processing", "Settled"]

    # The store's endpoint got the signed invoice.settled and settlement.settled.
    def received(event_type: str) -> list[dict[str, Any]]:
        return [
            json.loads(r.body)["data"]
            for r in outcome.webhooks
            if r.headers["Coinpos-Event-Type"] == event_type
        ]

    assert counter in [data["invoice"]["invoice_hash"] for data in received("invoice.settled")]
    assert len(received("settlement.settled")) == 1
    for delivery in outcome.webhooks:
        verify_signature(
            outcome.webhook_secret, delivery.headers["Coinpos-Signature"], delivery.body
        )
    approved = outcome.webhooks[0]
    # Positive control: the same check with another secret, or a changed body, fails.
    with pytest.raises(SignatureVerificationError):
        verify_signature("whsec_other", approved.headers["Coinpos-Signature"], approved.body)
    with pytest.raises(SignatureVerificationError):
        verify_signature(
            outcome.webhook_secret, approved.headers["Coinpos-Signature"], approved.body + b" "
        )

    # The manager's settlement request went through the API and settled on chain.
    assert records[payments.SETTLEMENT_REQUEST_KEY].status_code == 201
    assert outcome.settlement_status == "settled"
    escrow, emoney = demo.contract("PaymentEscrow"), demo.contract("EMoney")
    assert emoney.balanceOf(escrow.treasury()) == outcome.settled > 0

    # Every process the story started is stopped.
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{outcome.server_url}/healthz", timeout=5)
