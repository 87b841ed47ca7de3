"""The operator's escrow operations on stored invoices: capture, void, refund, sweep, recover.

Each builds a `ChainRequest` (the call, its log entry's fields, and the escrow event that
proves it happened) and hands it to the sender, which logs it before sending it once.

Before a new request is logged, what can be known without sending is checked, and a request
the escrow would refuse is an OperationError (nothing logged, nothing sent): an amount over
the invoice's, and the escrow's payment state read by a view call (a capture or void needs
a held payment, a refund a captured one with that much still refundable). A request whose
key is already logged skips the checks: the sender answers it with what was done.

Idempotency keys: a capture or a void happens at most once per invoice, so their key
defaults to the invoice hash; refunds and sweeps may repeat, so their key is the caller's.

No fee goes on chain (escrow v2): a capture takes the gross amount into the token's captured
pool, and its log amount is that gross amount. A request moves no balance: the ledger credits
the store `amount - amount * fee_bps // 10_000` (the invoice's off-chain rate) when the
escrow's PaymentCaptured is confirmed, whichever transaction emitted it.

A sweep attests, per invoice, every transfer the tracker recorded at its deposit address
(sender, amount, transaction hash, log index; a plain ETH transaction has log index
2**32-1) that no earlier sweep gave a fate, and checks them against the address's balances
first: an address holding more than its recorded transfers received something the tracker
saw only as a balance change (or has not seen yet), which cannot be attested, so the sweep
says so and leaves that invoice out (the escrow would skip it anyway).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from coinpos.chainops.escrow import bytes32_topic
from coinpos.chainops.refunds import refundable
from coinpos.chainops.sender import ChainRequest, Effect, SendResult, TransactionSender
from coinpos.db.models import Coin, Invoice, TransactionLogEntry, TxKind, TxStatus
from coinpos.errors import CoinposError
from coinpos.invoices.service import get_invoice, terms_of
from coinpos.invoices.terms import InvoiceTerms
from coinpos.ledger import find_entry, lock_balance, store_credit, unpledged
from coinpos.tracker.keys import ETH_VALUE_INDEX
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError, address, non_empty

# The escrow's Payment.Status, in its order.
PAYMENT_STATUSES = ("never paid", "held", "captured", "closed")
HELD, CAPTURED = 1, 2


class OperationError(CoinposError):
    """An operation refused before anything is logged."""


@dataclass(frozen=True)
class Target:
    invoice: Invoice
    terms: InvoiceTerms

    @property
    def digest(self) -> bytes:
        return bytes32_topic(self.invoice.invoice_hash)


def _target(uow: UnitOfWork, ref: str, sender: TransactionSender) -> Target:
    invoice = get_invoice(uow, ref)
    if invoice.escrow_address != sender.escrow.address:
        raise OperationError(
            f"invoice {invoice.invoice_hash} is payable at escrow {invoice.escrow_address}, "
            f"not {sender.escrow.address}"
        )
    return Target(invoice, terms_of(invoice, _coin(uow.session, invoice)))


def _coin(session: Session, invoice: Invoice) -> Coin:
    coin = session.get(Coin, invoice.coin_id)
    assert coin is not None  # a foreign key guarantees it
    return coin


def _check_payment(
    uow: UnitOfWork,
    sender: TransactionSender,
    target: Target,
    key: str,
    action: str,
    needed: int,
    amount: int | None = None,
) -> None:
    """Refuses a new request the escrow's payment state would make revert."""
    if find_entry(uow.session, key) is not None:
        return
    status, available = sender.escrow.payment(target.digest)
    name = target.invoice.invoice_hash
    if status != needed:
        raise OperationError(
            f"cannot {action} invoice {name}: its payment is {PAYMENT_STATUSES[status]}, "
            f"not {PAYMENT_STATUSES[needed]}"
        )
    if amount is not None and amount > available:
        what = "held" if needed == HELD else "captured and not yet refunded"
        raise OperationError(
            f"cannot {action} {amount} base units of invoice {name}: only {available} are {what}"
        )


