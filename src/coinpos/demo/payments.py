"""The point-of-sale story: a customer, a multi-coin wallet, a store with two terminals, two
payments (a plain transfer to a private deposit address, and a direct escrow call from the
wallet), the exchange's confirmations and captures, the failures it survives, a sales report
and a partial settlement into fiat.

POS-1 and the store manager work through the exchange server's HTTP API on a real port
(`coinpos serve`, with `coinpos notify --follow` delivering webhooks; see exchange_server.py):
POS-1 creates its invoice and hears it approved over server-sent events, the store's webhook
endpoint receives the signed `invoice.settled`, and the manager requests the settlement.
"""

from __future__ import annotations

import csv
import io
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from eth_utils.crypto import keccak
from rich.table import Table
from sqlalchemy import select

from coinpos.catalogue.service import add_item
from coinpos.chainops import operations
from coinpos.chainops.escrow import escrow_from_ape, forwarder_code
from coinpos.chainops.keys import ApeAccountKey
from coinpos.chainops.sender import TransactionSender
from coinpos.chainops.settlement import EscrowSettlementExecutor
from coinpos.customers import service as customers
from coinpos.db.models import (
    CustomerType,
    Invoice,
    Notification,
    StoreBalance,
    TransactionLogEntry,
    TxStatus,
)
from coinpos.db.types import utcnow
from coinpos.demo.context import DemoContext
from coinpos.demo.exchange_server import ExchangeServer, StoreClients, exchange_server
from coinpos.demo.outputs import prune_invoice_files
from coinpos.demo.processes import ExchangeProcessError
from coinpos.demo.receiver import Received
from coinpos.demo.sse import StreamReader
from coinpos.invoices.service import CartLine, Issuer, NewInvoice, issue_invoice, terms_of
from coinpos.invoices.terms import EscrowDomain
from coinpos.issuance.chain import ApeMinter
from coinpos.issuance.service import (
    DEFAULT_PEG,
    DuplicateDepositError,
    FiatPayment,
    buy_emoney,
)
from coinpos.money import format_amount, from_base_units
from coinpos.rates.service import set_rate
from coinpos.reports.service import SalesReport, sales_report
from coinpos.settlement.batches import run_settlements
from coinpos.settlement.payouts import export_payouts
from coinpos.stores.service import add_terminal, create_store, ensure_coin, get_coin
from coinpos.tracker.config import TrackerConfig
from coinpos.tracker.factory import open_tracker
from coinpos.tracker.service import Tracker
from coinpos.unit_of_work import UnitOfWork
from coinpos.webhooks.signing import verify_signature

ETH = "0x0000000000000000000000000000000000000000"
FEE_BPS = 100
CUSTOMER_LOGIN = "minji"
CUSTOMER_PASSWORD = "correct horse battery staple"
CATALOGUE = (
    ("AMERICANO", "Americano", 450, 40),
    ("LATTE", "Cafe latte", 520, 30),
    ("CROISSANT", "Butter croissant", 320, 12),
)
# What the store's endpoint subscribes to; `invoice.settled` is the approval.
WEBHOOK_EVENTS = ("invoice.processing", "invoice.settled", "settlement.settled")
INVOICE_REQUEST_KEY = "pos-1-sale-1"
SETTLEMENT_REQUEST_KEY = "settle-seoul-coffee-1"


@dataclass
class PaymentsOutcome:
    store_id: str = ""
    wallet: str = ""
    invoices: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    duplicate_deposit_refused: bool = False
    duplicate_broadcasts: int = -1
    out_of_gas_attempts: int = 0
    expired_notifications: int = 0
    report: SalesReport | None = None
    settled: int = 0
    payout_rows: list[dict[str, str]] = field(default_factory=list)
    out_dir: Path = Path("out")
    # What happened over HTTP: the invoice POS-1 created (and the same request replayed),
    # the statuses its event stream delivered, the webhooks the store's endpoint received
    # (with the secret to check them), and the settlement as the API last showed it.
    invoice_replayed: bool = False
    streamed: list[str] = field(default_factory=list)
    webhook_secret: str = ""
    webhooks: list[Received] = field(default_factory=list)
    settlement_status: str = ""
    server_url: str = ""
    server_log: Path = Path()


@dataclass(frozen=True)
class _Issued:
    """What the POS and the payer need from an issued invoice."""

    ref: str
    amount: int
    deposit_address: str
    uri: str
    qr_png: str
    pay_call: bytes


