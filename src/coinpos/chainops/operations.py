"""The operator's escrow operations on stored invoices: capture, void, refund, sweep.

Each builds a `ChainRequest` (the call, its log entry's fields, and the escrow event that
proves it happened) and hands it to the sender, which logs it before sending it once.

Before a new request is logged, what can be known without sending is checked, and a request
the escrow would refuse is an OperationError (nothing logged, nothing sent): an amount over
the invoice's, and the escrow's payment state read by a view call (a capture or void needs
a held payment, a refund a captured one with that much still refundable). A request whose
key is already logged skips the checks: the sender answers it with what was done.

Idempotency keys: a capture or a void happens at most once per invoice, so their key
defaults to the invoice hash; refunds and sweeps may repeat, so their key is the caller's.
A capture's log amount is what the store is credited: the amount less the fee, rounded
down as the escrow does, so confirmed captures add up to `storeBalance` on chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from coinpos.chainops.escrow import bytes32_topic
from coinpos.chainops.refunds import refundable
from coinpos.chainops.sender import ChainRequest, Effect, SendResult, TransactionSender
from coinpos.db.models import Coin, Invoice, TxKind
from coinpos.errors import CoinposError
from coinpos.invoices.service import get_invoice, terms_of
from coinpos.invoices.terms import MAX_BPS, InvoiceTerms
from coinpos.ledger import find_entry, lock_balance
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError, address, non_empty

DEFAULT_CAPTURE_FEE_BPS = 100
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


def store_credit(amount: int, fee_bps: int) -> int:
    """What a capture of `amount` credits the store: the fee is rounded down, as on chain."""
    return amount - amount * fee_bps // MAX_BPS


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


def _fee(target: Target, fee_bps: int | None) -> int:
    chosen = fee_bps
    if chosen is None:
        low, high = target.terms.min_fee_bps, target.terms.max_fee_bps
        chosen = min(max(DEFAULT_CAPTURE_FEE_BPS, low), high)
    if not target.terms.min_fee_bps <= chosen <= target.terms.max_fee_bps:
        raise InvalidInputError(
            f"fee {chosen} bps is outside the invoice's bounds "
            f"{target.terms.min_fee_bps}..{target.terms.max_fee_bps}"
        )
    return chosen


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
    fee_bps: int | None = None,
    key: str | None = None,
    gas_limit: int | None = None,
) -> SendResult:
    """Captures `amount` (default: the invoice amount) of a held payment."""
    request = capture_request(
        uow, sender, invoice_ref, amount=amount, fee_bps=fee_bps, key=key, gas_limit=gas_limit
    )
    return sender.submit(uow, request)


def capture_request(
    uow: UnitOfWork,
    sender: TransactionSender,
    invoice_ref: str,
    *,
    amount: int | None = None,
    fee_bps: int | None = None,
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
    fee = _fee(target, fee_bps)
    request_key = _key("capture", key, target.invoice.invoice_hash)
    _check_payment(uow, sender, target, request_key, "capture", HELD, value)
    return ChainRequest(
        key=request_key,
        kind=TxKind.CAPTURE,
        function="capture",
        args=(target.terms.abi(), value, fee),
        store_id=target.invoice.store_id,
        coin_id=target.invoice.coin_id,
        invoice_id=target.invoice.id,
        amount=store_credit(value, fee),
        reference=target.invoice.invoice_hash,
        effect=Effect("PaymentCaptured", (target.digest,)),
        gas_limit=gas_limit,
    )


def capture_many(
    uow: UnitOfWork,
    sender: TransactionSender,
    invoice_refs: Sequence[str],
    *,
    fee_bps: int | None = None,
    key: str,
) -> SendResult:
    """Captures the full amount of several held payments in one transaction (all or none)."""
    if not invoice_refs:
        raise InvalidInputError("no invoices to capture")
    targets = [_target(uow, ref, sender) for ref in invoice_refs]
    stores = {(t.invoice.store_id, t.invoice.coin_id) for t in targets}
    if len(stores) != 1:
        raise OperationError("a batch capture logs one store balance: one store and coin per batch")
    fees = [_fee(t, fee_bps) for t in targets]
    request_key = _key("capture", key)
    for t in targets:
        _check_payment(uow, sender, t, request_key, "capture", HELD, t.terms.amount)
    first = targets[0]
    request = ChainRequest(
        key=request_key,
        kind=TxKind.CAPTURE,
        function="captureMany",
        args=([t.terms.abi() for t in targets], [t.terms.amount for t in targets], fees),
        store_id=first.invoice.store_id,
        coin_id=first.invoice.coin_id,
        amount=sum(store_credit(t.terms.amount, f) for t, f in zip(targets, fees, strict=True)),
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
        lock_balance(uow.session, target.invoice.store_id, target.invoice.coin_id)
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


def sweep(
    uow: UnitOfWork,
    sender: TransactionSender,
    deposits: Sequence[tuple[str, str]],
    *,
    key: str,
    capture_fee_bps: int | None = None,
) -> SendResult:
    """Sweeps (invoice, payer) deposits into the escrow; with a fee, `sweepAndCapture`."""
    if not deposits:
        raise InvalidInputError("no deposits to sweep")
    targets = [_target(uow, ref, sender) for ref, _ in deposits]
    payers = [address(payer, "payer") for _, payer in deposits]
    invoices = [t.terms.abi() for t in targets]
    function: str
    args: tuple[object, ...]
    if capture_fee_bps is None:
        function, args = "sweep", (invoices, payers)
    else:
        fees = [_fee(t, capture_fee_bps) for t in targets]
        function, args = "sweepAndCapture", (invoices, payers, fees)
    only = targets[0].invoice if len(targets) == 1 else None
    request = ChainRequest(
        key=_key("sweep", key),
        kind=TxKind.SWEEP,
        function=function,
        args=args,
        invoice_id=only.id if only else None,
        reference=only.invoice_hash if only else None,
    )
    return sender.submit(uow, request)