def _key(prefix: str, key: str | None, default: str | None = None) -> str:
    if key is None:
        if default is None:
            raise InvalidInputError(f"a {prefix} needs an idempotency key")
        return f"{prefix}:{default}"
    return f"{prefix}:{non_empty(key, 'idempotency key', 100)}"


def capture(
    uow: UnitOfWork,
    sender: TransactionSender,
    invoice_ref: str,
    *,
    amount: int | None = None,
    key: str | None = None,
    gas_limit: int | None = None,
) -> SendResult:
    """Captures `amount` (default: the invoice amount) of a held payment; the rest goes
    back to the payer."""
    request = capture_request(uow, sender, invoice_ref, amount=amount, key=key, gas_limit=gas_limit)
    return sender.submit(uow, request)


def capture_request(
    uow: UnitOfWork,
    sender: TransactionSender,
    invoice_ref: str,
    *,
    amount: int | None = None,
    key: str | None = None,
    gas_limit: int | None = None,
) -> ChainRequest:
    """The request `capture` submits (for callers that submit without waiting)."""
    target = _target(uow, invoice_ref, sender)
    value = target.terms.amount if amount is None else amount
    if value <= 0:
        raise InvalidInputError(f"amount {value} must be a positive number of base units")
    if value > target.terms.amount:
        raise InvalidInputError(
            f"amount {value} is over the invoice's {target.terms.amount} base units"
        )
    request_key = _key("capture", key, target.invoice.invoice_hash)
    _check_payment(uow, sender, target, request_key, "capture", HELD, value)
    return ChainRequest(
        key=request_key,
        kind=TxKind.CAPTURE,
        function="capture",
        args=(target.terms.abi(), value),
        store_id=target.invoice.store_id,
        coin_id=target.invoice.coin_id,
        invoice_id=target.invoice.id,
        amount=value,
        reference=target.invoice.invoice_hash,
        effect=Effect("PaymentCaptured", (target.digest,)),
        gas_limit=gas_limit,
    )


def capture_many(
    uow: UnitOfWork,
    sender: TransactionSender,
    invoice_refs: Sequence[str],
    *,
    key: str,
) -> SendResult:
    """Captures the full amount of several held payments in one transaction (all or none).

    The invoices may be of any stores and coins: nothing in the call names a store."""
    if not invoice_refs:
        raise InvalidInputError("no invoices to capture")
    targets = [_target(uow, ref, sender) for ref in invoice_refs]
    if len({t.invoice.id for t in targets}) != len(targets):
        raise InvalidInputError("an invoice is named twice")
    request_key = _key("capture", key)
    for t in targets:
        _check_payment(uow, sender, t, request_key, "capture", HELD, t.terms.amount)
    first = targets[0]
    only_store = len({t.invoice.store_id for t in targets}) == 1
    only_coin = len({t.invoice.coin_id for t in targets}) == 1
    request = ChainRequest(
        key=request_key,
        kind=TxKind.CAPTURE,
        function="captureMany",
        args=([t.terms.abi() for t in targets], [t.terms.amount for t in targets]),
        store_id=first.invoice.store_id if only_store else None,
        coin_id=first.invoice.coin_id if only_coin else None,
        amount=sum(t.terms.amount for t in targets) if only_coin else None,
        # The batch is all or none, so the first invoice's capture proves all of it.
        effect=Effect("PaymentCaptured", (first.digest,)),
    )
    return sender.submit(uow, request)


def void(
    uow: UnitOfWork, sender: TransactionSender, invoice_ref: str, *, key: str | None = None
) -> SendResult:
    """Returns a held, uncaptured payment to its payer."""
    target = _target(uow, invoice_ref, sender)
    request_key = _key("void", key, target.invoice.invoice_hash)
    _check_payment(uow, sender, target, request_key, "void", HELD)
    request = ChainRequest(
        key=request_key,
        kind=TxKind.VOID,
        function="void",
        args=(target.terms.abi(),),
        store_id=target.invoice.store_id,
        coin_id=target.invoice.coin_id,
        invoice_id=target.invoice.id,
        reference=target.invoice.invoice_hash,
        effect=Effect("PaymentVoided", (target.digest,)),
    )
    return sender.submit(uow, request)