class _Exchange:
    """The exchange's moving parts for the story: its database, sender and tracker."""

    def __init__(self, ctx: DemoContext, out_dir: Path) -> None:
        self.ctx = ctx
        escrow = ctx.contract("PaymentEscrow")
        key = ApeAccountKey(ctx.cast.operator)
        self.escrow = escrow
        self.sender = TransactionSender(escrow_from_ape(escrow), key, receipt_timeout=30)
        self.issuer = Issuer(
            EscrowDomain(ctx.chain.chain_id, str(escrow.address)),
            forwarder_code(ctx.project),
            key,
            qr_dir=out_dir,
        )
        record = ctx.deployment.contracts["PaymentEscrow"]
        self.tracker: Tracker = open_tracker(
            ctx.engine,
            ctx.chain.provider.uri,
            TrackerConfig(escrow=str(escrow.address), start_block=record.block),
        )

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.ctx.engine)

    def issue(self, request: NewInvoice) -> _Issued:
        """Issues and signs an invoice, dated by the chain's clock."""
        now = datetime.fromtimestamp(self.ctx.chain.pending_timestamp, UTC)
        with self.uow() as uow:
            invoice = issue_invoice(uow, request, self.issuer, now=now)
            terms = terms_of(invoice, get_coin(uow, request.coin, self.ctx.chain.chain_id))
            return _Issued(
                ref=invoice.invoice_hash,
                amount=invoice.amount,
                deposit_address=str(invoice.deposit_address),
                uri=invoice.payment_uri,
                qr_png=str(invoice.qr_png_path),
                pay_call=self.escrow.pay.encode_input(terms.abi(), invoice.operator_signature),
            )

    def track(self, blocks_to_mine: int = 0) -> None:
        """One tracker pass, after `blocks_to_mine` new blocks (the confirmation depth)."""
        if blocks_to_mine:
            self.ctx.chain.mine(blocks_to_mine)
        self.tracker.run_once()

    def status(self, ref: str) -> str:
        """The invoice's status, with its exception status if it has one."""
        with self.uow() as uow:
            invoice = uow.session.scalars(select(Invoice).where(Invoice.invoice_hash == ref)).one()
            if invoice.exception_status is None:
                return str(invoice.status)
            return f"{invoice.status} ({invoice.exception_status})"


def run(
    ctx: DemoContext, out_dir: Path = Path("out"), state_dir: Path = Path(".coinpos")
) -> PaymentsOutcome:
    """The story's chapters 2 to 7; the exchange server's logs go to `state_dir`, and every
    process it started is stopped when the story ends, however it ends."""
    with ExitStack() as stack:
        return _story(ctx, out_dir, state_dir, stack)


