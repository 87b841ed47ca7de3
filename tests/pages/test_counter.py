"""The whole counter story in Chromium, in one browser window: pair the POS, build a cart,
charge, decode the QR from the page's screenshot, and pay what it asks from the customer's
own coinpos wallet on anvil; run the tracker and see Processing, then Approved and the
receipt's transaction hash, from the event stream, without a reload and without a status
poll. Then the store's manager requests a partial settlement of the sale on the sales page
and sees it settled, and the customer logs in on the wallet page and sees the balances the
payment left and their fiat value, each figure checked against the services."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from eth_utils import keccak
from playwright.sync_api import Page, expect
from sqlalchemy import select

from coinpos.catalogue.service import add_item
from coinpos.chainops.sender import TransactionSender
from coinpos.customers.holdings import customer_wallets, wallet_holdings
from coinpos.customers.service import add_account, record_wallet
from coinpos.db.models import InvoiceStatus, Settlement, SettlementStatus
from coinpos.db.types import utcnow
from coinpos.invoices.service import Issuer
from coinpos.money import format_amount
from coinpos.pages.wallet_view import fiat_text
from coinpos.payment_uri import TokenPaymentRequest, parse_payment_uri
from coinpos.rates.service import set_rate
from coinpos.reports.service import sales_report, totals_by_coin
from coinpos.server.app import create_app
from coinpos.server.settings import ServerSettings
from coinpos.settlement.quote import available_balances, quote_settlement
from coinpos.tracker.rpc import JsonRpcClient
from coinpos.unit_of_work import UnitOfWork
from tests.chainops.conftest import CHAIN_ID, Shop, escrow_client, sender  # noqa: F401
from tests.contracts.wallet.conftest import factory  # noqa: F401
from tests.offchain.factories import make_customer
from tests.pages.conftest import (
    Requests,
    capture_sale,
    charge,
    log_in,
    make_tracker,
    mark_window,
    only_invoice,
    pair,
    run_settlements,
    screenshot,
    sign_in,
    track_until,
    tx_hash_of,
    window_kept,
)
from tests.pages.png_rgb import decode_qr_screenshot
from tests.server.conftest import StoreKeys
from tests.server.live import serving

APPROVAL_WAIT_MS = 10_000
ZERO = "0x" + "00" * 20
# The shop's CPW item (CPW has 2 decimals): 4.50 CPW a cup; CPW at 1 000 KRW.
TEA_PRICE = 450
TEA_STOCK = 5
CPW_RATE = Decimal("1000")
# What the customer's wallet holds before the sale: 200.00 CPW and 0.3 ETH.
WALLET_CPW = 20_000
WALLET_ETH = 3 * 10**17
SALE = 2 * TEA_PRICE
SETTLED = 400  # the manager settles 4.00 CPW of the 9.00


@pytest.fixture
def story_server(
    db_url: str,
    shop: Shop,
    issuer: Issuer,
    sender: TransactionSender,  # noqa: F811
    chain: Any,
) -> Iterator[str]:
    """One server for the three pages: it signs invoices (POS), sends settlements with the
    operator's key (sales) and reads wallets' balances on the node (wallet)."""
    app = create_app(
        ServerSettings(
            database_url=db_url, issuer=issuer, sender=sender, rpc_url=chain.provider.uri
        )
    )
    with serving(app) as url:
        yield url
    app.state.engine.dispose()


@dataclass
class Shopper:
    customer_id: int
    wallet: Any  # the MultiCoinWallet the customer (the account) owns


@pytest.fixture
def shopper(
    keys: StoreKeys,
    shop: Shop,
    project: Any,
    factory: Any,  # noqa: F811
    emoney: Any,
    minter: Any,
    customer: Any,
    stranger: Any,
) -> Shopper:
    """Minji, a coinpos customer, with one wallet on anvil holding CPW and ETH; the shop
    sells green tea in CPW, and CPW's rate was recorded before the sale (its value then)."""
    with UnitOfWork(shop.engine) as uow:
        add_item(uow, shop.store.store_id, "TEA", "Green tea", "CPW", TEA_PRICE, TEA_STOCK)
    with UnitOfWork(shop.engine) as uow:
        set_rate(uow, "CPW", "KRW", CPW_RATE, utcnow() - timedelta(minutes=1))
    minji = make_customer(shop.engine)
    with UnitOfWork(shop.engine) as uow:
        add_account(uow, "minji", str(customer.address), "main")
    salt = keccak(text="minji-counter-wallet")
    coins = [emoney.address, ZERO]
    factory.createWallet(customer, salt, coins, sender=stranger)
    wallet = project.MultiCoinWallet.at(factory.predictAddress(customer, salt, coins))
    emoney.mint(wallet.address, WALLET_CPW, b"\x02" * 32, sender=minter)
    stranger.transfer(wallet.address, WALLET_ETH)
    with UnitOfWork(shop.engine) as uow:
        record_wallet(uow, "minji", CHAIN_ID, str(wallet.address), [shop.cpw.id, shop.eth.id])
    return Shopper(minji.id, wallet)