def refund(
    uow: UnitOfWork,
    sender: TransactionSender,
    invoice_ref: str,
    amount: int | None,
    *,
    key: str,
) -> SendResult:
    """Returns `amount` (None: all that is left) of a captured payment from the store's
    balance to the payer; never more than was captured less what is already refunded."""
    target = _target(uow, invoice_ref, sender)
    if amount is not None and amount <= 0:
        raise InvalidInputError(f"amount {amount} must be a positive number of base units")
    request_key = _key("refund", key)
    logged = find_entry(uow.session, request_key)
    if logged is not None:
        # A retry: the sender answers from its entry; the amount is the one it logged.
        amount = logged.amount if amount is None else amount
    else:
        # Under the balance lock until the sender commits the request: two concurrent
        # refunds of one invoice cannot both count the same captured amount.
        balance = lock_balance(uow.session, target.invoice.store_id, target.invoice.coin_id)
        name = target.invoice.invoice_hash
        status, available = sender.escrow.payment(target.digest)
        if status != CAPTURED:
            raise OperationError(
                f"cannot refund invoice {name}: its payment is {PAYMENT_STATUSES[status]}, "
                f"not {PAYMENT_STATUSES[CAPTURED]}"
            )
        left = refundable(available, uow, sender.escrow.w3, target.invoice)
        if left == 0:
            raise OperationError(f"invoice {name} has nothing captured left to refund")
        amount = left if amount is None else amount
        if amount > left:
            raise OperationError(
                f"cannot refund {amount} base units of invoice {name}: only {left} are "
                "captured and not yet refunded"
            )
        store_left = unpledged(uow.session, balance)
        if store_credit(amount, target.invoice.fee_bps) > store_left:
            raise OperationError(
                f"cannot refund {amount} base units of invoice {name}: the store's balance "
                f"not settled, reserved or pledged to refunds is {store_left}, and a refund "
                "comes out of it (less its fee)"
            )
    request = ChainRequest(
        key=request_key,
        kind=TxKind.REFUND,
        function="refund",
        args=(target.terms.abi(), amount),
        store_id=target.invoice.store_id,
        coin_id=target.invoice.coin_id,
        invoice_id=target.invoice.id,
        amount=amount,
        reference=target.invoice.invoice_hash,
        effect=Effect("PaymentRefunded", (target.digest,)),
    )
    return sender.submit(uow, request)


NO_LOG_INDEX = 2**32 - 1  # a plain ETH transaction has no log


@dataclass(frozen=True)
class Attested:
    """One observed transfer at a deposit address, as the sweep attests it."""

    sender: str
    amount: int
    tx_hash: str
    log_index: int  # the chain's log index; NO_LOG_INDEX for a plain ETH transaction

    def abi(self) -> tuple[str, int, bytes, int]:
        return (self.sender, self.amount, bytes32_topic(self.tx_hash), self.log_index)


@dataclass(frozen=True)
class PlannedDeposit:
    target: Target
    transfers: tuple[Attested, ...]
    eth_transfers: tuple[Attested, ...]

    def abi(self, capture: bool) -> tuple[object, ...]:
        return (
            self.target.terms.abi(),
            [t.abi() for t in self.transfers],
            [t.abi() for t in self.eth_transfers],
            capture,
        )


@dataclass(frozen=True)
class SweepPlan:
    deposits: tuple[PlannedDeposit, ...]
    # (invoice hash, why it is left out of the sweep)
    skipped: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SweepOutcome:
    plan: SweepPlan
    # None when nothing could be attested: nothing was logged or sent.
    result: SendResult | None


