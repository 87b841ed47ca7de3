"""The exchange's transaction sender: every request is logged before it is sent, once.

`submit(uow, request)`:
1. A request whose idempotency key is in the transaction log is never sent blindly again:
   - with a transaction hash: it was sent; the same result is returned, nothing is sent;
   - without one (the process died between logging and sending, or before the hash was
     written): the escrow is asked whether the effect is already there (the event this
     request emits, in a transaction no other log entry claims). If so, that transaction
     is recorded; if not, and the operator has no transaction in flight, it is sent now.
2. A new request is written to the log (pending, with its key and deadline) and committed
   before anything goes to the node.
3. The call is estimated first: a revert is recorded as a failed entry with the decoded
   custom error, and nothing is sent.
4. The signed transaction is broadcast and its hash committed. Waiting for the receipt: a
   transaction that ran out of gas is sent once more with a higher limit; any other
   status 0 fails the entry with the decoded error.

`bump_fee(uow, key)` replaces a pending transaction with the same nonce and higher fees.
Confirming an entry at depth is the tracker's job (coinpos.ledger.confirm).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from web3.exceptions import ContractLogicError, TimeExhausted, TransactionNotFound, Web3RPCError

from coinpos.chainops.escrow import Escrow
from coinpos.chainops.keys import OperatorKey
from coinpos.db.models import TransactionLogEntry, TxKind, TxStatus
from coinpos.db.types import utcnow
from coinpos.errors import CoinposError
from coinpos.ledger import DEFAULT_PENDING_DEADLINE, find_entry, log_request
from coinpos.unit_of_work import UnitOfWork

# Headroom over the node's gas estimate, and the factor of the one retry after out of gas.
GAS_HEADROOM_PERCENT = 125
OUT_OF_GAS_RETRY_PERCENT = 200
# EIP-1559 replacement needs at least +10% on both fee fields; 25% clears every node's rule.
DEFAULT_BUMP_PERCENT = 125


class SendError(CoinposError):
    """A request that could not be sent; its log entry says why."""


class OperatorBusyError(SendError):
    """The operator has transactions in flight, so a resend could race one of them."""


@dataclass(frozen=True)
class Effect:
    """The escrow event a request's success emits, with its indexed values (None = any)."""

    event: str
    topics: tuple[bytes | None, ...]


@dataclass(frozen=True)
class ChainRequest:
    key: str
    kind: TxKind
    function: str
    args: tuple[Any, ...]
    store_id: str | None = None
    coin_id: int | None = None
    invoice_id: int | None = None
    # Base units this request moves for the store (a capture: what the store is credited).
    amount: int | None = None
    reference: str | None = None
    # None: the event cannot tell (a sweep moves only what arrived, so resending is harmless).
    effect: Effect | None = None
    gas_limit: int | None = None
    deadline: timedelta = DEFAULT_PENDING_DEADLINE


@dataclass(frozen=True)
class SendResult:
    key: str
    status: TxStatus
    tx_hash: str | None
    # Transactions this call broadcast (0 when the request was already done or sent).
    broadcast: list[str] = field(default_factory=list)
    failure_reason: str | None = None
    # Base units the request moves, as logged (refunds, settlements, captures).
    amount: int | None = None