@dataclass(frozen=True)
class SettlementSeen:
    status: SettlementStatus
    amount: int
    tx_hash: str | None  # of the settlement's transaction, once sent


def only_settlement(shop: Shop) -> SettlementSeen:
    """The story's one settlement, read again for each look."""
    with UnitOfWork(shop.engine) as uow:
        settlement = uow.session.scalars(select(Settlement)).one()
        entry = settlement.log_entry
        return SettlementSeen(settlement.status, settlement.amount, entry and entry.tx_hash)


def test_a_counter_sale_paid_from_a_wallet_is_approved_live_settled_and_seen_in_the_wallet(
    page: Page,
    story_server: str,
    keys: StoreKeys,
    shop: Shop,
    shopper: Shopper,
    chain: Any,
    escrow: Any,
    emoney: Any,
    customer: Any,
    sender: TransactionSender,  # noqa: F811
) -> None:
    server = story_server
    # --- The counter: pair, cart, charge, QR. ---
    pair(page, server, keys.terminal)
    assert keys.terminal not in page.content()  # the key is in an HttpOnly cookie only
    [cookie] = [c for c in page.context.cookies() if c["name"] == "coinpos_terminal"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    tea = page.locator("#catalogue .item", has_text="Green tea")
    tea.get_by_role("button", name="Add Green tea").click()
    tea.get_by_role("button", name="Add Green tea").click()
    # 2 × 4.50 CPW = 9.00 CPW; at 1 000 KRW per CPW that is 9 000 KRW.
    expect(page.locator("#cart-total")).to_have_text("9.00 CPW")
    expect(page.locator("#cart-fiat")).to_have_text("≈ 9000 KRW")
    screenshot(page, "pos-cart")

    start_block = chain.blocks.height
    requests = Requests(page)
    charge(page)
    mark_window(page)
    invoice = only_invoice(shop.engine)
    assert invoice.amount == SALE
    expect(page.locator("#pay-address")).to_have_text(str(invoice.deposit_address))
    assert page.locator("#countdown").inner_text().startswith(("14:", "15:"))
    assert page.evaluate("window.coinposTransport") == "stream"
    screenshot(page, "pos-charged")

    # The payment panel as the shopper's camera sees it: QR, amount and address.
    [decoded] = decode_qr_screenshot(page.locator("#charged .payment").screenshot())
    assert decoded.text == invoice.payment_uri
    request = parse_payment_uri(decoded.text)
    assert isinstance(request, TokenPaymentRequest)
    assert str(request.token).lower() == str(emoney.address).lower()
    assert str(request.recipient).lower() == str(invoice.deposit_address).lower()
    assert request.amount == SALE

    # The wallet pays what the QR asks: a CPW transfer to the deposit address, signed by
    # its owner (the customer's account).
    wallet = shopper.wallet
    receipt = wallet.transferToken(
        str(request.token), str(request.recipient), request.amount, sender=customer
    )
    assert emoney.balanceOf(wallet.address) == WALLET_CPW - SALE
    tracker = make_tracker(shop.engine, chain, escrow, start_block)
    tracker.run_once()  # seen in a block, not yet at depth
    assert only_invoice(shop.engine).status is InvoiceStatus.PROCESSING
    expect(page.locator("#status")).to_have_text("Processing: confirming the payment")
    deadline = time.monotonic() + APPROVAL_WAIT_MS / 1000
    while only_invoice(shop.engine).status is not InvoiceStatus.SETTLED:
        assert time.monotonic() < deadline, "the tracker did not settle the invoice"
        chain.mine(1)
        tracker.run_once()

    expect(page.locator("#receipt .approved")).to_have_text("Approved", timeout=APPROVAL_WAIT_MS)
    assert window_kept(page), "the page was reloaded"
    base = f"/pos/invoices/{invoice.invoice_hash}"
    # One stream, and not one read of the status JSON (the fallback when there is no stream).
    assert requests.to(f"{base}/events") == ["eventsource"]
    assert requests.to(base) == []
    expect(page.locator("#receipt-tx")).to_have_text(tx_hash_of(receipt))
    expect(page.locator("#receipt-invoice")).to_have_text(invoice.invoice_hash)
    expect(page.locator("#receipt-amount")).to_have_text("9.00 CPW")
    expect(page.locator("#receipt-paid")).to_have_text("9.00 CPW")
    expect(page.locator("#receipt")).to_contain_text("Gangnam Cafe")
    expect(page.locator("#receipt-note")).to_have_text("")
    screenshot(page, "pos-receipt")

    # Print: the button calls window.print(), and the print layout is the receipt alone.
    page.evaluate("() => { window.print = () => { window.printed = (window.printed || 0) + 1; }; }")
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("window.printed") == 1
    page.emulate_media(media="print")
    expect(page.locator("#receipt-tx")).to_be_visible()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.locator("header.bar")).to_be_hidden()
    page.emulate_media(media="screen")
    expect(page.get_by_role("button", name="Print")).to_be_visible()

    # New sale: the catalogue again, with the stock the sale took.
    page.get_by_role("button", name="New sale").last.click()
    expect(page.locator("#catalogue .item", has_text="Green tea")).to_contain_text("3 in stock")
    expect(page.locator("#cart-lines li")).to_have_count(0)

    # --- The exchange's back office: the deposit swept and captured for the store. ---
    capture_sale(shop.engine, sender, tracker, chain, invoice)
    store_id = shop.store.store_id
    with UnitOfWork(shop.engine) as uow:
        assert [(c.symbol, left) for c, left in available_balances(uow, store_id)] == [
            ("CPW", SALE)
        ]

    # --- The manager: the day's sales, then a partial settlement, seen settled. ---
    sign_in(page, server, keys.manager)
    with UnitOfWork(shop.engine) as uow:
        today = utcnow().date()
        [cpw_total] = totals_by_coin(sales_report(uow, store_id, today, today))
    assert (cpw_total.coin, cpw_total.sales) == ("CPW", 1)
    assert cpw_total.fiat_at_sale == cpw_total.fiat_now == Decimal("9000")
    cpw = page.locator("#per-coin tr[data-coin='CPW']")
    expect(cpw.locator(".sales-count")).to_have_text("1")
    expect(cpw.locator(".coin-total")).to_have_text("9.00 CPW")
    expect(cpw.locator(".at-sale")).to_have_text("9000")
    expect(cpw.locator(".now")).to_have_text("9000")
    expect(cpw.locator(".difference")).to_have_text("0")
    expect(page.locator("#settle-coin")).to_contain_text("CPW: 9.00 CPW available")
    screenshot(page, "story-sales")

    page.get_by_label("Part:").check()
    page.get_by_label("Amount to settle, in whole coins").fill("4")
    page.get_by_role("button", name="Review the rate and fee").click()
    with UnitOfWork(shop.engine) as uow:
        quote = quote_settlement(uow, store_id, "CPW", SETTLED)
    # 4.00 CPW at 1 000 KRW: 4 000 KRW, less the 1 % fee, 3 960 KRW.
    assert (quote.rate, quote.gross, quote.fee, quote.net) == (
        CPW_RATE,
        Decimal("4000"),
        Decimal("40"),
        Decimal("3960"),
    )
    expect(page.locator("#quote-amount")).to_have_text("4.00 CPW of 9.00 CPW")
    expect(page.locator("#quote-rate")).to_have_text("1000 KRW per CPW")
    expect(page.locator("#quote-gross")).to_have_text("4000 KRW")
    expect(page.locator("#quote-fee")).to_have_text("40 KRW")
    expect(page.locator("#quote-net")).to_have_text("3960 KRW")
    screenshot(page, "story-settlement-confirm")
    page.get_by_role("button", name="Confirm the settlement").click()
    expect(page.get_by_role("status")).to_contain_text("Settlement of 4.00 CPW")
    with UnitOfWork(shop.engine) as uow:
        [settlement] = uow.session.scalars(select(Settlement)).all()
        assert (settlement.amount, settlement.rate) == (SETTLED, CPW_RATE)
        reference = settlement.reference

    run_settlements(shop.engine, sender)
    track_until(
        tracker,
        chain,
        lambda: only_settlement(shop).status is SettlementStatus.SETTLED,
        "the settlement",
    )
    settled = only_settlement(shop)
    assert settled.amount == SETTLED and settled.tx_hash is not None
    with UnitOfWork(shop.engine) as uow:
        [(symbol, left)] = [(c.symbol, units) for c, units in available_balances(uow, store_id)]
    assert (symbol, left) == ("CPW", SALE - SETTLED)  # the store's remaining balance
    page.reload()
    row = page.locator(f"#history tr[data-reference='{reference}']")
    expect(row.locator(".settlement-status .badge")).to_have_text("settled")
    expect(row).to_contain_text(format_amount(SETTLED, 2, "CPW"))
    expect(row).to_contain_text("3960 KRW")
    expect(row.locator(".hash")).to_have_text(settled.tx_hash)
    expect(page.locator("#settle-coin")).to_contain_text(
        f"CPW: {format_amount(left, 2, 'CPW')} available"
    )
    screenshot(page, "story-settled")

    # --- The customer: the wallet after the payment, valued as the holdings service does. ---
    log_in(page, server)
    expect(page.get_by_role("heading", name="Kim Minji's wallet")).to_be_visible()
    rpc = JsonRpcClient(chain.provider.uri)
    try:
        with UnitOfWork(shop.engine) as uow:
            [held] = wallet_holdings(uow, customer_wallets(uow, shopper.customer_id), rpc, "KRW")
            address = held.wallet.address
            holdings = [
                (h.coin.symbol, h.balance, h.value.value, h.value.rate)
                for h in held.holdings
                if h.coin is not None and h.value is not None
            ]
    finally:
        rpc.close()
    assert address.lower() == str(wallet.address).lower()
    # The payment left 191.00 CPW (worth 191 000 KRW) and the 0.3 ETH (1 350 000 KRW).
    assert holdings == [
        ("CPW", WALLET_CPW - SALE, Decimal("191000"), CPW_RATE),
        ("ETH", WALLET_ETH, Decimal("1350000"), Decimal("4500000")),
    ]
    table = page.locator(f'table.holdings[data-wallet="{address}"]')
    expect(table.locator("tr.holding")).to_have_count(2)
    for symbol, _, value, rate in holdings:
        line = table.locator(f'tr.holding[data-coin="{symbol}"]')
        expect(line).to_have_attribute("data-value", f"{value:f}")
        expect(line.locator(".value")).to_have_text(fiat_text(value, "KRW"))
        expect(line.locator(".rate")).to_contain_text(f"{rate.normalize():,f} KRW")
    expect(table.locator('[data-coin="CPW"] .balance')).to_have_text("191.00 CPW")
    expect(table.locator('[data-coin="ETH"] .balance')).to_have_text("0.30 ETH")
    expect(page.locator("#total")).to_have_text(fiat_text(Decimal("1541000"), "KRW"))
    # The counter invoice names no payer: it is the customer's purchase because the tracker
    # recorded their wallet as the sender of the payment.
    purchase = page.locator(
        f'#history li.entry[data-kind="invoice_paid"][data-reference="{invoice.invoice_hash}"]'
    )
    expect(purchase).to_have_count(1)
    expect(purchase.locator(".amount")).to_contain_text("9.00 CPW")
    screenshot(page, "story-wallet")