def _deposit_entries(uow: UnitOfWork, invoice: Invoice) -> list[TransactionLogEntry]:
    """The transfers the tracker recorded at the invoice's deposit address (kind payment,
    no escrow event: a direct `pay` is an InvoicePaid entry) on the chain as it stands."""
    return list(
        uow.session.scalars(
            select(TransactionLogEntry)
            .where(
                TransactionLogEntry.invoice_id == invoice.id,
                TransactionLogEntry.kind == TxKind.PAYMENT,
                TransactionLogEntry.event.is_(None),
                TransactionLogEntry.status.in_((TxStatus.PENDING, TxStatus.CONFIRMED)),
                TransactionLogEntry.block_hash.is_not(None),
            )
            .order_by(TransactionLogEntry.block_number, TransactionLogEntry.log_index)
        )
    )


def _attested_of(entry: TransactionLogEntry) -> Attested | None:
    if entry.tx_hash is None or entry.sender is None or entry.log_index is None:
        return None
    index = NO_LOG_INDEX if entry.log_index == ETH_VALUE_INDEX else entry.log_index
    if not 0 <= index <= NO_LOG_INDEX:
        return None
    return Attested(address(entry.sender, "sender"), entry.amount or 0, entry.tx_hash, index)


def _token_balance(sender: TransactionSender, token: str, holder: str) -> int:
    data = bytes.fromhex("70a08231") + bytes(12) + bytes.fromhex(holder[2:])
    raw = sender.w3.eth.call({"to": token, "data": data})  # type: ignore[typeddict-item]
    return int.from_bytes(bytes(raw)[:32], "big")


def _eth_balance(sender: TransactionSender, holder: str) -> int:
    return int(sender.w3.eth.get_balance(holder))  # type: ignore[arg-type]


def plan_sweep(
    uow: UnitOfWork, sender: TransactionSender, invoice_refs: Sequence[str]
) -> SweepPlan:
    """What a sweep of these invoices attests, and which are left out and why."""
    targets = [_target(uow, ref, sender) for ref in invoice_refs]
    done = sender.escrow.attested([t.digest for t in targets])
    planned: list[PlannedDeposit] = []
    skipped: list[tuple[str, str]] = []
    for target in targets:
        invoice = target.invoice
        name = invoice.invoice_hash
        if invoice.deposit_address is None:
            skipped.append((name, "has no deposit address"))
            continue
        coin = _coin(uow.session, invoice)
        own: list[Attested] = []
        eth: list[Attested] = []
        unattestable = 0
        for entry in _deposit_entries(uow, invoice):
            found = _attested_of(entry)
            if found is None:
                unattestable += 1
                continue
            if (name, found.tx_hash, found.log_index) in done:
                continue  # a sweep already gave it a fate
            if entry.coin_id == invoice.coin_id:
                own.append(found)
            else:
                # ETH sent to an ERC-20 invoice's address: it goes back to its senders.
                other = uow.session.get(Coin, entry.coin_id) if entry.coin_id else None
                if other is None or other.address is not None or coin.address is None:
                    unattestable += 1
                    continue
                eth.append(found)
        if coin.address is None:
            held, eth_held = _eth_balance(sender, invoice.deposit_address), 0
        else:
            held = _token_balance(sender, coin.address, invoice.deposit_address)
            eth_held = _eth_balance(sender, invoice.deposit_address)
        reason = _mismatch(held, own, eth_held, eth, unattestable)
        if reason is not None:
            skipped.append((name, reason))
            continue
        planned.append(PlannedDeposit(target, tuple(own), tuple(eth)))
    return SweepPlan(tuple(planned), tuple(skipped))


def _mismatch(
    held: int, own: list[Attested], eth_held: int, eth: list[Attested], unattestable: int
) -> str | None:
    """Why the address's balances cannot be attested, or None when they can."""
    if held == 0 and eth_held == 0:
        return "nothing at the deposit address"
    for what, balance, transfers in (("", held, own), ("ETH ", eth_held, eth)):
        seen = sum(t.amount for t in transfers)
        if balance > seen:
            note = f" ({unattestable} without a transaction)" if unattestable else ""
            return (
                f"its address holds {balance} {what}base units but its recorded transfers{note} "
                f"add up to {seen}: what arrived unseen (seen only as a balance change, or not "
                "tracked yet) cannot be attested; skipped"
            )
        if balance < seen:
            return (
                f"its address holds {balance} {what}base units, less than the {seen} its "
                "unswept transfers add up to (a sweep the tracker has not recorded yet?); skipped"
            )
    return None