def _story(ctx: DemoContext, out_dir: Path, state_dir: Path, stack: ExitStack) -> PaymentsOutcome:
    cast, chain = ctx.cast, ctx.chain
    emoney = ctx.contract("EMoney")
    decimals = int(emoney.decimals())
    symbol = str(emoney.symbol())
    exchange = _Exchange(ctx, out_dir / "invoices")
    outcome = PaymentsOutcome(out_dir=out_dir)
    # The exchange server comes up while the customer's chapter runs.
    server = stack.enter_context(exchange_server(ctx, state_dir))
    outcome.server_url, outcome.server_log = server.url, server.log

    def show(amount: int) -> str:
        return format_amount(amount, decimals, symbol)

    # The customer registers and logs in.
    ctx.chapter(2)
    with exchange.uow() as uow:
        customers.register(
            uow,
            customers.NewCustomer(
                login_id=CUSTOMER_LOGIN,
                name="Kim Min-ji",
                customer_type=CustomerType.INDIVIDUAL,
                language="ko",
                country_code="KR",
                phone="+82-10-1234-5678",
                email="minji@example.com",
                device_type="android",
                bank_name="Example Bank",
                bank_account_number="110-123-456789",
                latitude_e6=37_566_535,
                longitude_e6=126_977_969,
                affiliated_group="early adopters",
            ),
            CUSTOMER_PASSWORD,
            today=date.today(),
        )
    with exchange.uow() as uow:
        assert customers.check_login(uow, CUSTOMER_LOGIN, CUSTOMER_PASSWORD)
        assert not customers.check_login(uow, CUSTOMER_LOGIN, "wrong password")
    ctx.say(f"customer '{CUSTOMER_LOGIN}' registered; login checked (a wrong password is refused)")

    # A multi-coin wallet holding ETH, e-money and a stable-coin test token.
    stable = cast.admin.deploy(ctx.project.TestToken, "Test USD", "TUSD")
    factory = ctx.contract("WalletFactory")
    salt = keccak(text=f"{CUSTOMER_LOGIN}'s wallet")
    wallet_coins = [ETH, emoney.address, stable.address]
    wallet_address = factory.predictAddress(cast.customer, salt, wallet_coins)
    factory.createWallet(cast.customer, salt, wallet_coins, sender=cast.customer)
    wallet = ctx.project.MultiCoinWallet.at(wallet_address)
    outcome.wallet = str(wallet_address)
    with exchange.uow() as uow:
        customers.add_account(uow, CUSTOMER_LOGIN, outcome.wallet, "WALLET-1")
    cast.customer.transfer(wallet, 2 * 10**18)
    stable.mint(wallet, 500 * 10**18, sender=cast.admin)
    ctx.say(f"wallet {wallet_address} created at its predicted address")
    bank_payment = FiatPayment(
        CUSTOMER_LOGIN, outcome.wallet, DEFAULT_PEG, Decimal("120.00"), "BANK-2026-11-0001"
    )
    minter = ApeMinter(emoney, cast.minter)
    with exchange.uow() as uow:
        coin = ensure_coin(uow, symbol, chain.chain_id, decimals, str(emoney.address))
        deposit = buy_emoney(uow, bank_payment, coin, DEFAULT_PEG, minter)
        bought, minted_in = deposit.amount, deposit.tx_hash
    ctx.say(
        f"the customer paid {bank_payment.amount} {bank_payment.fiat} by bank transfer "
        f"{bank_payment.bank_reference}: {show(bought)} minted to the wallet (tx {minted_in})"
    )
    for held, balance in wallet.holdings():
        name = "ETH" if held == ETH else ctx.project.TestToken.at(held).symbol()
        places = 18 if held == ETH or held == stable.address else decimals
        ctx.say(f"  holds {format_amount(int(balance), places, name)}")

    # A store with two POS terminals and a catalogue.
    ctx.chapter(3)
    with exchange.uow() as uow:
        store = create_store(
            uow, "Seoul Coffee", "KRW", "Example Bank", "333-22-1111", fee_bps=FEE_BPS
        )
    outcome.store_id = store.store_id
    for code, label in (("POS-1", "front counter"), ("POS-2", "terrace")):
        with exchange.uow() as uow:
            add_terminal(uow, store.store_id, code, label)
    for sku, name, price, stock in CATALOGUE:
        with exchange.uow() as uow:
            add_item(uow, store.store_id, sku, name, symbol, price, stock, chain.chain_id)
    ctx.say(
        f"store 'Seoul Coffee' registered as {store.store_id[:18]}… (never an address on chain)"
    )

    # The rate at the time of sale: what the e-money is worth in the store's fiat. Sales are
    # dated by the chain's clock, which may run ahead of or behind the wall clock.
    chain_time = datetime.fromtimestamp(chain.pending_timestamp, UTC)
    with exchange.uow() as uow:
        set_rate(uow, symbol, "KRW", Decimal("1350.00"), observed_at=min(chain_time, utcnow()))

    # The exchange server, with a key for POS-1 and one for the store manager, who registers
    # the store's webhook endpoint.
    pos = server.clients(ctx, store.store_id, "POS-1")
    ctx.say(
        f"exchange server up: `coinpos serve` on {server.url} and `coinpos notify --follow` "
        f"(their logs in {state_dir}/)"
    )
    ctx.say("  POS-1 holds a terminal key, the store manager a manager key (issued once, hashed)")
    hook = _expect(
        pos.manager.post(
            f"{pos.store_path}/webhooks",
            json={"url": server.receiver.url, "events": list(WEBHOOK_EVENTS)},
        ),
        201,
    )
    outcome.webhook_secret = str(hook["secret"])
    ctx.say(f"  the manager registered the store's webhook endpoint {server.receiver.url}")

    # POS-1 sends its cart; the exchange issues and signs the invoice. The same request sent
    # again (a terminal retrying after a timeout) gets the same invoice, not a second one.
    cart = {
        "coin": symbol,
        "cart": [{"sku": "AMERICANO", "quantity": 2}, {"sku": "CROISSANT", "quantity": 1}],
    }
    path = f"{pos.store_path}/invoices"
    retry = {"Idempotency-Key": INVOICE_REQUEST_KEY}
    invoice = _expect(pos.terminal.post(path, json=cart, headers=retry), 201)
    replay = pos.terminal.post(path, json=cart, headers=retry)
    outcome.invoice_replayed = (
        replay.headers.get("Idempotent-Replayed") == "true" and replay.json()["id"] == invoice["id"]
    )
    first = _Issued(
        ref=str(invoice["id"]),
        amount=int(invoice["price"]["base_units"]),
        deposit_address=str(invoice["payment"]["deposit_address"]),
        uri=str(invoice["payment"]["payment_uri"]),
        qr_png=str(_save_qr(pos, invoice, out_dir / "invoices")),
        pay_call=b"",
    )
    outcome.invoices["counter"] = first.ref
    ctx.say(f"POS-1: POST …/invoices -> invoice {first.ref[:18]}… for {show(first.amount)}")
    ctx.say("  sent again with the same Idempotency-Key: the same invoice, replayed")
    ctx.say(f"  pay to the private deposit address {first.deposit_address}")
    ctx.say(f"  EIP-681: {first.uri}")
    ctx.say(f"  QR code: {first.qr_png} (from GET …/qr.png)")

    # POS-1 follows the invoice's status over server-sent events; the customer pays with a
    # plain transfer to the virtual address.
    ctx.chapter(4)
    stream = StreamReader(
        f"{server.url}{path}/{first.ref}/events",
        {"Authorization": pos.terminal.headers["Authorization"]},
    ).start()
    stack.callback(stream.close)
    _hear(ctx, outcome, stream, "POS-1 is listening")
    wallet.transferToken(emoney, first.deposit_address, first.amount, sender=cast.customer)
    ctx.say(f"the wallet sent {show(first.amount)} to the deposit address (a plain transfer)")

    # The tracker sees it and confirms it at depth; the stream carries each change to POS-1.
    exchange.track()
    _hear(ctx, outcome, stream, "tracker: seen, not yet deep")
    exchange.track(blocks_to_mine=2)
    _hear(ctx, outcome, stream, "tracker: confirmed")
    ctx.say("  POS-1 shows: APPROVED (Settled)")
    settled_hook = _webhook(server, "invoice.settled")
    verify_signature(
        outcome.webhook_secret, settled_hook.headers["Coinpos-Signature"], settled_hook.body
    )
    ctx.say(
        f"  the store's endpoint received invoice.settled (delivery "
        f"{settled_hook.headers['Coinpos-Delivery-Id']}), its Coinpos-Signature verified"
    )

    # The exchange sweeps the deposit into the escrow and captures it.
    with exchange.uow() as uow:
        # The sweep attests the transfer the tracker recorded (sender, amount, tx, log index).
        swept = operations.sweep(uow, exchange.sender, [first.ref], key="sweep-counter-1")
    assert swept.result is not None, swept.plan.skipped
    with exchange.uow() as uow:
        captured = operations.capture(uow, exchange.sender, first.ref)
    exchange.track(blocks_to_mine=2)
    ctx.say(
        f"  swept with {len(swept.plan.deposits[0].transfers)} attested transfer "
        f"(tx {str(swept.result.tx_hash)[:18]}…) and captured (tx {str(captured.tx_hash)[:18]}…): "
        f"{_log_status(exchange, captured.key)}"
    )

    # A second payment, from POS-2, through a direct escrow call from the wallet.
    ctx.chapter(5)
    second = exchange.issue(
        NewInvoice(store.store_id, symbol, cart=(CartLine("LATTE", 3),), terminal="POS-2")
    )
    outcome.invoices["terrace"] = second.ref
    receipt = wallet.payInvoice(
        exchange.escrow, emoney, second.amount, second.pay_call, sender=cast.customer
    )
    ctx.say(
        f"POS-2 invoice for {show(second.amount)} paid from the wallet in one call "
        f"(approve, pay, allowance reset; gas {receipt.gas_used:,})"
    )
    exchange.track(blocks_to_mine=2)
    with exchange.uow() as uow:
        captured_again = operations.capture(uow, exchange.sender, second.ref)
    exchange.track(blocks_to_mine=2)
    status = _log_status(exchange, captured_again.key)
    ctx.say(f"  confirmed and captured; POS-2 shows: APPROVED ({status})")

    # Failures the exchange survives.
    ctx.chapter(6)
    try:
        with exchange.uow() as uow:
            buy_emoney(uow, bank_payment, coin, DEFAULT_PEG, minter)
    except DuplicateDepositError as exc:
        outcome.duplicate_deposit_refused = True
        ctx.say(f"the same bank transfer reported again is refused: {exc}")
    with exchange.uow() as uow:
        repeat = operations.capture(uow, exchange.sender, second.ref)
    outcome.duplicate_broadcasts = len(repeat.broadcast)
    ctx.say(
        f"a duplicate capture request: {len(repeat.broadcast)} transactions sent, "
        f"status {repeat.status} (the first one stands)"
    )

    third = exchange.issue(NewInvoice(store.store_id, symbol, amount=450, terminal="POS-1"))
    outcome.invoices["starved"] = third.ref
    wallet.payInvoice(exchange.escrow, emoney, third.amount, third.pay_call, sender=cast.customer)
    exchange.track(blocks_to_mine=2)
    with exchange.uow() as uow:
        starved = operations.capture(uow, exchange.sender, third.ref, gas_limit=30_000)
    outcome.out_of_gas_attempts = len(starved.broadcast)
    exchange.track(blocks_to_mine=2)
    status = _log_status(exchange, starved.key)
    ctx.say(
        "a capture sent with too little gas ran out of gas and was retried once with more: "
        f"{len(starved.broadcast)} transactions, {status}"
    )

    fourth = exchange.issue(NewInvoice(store.store_id, symbol, amount=320, terminal="POS-2"))
    outcome.invoices["dropped"] = fourth.ref
    wallet.payInvoice(exchange.escrow, emoney, fourth.amount, fourth.pay_call, sender=cast.customer)
    exchange.track(blocks_to_mine=2)
    web3 = chain.provider.web3
    web3.provider.make_request("evm_setAutomine", [False])
    with exchange.uow() as uow:
        request = operations.capture_request(uow, exchange.sender, fourth.ref)
        lost = exchange.sender.submit(uow, request, wait=False)
    web3.provider.make_request("anvil_dropTransaction", [lost.tx_hash])
    web3.provider.make_request("evm_setAutomine", [True])
    exchange.track(blocks_to_mine=2)
    ctx.say(f"a capture the node dropped stays {_log_status(exchange, lost.key)} ...")
    exchange.tracker.clock = lambda: utcnow() + timedelta(days=1, minutes=1)
    exchange.track()
    exchange.tracker.clock = utcnow
    with exchange.uow() as uow:
        notes = uow.session.scalars(
            select(Notification).where(Notification.topic == "entry_cancelled")
        ).all()
    outcome.expired_notifications = len(notes)
    status = _log_status(exchange, lost.key)
    ctx.say(
        f"  ... and a day later is {status}; {len(notes)} notification queued for the store "
        "(`coinpos notify` delivers it)"
    )

    for name, ref in outcome.invoices.items():
        outcome.statuses[name] = exchange.status(ref)

    # The sales report: fiat at the time of sale, and now.
    ctx.chapter(7)
    with exchange.uow() as uow:
        set_rate(uow, symbol, "KRW", Decimal("1382.50"))
    with exchange.uow() as uow:
        outcome.report = sales_report(uow, store.store_id)
    ctx.say(_sales_table(outcome.report, outcome.invoices))
    ctx.say(_counts_table(outcome.report))

    # A partial settlement into fiat at the locked rate; the payout CSV goes to out/.
    with exchange.uow() as uow:
        available = (
            uow.session.scalars(select(StoreBalance).where(StoreBalance.store_id == store.store_id))
            .one()
            .available
        )
    to_settle = available // 2
    # The manager asks for the settlement through the API: the rate is locked now and the
    # amount reserved; the exchange's settlement run sends one settle per coin for every
    # store's requests (reference: the batch's commitment, no store id); the tracker
    # confirms it.
    settlements = f"{pos.store_path}/settlements"
    requested = _expect(
        pos.manager.post(
            settlements,
            json={"coin": symbol, "amount": str(from_base_units(to_settle, decimals))},
            headers={"Idempotency-Key": SETTLEMENT_REQUEST_KEY},
        ),
        201,
    )
    ctx.say(
        f"the manager: POST …/settlements for {show(to_settle)} of {show(available)} -> "
        f"{requested['status']}"
    )
    with exchange.uow() as uow:
        [run] = run_settlements(uow, EscrowSettlementExecutor(exchange.sender))
    ctx.say(
        f"  the settlement run: one settle of {show(run.payout)} plus {show(run.fees)} of fees "
        f"for {run.stores} store(s) (tx {str(run.tx_hash)[:18]}…, reference {run.reference[:18]}…)"
    )
    exchange.track(blocks_to_mine=2)
    settlement = _expect(pos.manager.get(f"{settlements}/{requested['id']}"), 200)
    outcome.settlement_status = str(settlement["status"])
    outcome.settled = to_settle
    ctx.say(
        f"  {settlement['status']} on chain at the locked rate {settlement['rate']} KRW: payout "
        f"{settlement['net']} KRW after a {settlement['fee']} KRW fee"
    )
    paid_out = _webhook(server, "settlement.settled")
    verify_signature(outcome.webhook_secret, paid_out.headers["Coinpos-Signature"], paid_out.body)
    ctx.say("  the store's endpoint received settlement.settled, its signature verified")
    outcome.webhooks = list(server.receiver.received)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / "payouts.csv"
    with csv_path.open("w", newline="") as handle, exchange.uow() as uow:
        export_payouts(uow, handle)
    outcome.payout_rows = list(csv.DictReader(io.StringIO(csv_path.read_text())))
    ctx.say(f"payout CSV for the bank transfer: {csv_path} ({len(outcome.payout_rows)} row)")
    stale = prune_invoice_files(ctx.engine, out_dir / "invoices")
    if stale:
        ctx.say(f"removed {len(stale)} QR files of invoices not in this run's database")
    return outcome