class TransactionSender:
    def __init__(
        self,
        escrow: Escrow,
        key: OperatorKey,
        *,
        receipt_timeout: float = 60.0,
    ) -> None:
        self.escrow = escrow
        self.w3 = escrow.w3
        self.key = key
        self.receipt_timeout = receipt_timeout

    # --- entry points ------------------------------------------------------------------------

    def submit(self, uow: UnitOfWork, request: ChainRequest, *, wait: bool = True) -> SendResult:
        entry = find_entry(uow.session, request.key)
        if entry is None:
            entry = log_request(
                uow.session,
                request.key,
                request.kind,
                store_id=request.store_id,
                coin_id=request.coin_id,
                amount=request.amount,
                reference=request.reference,
                chain_id=int(self.w3.eth.chain_id),
                deadline=request.deadline,
            )
            entry.invoice_id = request.invoice_id
            uow.commit()
        elif entry.status is not TxStatus.PENDING or entry.tx_hash is not None:
            return _result(entry)
        else:
            found = self._find_effect(uow, entry, request.effect)
            if found is not None:
                entry.tx_hash = found
                entry.failure_reason = None
                entry.updated_at = utcnow()
                uow.commit()
                return _result(entry)
            self._check_idle()
        return self._send(uow, entry, request, wait)

    def bump_fee(
        self, uow: UnitOfWork, key: str, percent: int = DEFAULT_BUMP_PERCENT
    ) -> SendResult:
        """Replaces the entry's pending transaction: same nonce and call, higher fees."""
        if percent <= 110:
            raise SendError("a replacement needs fees more than 10% higher")
        entry = find_entry(uow.session, key)
        if entry is None or entry.tx_hash is None:
            raise SendError(f"request {key!r} has no transaction sent")
        if self._receipt(entry.tx_hash) is not None:
            raise SendError(f"request {key!r} is already mined in {entry.tx_hash}")
        try:
            old = self.w3.eth.get_transaction(entry.tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound:
            raise SendError(f"transaction {entry.tx_hash} is not known to the node") from None
        tx = {
            "chainId": int(self.w3.eth.chain_id),
            "nonce": int(old["nonce"]),
            "to": old["to"],
            "data": bytes(old["input"]),
            "value": int(old["value"]),
            "gas": int(old["gas"]),
            "maxFeePerGas": _raise(int(old["maxFeePerGas"]), percent),
            "maxPriorityFeePerGas": _raise(int(old["maxPriorityFeePerGas"]), percent),
        }
        tx_hash = self._broadcast(tx)
        entry.tx_hash = tx_hash
        entry.updated_at = utcnow()
        uow.commit()
        return _result(entry, [tx_hash])

    def wait(self, uow: UnitOfWork, key: str) -> SendResult:
        """Waits for the entry's transaction and records a failure (see `submit`)."""
        entry = find_entry(uow.session, key)
        if entry is None or entry.tx_hash is None:
            raise SendError(f"request {key!r} has no transaction sent")
        receipt = self._wait(entry.tx_hash)
        if receipt is not None and int(receipt["status"]) == 0:
            self._fail(uow, entry, self._reason(entry.tx_hash, receipt))
        return _result(entry)

    # --- steps ---------------------------------------------------------------------------------

    def _send(
        self, uow: UnitOfWork, entry: TransactionLogEntry, request: ChainRequest, wait: bool
    ) -> SendResult:
        data = self.escrow.calldata(request.function, *request.args)
        call = {"from": self.key.address, "to": self.escrow.address, "data": data}
        try:
            estimate = int(self.w3.eth.estimate_gas(call))  # type: ignore[arg-type]
        except ContractLogicError as exc:
            self._fail(uow, entry, self.escrow.decode_error(_revert_data(exc)))
            return _result(entry)
        gas = request.gas_limit or estimate * GAS_HEADROOM_PERCENT // 100
        sent = [self._send_call(uow, entry, data, gas)]
        if not wait:
            return _result(entry, sent)
        receipt = self._wait(sent[-1])
        if receipt is not None and int(receipt["status"]) == 0 and _out_of_gas(receipt, gas):
            retry_gas = max(gas * OUT_OF_GAS_RETRY_PERCENT // 100, estimate)
            entry.failure_reason = f"{sent[-1]} ran out of gas at {gas}; resent with {retry_gas}"
            sent.append(self._send_call(uow, entry, data, retry_gas))
            receipt = self._wait(sent[-1])
            gas = retry_gas
        if receipt is not None and int(receipt["status"]) == 0:
            reason = "out of gas" if _out_of_gas(receipt, gas) else None
            self._fail(uow, entry, reason or self._reason(sent[-1], receipt))
        return _result(entry, sent)

    def transact(self, function: str, *args: Any) -> str:
        """Sends one escrow call outside the log (its caller logged it) and waits for it.

        Returns the hash of the mined transaction; a revert, before or after sending,
        raises SendError with the decoded error.
        """
        data = self.escrow.calldata(function, *args)
        call = {"from": self.key.address, "to": self.escrow.address, "data": data}
        try:
            estimate = int(self.w3.eth.estimate_gas(call))  # type: ignore[arg-type]
        except ContractLogicError as exc:
            raise SendError(self.escrow.decode_error(_revert_data(exc))) from None
        tx_hash = self._transact(data, estimate * GAS_HEADROOM_PERCENT // 100)
        receipt = self._wait(tx_hash)
        if receipt is None:
            raise SendError(f"{tx_hash} was not mined within {self.receipt_timeout} s")
        if int(receipt["status"]) == 0:
            raise SendError(f"{tx_hash} failed: {self._reason(tx_hash, receipt)}")
        return tx_hash

    def _send_call(self, uow: UnitOfWork, entry: TransactionLogEntry, data: bytes, gas: int) -> str:
        try:
            tx_hash = self._transact(data, gas)
        except SendError as exc:
            # Still pending and unsent: a later submit retries it; past its deadline it expires.
            entry.failure_reason = str(exc)
            entry.updated_at = utcnow()
            uow.commit()
            raise
        entry.tx_hash = tx_hash
        entry.updated_at = utcnow()
        uow.commit()
        return tx_hash

    def _transact(self, data: bytes, gas: int) -> str:
        latest = self.w3.eth.get_block("latest")
        priority = int(self.w3.eth.max_priority_fee)
        tx = {
            "chainId": int(self.w3.eth.chain_id),
            "nonce": int(self.w3.eth.get_transaction_count(self.key.address, "pending")),  # type: ignore[arg-type]
            "to": self.escrow.address,
            "data": data,
            "value": 0,
            "gas": gas,
            "maxPriorityFeePerGas": priority,
            "maxFeePerGas": 2 * int(latest.get("baseFeePerGas", 0)) + priority,
        }
        return self._broadcast(tx)

    def _broadcast(self, tx: dict[str, Any]) -> str:
        raw = self.key.sign_transaction(tx)
        try:
            return "0x" + bytes(self.w3.eth.send_raw_transaction(raw)).hex()
        except (Web3RPCError, ValueError) as exc:
            raise SendError(f"the node refused the transaction: {exc}") from None

    def _receipt(self, tx_hash: str) -> Any:
        try:
            return self.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound:
            return None

    def _wait(self, tx_hash: str) -> Any:
        try:
            return self.w3.eth.wait_for_transaction_receipt(
                tx_hash,  # type: ignore[arg-type]
                timeout=self.receipt_timeout,
                poll_latency=0.05,
            )
        except TimeExhausted:
            # Still pending: the tracker confirms it, or it expires at its deadline.
            return None

    def _reason(self, tx_hash: str, receipt: Any) -> str:
        """The decoded error of a mined, failed transaction, by replaying the call.

        Replayed on the state after its block first (which holds what the transactions
        before it in the block did, such as a competing capture), then before it.
        """
        tx = self.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
        call = {"from": tx["from"], "to": tx["to"], "data": tx["input"], "gas": tx["gas"]}
        block = int(receipt["blockNumber"])
        for state in (block, block - 1):
            try:
                self.w3.eth.call(call, state)  # type: ignore[arg-type]
            except ContractLogicError as exc:
                return self.escrow.decode_error(_revert_data(exc))
        return "reverted"

    def _fail(self, uow: UnitOfWork, entry: TransactionLogEntry, reason: str) -> None:
        entry.status = TxStatus.FAILED
        entry.failure_reason = reason
        entry.updated_at = utcnow()
        uow.commit()

    def _find_effect(
        self, uow: UnitOfWork, entry: TransactionLogEntry, effect: Effect | None
    ) -> str | None:
        if effect is None:
            return None
        hashes = self.escrow.event_tx_hashes(effect.event, *effect.topics)
        if not hashes:
            return None
        claimed = set(
            uow.session.scalars(
                select(TransactionLogEntry.tx_hash).where(
                    TransactionLogEntry.tx_hash.in_(hashes),
                    TransactionLogEntry.id != entry.id,
                )
            )
        )
        return next((h for h in hashes if h not in claimed), None)

    def _check_idle(self) -> None:
        address = self.key.address
        pending = self.w3.eth.get_transaction_count(address, "pending")  # type: ignore[arg-type]
        mined = self.w3.eth.get_transaction_count(address, "latest")  # type: ignore[arg-type]
        if pending > mined:
            raise OperatorBusyError(
                f"operator {address} has {pending - mined} transaction(s) in flight; "
                "resend once they are mined"
            )


def _result(entry: TransactionLogEntry, broadcast: list[str] | None = None) -> SendResult:
    return SendResult(
        key=entry.idempotency_key,
        status=entry.status,
        tx_hash=entry.tx_hash,
        broadcast=broadcast or [],
        failure_reason=entry.failure_reason,
        amount=entry.amount,
    )


def _raise(fee: int, percent: int) -> int:
    return -(-fee * percent // 100) + 1


def _out_of_gas(receipt: Any, gas_limit: int) -> bool:
    return int(receipt["gasUsed"]) >= gas_limit


def _revert_data(exc: ContractLogicError) -> str | None:
    data = exc.data
    if isinstance(data, dict):
        data = data.get("data")
    return data if isinstance(data, str) else None
