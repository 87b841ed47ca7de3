"""The counter story in Chromium: pair the POS, build a cart, charge, decode the QR from the
page's screenshot, pay the deposit address on anvil, run the tracker, and see Approved and
the receipt's transaction hash without a reload."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import select

from coinpos.db.models import Invoice, InvoiceStatus
from coinpos.tracker.chain import ChainReader
from coinpos.tracker.config import ConfirmationRule, TrackerConfig
from coinpos.tracker.revert import ErrorDecoder
from coinpos.tracker.rpc import JsonRpcClient
from coinpos.tracker.service import Tracker
from coinpos.unit_of_work import UnitOfWork
from tests.chainops.conftest import Shop
from tests.offchain.tracker.anvil import contract_type
from tests.pages.conftest import LATTE_PRICE, pair, screenshot
from tests.pages.png_rgb import decode_qr_screenshot
from tests.server.conftest import StoreKeys

APPROVAL_WAIT_MS = 10_000


def _only_invoice(shop: Shop) -> Invoice:
    with UnitOfWork(shop.engine) as uow:
        [invoice] = uow.session.scalars(select(Invoice)).all()
        uow.session.expunge(invoice)
        return invoice


def _tracker(shop: Shop, chain: Any, escrow: Any, start_block: int) -> Tracker:
    return Tracker(
        shop.engine,
        ChainReader(JsonRpcClient(chain.provider.uri)),
        TrackerConfig(
            escrow=str(escrow.address), rule=ConfirmationRule(depth=2), start_block=start_block
        ),
        ErrorDecoder([contract_type("PaymentEscrow")["abi"]]),
    )


def test_a_sale_at_the_counter_is_charged_paid_on_chain_and_approved_live(
    page: Page,
    pos_server: str,
    keys: StoreKeys,
    shop: Shop,
    chain: Any,
    escrow: Any,
    customer: Any,
) -> None:
    pair(page, pos_server, keys.terminal)
    assert keys.terminal not in page.content()  # the key is in an HttpOnly cookie only
    [cookie] = [c for c in page.context.cookies() if c["name"] == "coinpos_terminal"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    latte = page.locator("#catalogue .item", has_text="Cafe latte")
    latte.get_by_role("button", name="Add Cafe latte").click()
    latte.get_by_role("button", name="Add Cafe latte").click()
    # 2 × 0.002 ETH = 0.004 ETH; at 4 500 000 KRW per ETH that is 18 000 KRW.
    expect(page.locator("#cart-total")).to_have_text("0.004 ETH")
    expect(page.locator("#cart-fiat")).to_have_text("≈ 18000 KRW")
    screenshot(page, "pos-cart")

    start_block = chain.blocks.height
    page.get_by_role("button", name="Charge").click()
    expect(page.locator("#charged")).to_be_visible()
    expect(page.locator("#status")).to_have_text("Waiting for payment")
    page.wait_for_function("document.getElementById('qr').complete")
    page.evaluate("window.notReloaded = true")
    invoice = _only_invoice(shop)
    assert invoice.amount == 2 * LATTE_PRICE
    expect(page.locator("#pay-address")).to_have_text(str(invoice.deposit_address))
    assert page.locator("#countdown").inner_text().startswith(("14:", "15:"))

    screenshot(page, "pos-charged")
    # The payment panel as the shopper's camera sees it: QR, amount and address.
    [decoded] = decode_qr_screenshot(page.locator("#charged .payment").screenshot())
    assert decoded.text == invoice.payment_uri

    receipt = customer.transfer(invoice.deposit_address, invoice.amount)
    tracker = _tracker(shop, chain, escrow, start_block)
    deadline = time.monotonic() + APPROVAL_WAIT_MS / 1000
    while _only_invoice(shop).status is not InvoiceStatus.SETTLED:
        assert time.monotonic() < deadline, "the tracker did not settle the invoice"
        chain.mine(1)
        tracker.run_once()

    expect(page.locator("#receipt .approved")).to_be_visible(timeout=APPROVAL_WAIT_MS)
    assert page.evaluate("window.notReloaded") is True
    tx_hash = receipt.txn_hash if isinstance(receipt.txn_hash, str) else receipt.txn_hash.hex()
    expect(page.locator("#receipt-tx")).to_have_text(tx_hash)
    expect(page.locator("#receipt-invoice")).to_have_text(invoice.invoice_hash)
    screenshot(page, "pos-receipt")