def _sales_table(report: SalesReport, invoices: dict[str, str]) -> Table:
    """One row per invoice, named by its part in the story, valued at sale time and now."""
    names = {ref: name for name, ref in invoices.items()}
    table = Table(title=f"sales of the store, in {report.fiat}")
    for column in ("invoice", "amount", "status", "at sale", "now"):
        table.add_column(column, justify="left" if column in {"invoice", "status"} else "right")
    for sale in report.sales:
        table.add_row(
            names.get(sale.invoice_hash, sale.invoice_hash),
            format_amount(sale.amount_base_units, sale.decimals, sale.coin),
            str(sale.status),
            "" if sale.fiat_at_sale is None else f"{sale.fiat_at_sale:f}",
            "" if sale.fiat_now is None else f"{sale.fiat_now:f}",
        )
    summary = report.summary()
    table.add_section()
    table.add_row(
        f"{summary['sales']} sales", "", "", f"{summary['total_at_sale']:f}",
        f"{summary['total_now']:f}",
    )  # fmt: skip
    return table


def _counts_table(report: SalesReport) -> Table:
    """The store's transaction log (captures, settlements, ...) counted by outcome."""
    table = Table(title="the store's requests in the transaction log")
    for name in report.counts:
        table.add_column(name, justify="right")
    table.add_row(*(str(count) for count in report.counts.values()))
    return table


