"""The escrow's events as ledger entries, whoever sent the transaction that emitted them.

Each event becomes one transaction-log entry keyed by its place on the chain (chain, tx hash,
log index), so a rescan finds it again and a reorg re-anchors or drops it like any payment.
The invoice is found by its hash among all the database's invoices (a capture may come long
after the deposit address stopped being watched); a token by its coin. An event of an invoice
or token the database does not know is left out, and `coinpos reconcile` shows the gap.

    InvoicePaid      -> payment (a direct pay: held from this block on)
    DepositKept      -> kept      (the attested transfer became the payment or a top-up)
    DepositReturned  -> returned  (the attested transfer went back to its sender)
    DepositReclaimed -> returned  (the named payer pulled the unswept address back: no
                                   attested transfer, the amount comes off what was seen)
    PaymentCaptured  -> captured  (amount; the rest `released` to the payer)
    PaymentRefunded / PaymentVoided / PaymentReclaimed -> refunded / voided / reclaimed
    ReturnOwed / OwedWithdrawn -> return_owed / owed_withdrawn
    Settled          -> settled   (payout as the amount, the fees, the batch reference)
    FeesWithdrawn    -> fees_withdrawn

The attested transfer of a DepositKept/DepositReturned is named by the key its own
observation has (`keys.log_key`; a plain ETH transfer, logIndex type(uint32).max, is
ETH_VALUE_INDEX), so the invoice's status matches the deposit it saw with its fate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from coinpos.db.models import Coin, Invoice, TxKind
from coinpos.tracker.keys import ETH_VALUE_INDEX, log_key
from coinpos.tracker.observations import Observation
from coinpos.tracker.scan import EscrowLog

NO_LOG_INDEX = 2**32 - 1
ZERO_ADDRESS = "0x" + "00" * 20
_CHUNK = 900

_KINDS: dict[str, TxKind] = {
    "InvoicePaid": TxKind.PAYMENT,
    "DepositKept": TxKind.KEPT,
    "DepositReturned": TxKind.RETURNED,
    "DepositReclaimed": TxKind.RETURNED,
    "PaymentCaptured": TxKind.CAPTURED,
    "PaymentRefunded": TxKind.REFUNDED,
    "PaymentVoided": TxKind.VOIDED,
    # The held payment goes back to its payer, as a void would send it.
    "PaymentReplaced": TxKind.VOIDED,
    "PaymentReclaimed": TxKind.RECLAIMED,
    "ReturnOwed": TxKind.RETURN_OWED,
    "OwedWithdrawn": TxKind.OWED_WITHDRAWN,
    "Settled": TxKind.SETTLED,
    "FeesWithdrawn": TxKind.FEES_WITHDRAWN,
}


@dataclass(frozen=True)
class _Invoice:
    id: int
    store_id: str
    coin_id: int


def attested_key(chain_id: int, tx_hash: str, log_index: int) -> str:
    """The observation key of a transfer a sweep attested."""
    index = ETH_VALUE_INDEX if log_index == NO_LOG_INDEX else log_index
    return log_key(chain_id, tx_hash.lower(), index)


def _invoices(session: Session, hashes: set[str]) -> dict[str, _Invoice]:
    found: dict[str, _Invoice] = {}
    ordered = sorted(hashes)
    for start in range(0, len(ordered), _CHUNK):
        rows = session.execute(
            select(Invoice.invoice_hash, Invoice.id, Invoice.store_id, Invoice.coin_id).where(
                Invoice.invoice_hash.in_(ordered[start : start + _CHUNK])
            )
        )
        found.update({h.lower(): _Invoice(i, s, c) for h, i, s, c in rows})
    return found


def _coins(session: Session, chain_id: int) -> dict[str, int]:
    rows = session.execute(select(Coin.address, Coin.id).where(Coin.chain_id == chain_id))
    return {(address or ZERO_ADDRESS).lower(): coin_id for address, coin_id in rows}


def observe(session: Session, chain_id: int, events: Sequence[EscrowLog]) -> list[Observation]:
    """The entries the range's escrow events make (blocks already checked by the scan)."""
    if not events:
        return []
    hashes = {str(e.values["invoiceHash"]) for e in events if "invoiceHash" in e.values}
    invoices = _invoices(session, hashes)
    coins = _coins(session, chain_id)
    found: list[Observation] = []
    for e in events:
        kind = _KINDS.get(e.name)
        if kind is None:
            continue
        v = e.values
        invoice = invoices.get(str(v.get("invoiceHash", "")))
        coin_id = coins.get(str(v["token"])) if "token" in v else None
        if "invoiceHash" in v and invoice is None and kind is not TxKind.RETURN_OWED:
            continue  # not one of ours
        if invoice is not None and coin_id is None:
            coin_id = invoice.coin_id
        if coin_id is None:
            continue  # a token the exchange does not list
        amount = int(v.get("amount", v.get("payout", 0)))
        sender = (
            v.get("payer") or v.get("sender") or v.get("account") or v.get("to")
            or v.get("previousPayer")
        )  # fmt: skip
        attested = (
            attested_key(chain_id, str(v["txHash"]), int(v["logIndex"])) if "txHash" in v else None
        )
        found.append(
            Observation(
                key=log_key(chain_id, e.tx_hash, e.log_index),
                invoice_id=invoice.id if invoice else None,
                store_id=invoice.store_id if invoice else None,
                coin_id=coin_id,
                reference=str(v["reference"]) if kind is TxKind.SETTLED else (
                    str(v["invoiceHash"]) if "invoiceHash" in v else None
                ),
                amount=amount,
                tx_hash=e.tx_hash,
                log_index=e.log_index,
                block_number=e.block_number,
                block_hash=e.block_hash,
                sender=None if sender is None else str(sender),
                kind=kind,
                event=e.name,
                attested_key=attested,
                released=int(v["released"]) if "released" in v else None,
                fee=int(v["fees"]) if "fees" in v else None,
            )
        )  # fmt: skip
    return found