def sweep(
    uow: UnitOfWork,
    sender: TransactionSender,
    invoice_refs: Sequence[str],
    *,
    key: str,
    capture: bool = False,
) -> SweepOutcome:
    """Sweeps the invoices' deposit addresses into the escrow, attesting every recorded
    transfer; with `capture`, an exact payment is captured in the same call."""
    if not invoice_refs:
        raise InvalidInputError("no deposits to sweep")
    request_key = _key("sweep", key)
    logged = find_entry(uow.session, request_key)
    if logged is not None and (logged.tx_hash is not None or logged.status is not TxStatus.PENDING):
        # Sent before: the sender answers from its entry (what it attested is its calldata).
        request = ChainRequest(request_key, TxKind.SWEEP, "sweep", ([],))
        return SweepOutcome(SweepPlan((), ()), sender.submit(uow, request))
    plan = plan_sweep(uow, sender, invoice_refs)
    if not plan.deposits:
        return SweepOutcome(plan, None)
    only = plan.deposits[0].target.invoice if len(plan.deposits) == 1 else None
    request = ChainRequest(
        key=request_key,
        kind=TxKind.SWEEP,
        function="sweep",
        args=([d.abi(capture) for d in plan.deposits],),
        invoice_id=only.id if only else None,
        reference=only.invoice_hash if only else None,
    )
    return SweepOutcome(plan, sender.submit(uow, request))


def unswept_invoices(uow: UnitOfWork, escrow: str) -> list[str]:
    """Invoices payable at `escrow` with recorded deposit transfers that no confirmed or
    pending DepositKept/DepositReturned of the ledger names yet (candidates for a sweep)."""
    fates = select(TransactionLogEntry.attested_key).where(
        TransactionLogEntry.kind.in_((TxKind.KEPT, TxKind.RETURNED)),
        TransactionLogEntry.attested_key.is_not(None),
    )
    rows = uow.session.scalars(
        select(Invoice.invoice_hash)
        .join(TransactionLogEntry, TransactionLogEntry.invoice_id == Invoice.id)
        .where(
            Invoice.escrow_address == escrow,
            TransactionLogEntry.kind == TxKind.PAYMENT,
            TransactionLogEntry.event.is_(None),
            TransactionLogEntry.status.in_((TxStatus.PENDING, TxStatus.CONFIRMED)),
            TransactionLogEntry.idempotency_key.not_in(fates),
        )
        .distinct()
        .order_by(Invoice.invoice_hash)
    )
    return list(rows)


def recover(
    uow: UnitOfWork,
    sender: TransactionSender,
    invoice_ref: str,
    token: str,
    transfers: Sequence[Attested],
    *,
    key: str,
) -> SendResult:
    """Sends another ERC-20 token than the invoice's, sent to its deposit address by mistake,
    back to its senders (a named payer: to the payer), attesting the transfers staff observed
    (the tracker does not watch other tokens)."""
    target = _target(uow, invoice_ref, sender)
    token = address(token, "token")
    if token.lower() == target.terms.token.lower():
        raise InvalidInputError("that is the invoice's own token: sweep it instead")
    if not transfers:
        raise InvalidInputError("no transfers to attest")
    request_key = _key("recover", key)
    if find_entry(uow.session, request_key) is None and target.invoice.deposit_address:
        held = _token_balance(sender, token, target.invoice.deposit_address)
        seen = sum(t.amount for t in transfers)
        if held != seen:
            raise OperationError(
                f"the deposit address holds {held} base units of {token}, the transfers "
                f"given add up to {seen}: the escrow would skip it"
            )
    request = ChainRequest(
        key=request_key,
        kind=TxKind.SWEEP,
        function="recoverToken",
        args=(target.terms.abi(), token, [t.abi() for t in transfers]),
        invoice_id=target.invoice.id,
        reference=target.invoice.invoice_hash,
    )
    return sender.submit(uow, request)