def _expect(answer: httpx.Response, status: int) -> dict[str, Any]:
    """The answer's JSON body, if it has the status the story expects; else the story stops
    with what the server said."""
    if answer.status_code != status:
        raise ExchangeProcessError(
            f"{answer.request.method} {answer.request.url.path} answered "
            f"{answer.status_code}: {answer.text}"
        )
    body: dict[str, Any] = answer.json()
    return body


def _save_qr(pos: StoreClients, invoice: dict[str, Any], folder: Path) -> Path:
    """The invoice's QR codes as the server draws them, saved as `<hash>.png` and `.svg`."""
    folder.mkdir(parents=True, exist_ok=True)
    for kind in ("png", "svg"):
        answer = pos.terminal.get(invoice["qr"][kind])
        answer.raise_for_status()
        (folder / f"{invoice['id']}.{kind}").write_bytes(answer.content)
    return folder / f"{invoice['id']}.png"


def _hear(ctx: DemoContext, outcome: PaymentsOutcome, stream: StreamReader, why: str) -> None:
    """Waits for the stream's next status and tells it."""
    event = stream.next(timeout=30)
    status = str(event.data["status"])
    outcome.streamed.append(status)
    ctx.say(f"  {why}; POS-1's event stream: {status} (event {event.id})")


def _webhook(server: ExchangeServer, event_type: str, timeout: float = 30) -> Received:
    """The first delivery of `event_type` to the store's endpoint, waiting for the notifier."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for got in list(server.receiver.received):
            if got.headers.get("Coinpos-Event-Type") == event_type:
                return got
        time.sleep(0.1)
    raise ExchangeProcessError(
        f"no {event_type} webhook reached the store's endpoint in {timeout:.0f} s"
    )


def _log_status(exchange: _Exchange, key: str) -> TxStatus:
    with exchange.uow() as uow:
        return uow.session.scalars(
            select(TransactionLogEntry.status).where(TransactionLogEntry.idempotency_key == key)
        ).one()
