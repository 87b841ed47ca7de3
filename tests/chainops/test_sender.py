"""The transaction sender on a real anvil: logged before sent, one on-chain effect per request,
out of gas retried once, fee bumps keep the nonce, reverts fail the entry with the error name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from coinpos.chainops import operations
from coinpos.chainops.escrow import Escrow
from coinpos.chainops.sender import TransactionSender
from coinpos.db.models import REQUEST_KINDS, Invoice, TransactionLogEntry, TxKind, TxStatus
from coinpos.errors import CoinposError
from coinpos.invoices.service import terms_of
from coinpos.ledger import find_entry, lock_balance, lock_fees, log_request
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError
from tests.chainops.conftest import Shop

CAPTURED = 2
CLOSED = 3


def _paid(issue: Callable[..., Invoice], shop: Shop, escrow: Any, customer: Any) -> Invoice:
    invoice = issue()
    escrow.pay(terms_of(invoice, shop.cpw).abi(), invoice.operator_signature, sender=customer)
    return invoice


def _events(escrow_client: Escrow, name: str, invoice: Invoice) -> list[str]:
    return escrow_client.event_tx_hashes(name, bytes.fromhex(invoice.invoice_hash[2:]))


def _entry(shop: Shop, key: str) -> TransactionLogEntry:
    with UnitOfWork(shop.engine) as uow:
        entry = find_entry(uow.session, key)
        assert entry is not None
        uow.session.expunge(entry)
        return entry


def test_capture__sent_twice__one_transaction_and_one_event(
    issue: Callable[..., Invoice],
    shop: Shop,
    escrow: Any,
    funded: Any,
    customer: Any,
    sender: TransactionSender,
    escrow_client: Escrow,
) -> None:
    invoice = _paid(issue, shop, escrow, customer)
    with UnitOfWork(shop.engine) as uow:
        first = operations.capture(uow, sender, invoice.invoice_hash)
    with UnitOfWork(shop.engine) as uow:
        second = operations.capture(uow, sender, invoice.invoice_hash)
    assert len(first.broadcast) == 1 and second.broadcast == []
    assert second.tx_hash == first.tx_hash
    assert _events(escrow_client, "PaymentCaptured", invoice) == [first.tx_hash]
    entry = _entry(shop, f"capture:{invoice.invoice_hash}")
    assert entry.status is TxStatus.PENDING  # the tracker confirms it at depth
    assert (entry.kind, entry.tx_hash, entry.invoice_id) == (
        TxKind.CAPTURE,
        first.tx_hash,
        invoice.id,
    )
    # No fee on chain: the gross amount goes into the token's captured pool (the ledger
    # credits the store less the invoice's fee once the capture is confirmed).
    assert entry.amount == 12_345 == escrow.pool(shop.cpw.address).captured


def test_capture__crash_after_logging_before_sending__resend_sends_once(
    issue: Callable[..., Invoice],
    shop: Shop,
    escrow: Any,
    funded: Any,
    customer: Any,
    sender: TransactionSender,
    escrow_client: Escrow,
) -> None:
    invoice = _paid(issue, shop, escrow, customer)
    key = f"capture:{invoice.invoice_hash}"
    with UnitOfWork(shop.engine) as uow:
        log_request(uow.session, key, TxKind.CAPTURE, store_id=invoice.store_id, amount=1)
        uow.commit()
    with UnitOfWork(shop.engine) as uow:
        result = operations.capture(uow, sender, invoice.invoice_hash)
    assert len(result.broadcast) == 1
    assert _events(escrow_client, "PaymentCaptured", invoice) == [result.tx_hash]
    assert _entry(shop, key).tx_hash == result.tx_hash


def test_capture__crash_after_sending_before_recording__resend_finds_it_and_sends_nothing(
    issue: Callable[..., Invoice],
    shop: Shop,
    escrow: Any,
    funded: Any,
    customer: Any,
    operator: Any,
    sender: TransactionSender,
    escrow_client: Escrow,
) -> None:
    invoice = _paid(issue, shop, escrow, customer)
    key = f"capture:{invoice.invoice_hash}"
    with UnitOfWork(shop.engine) as uow:
        log_request(uow.session, key, TxKind.CAPTURE, store_id=invoice.store_id, amount=1)
        uow.commit()
    terms = terms_of(invoice, shop.cpw)
    sent = escrow.capture(terms.abi(), terms.amount, sender=operator)
    with UnitOfWork(shop.engine) as uow:
        result = operations.capture(uow, sender, invoice.invoice_hash)
    assert result.broadcast == []
    assert result.tx_hash == sent.txn_hash
    assert _events(escrow_client, "PaymentCaptured", invoice) == [sent.txn_hash]
    assert escrow.payment(invoice.invoice_hash).status == CAPTURED


def test_capture__gas_limit_too_low__retried_once_with_more_gas(
    issue: Callable[..., Invoice],
    shop: Shop,
    escrow: Any,
    funded: Any,
    customer: Any,
    sender: TransactionSender,
    escrow_client: Escrow,
    chain: Any,
) -> None:
    invoice = _paid(issue, shop, escrow, customer)
    with UnitOfWork(shop.engine) as uow:
        result = operations.capture(uow, sender, invoice.invoice_hash, gas_limit=30_000)
    assert len(result.broadcast) == 2
    starved, retried = (
        chain.provider.web3.eth.get_transaction_receipt(h) for h in result.broadcast
    )
    assert (starved["status"], starved["gasUsed"]) == (0, 30_000)
    assert retried["status"] == 1
    assert _events(escrow_client, "PaymentCaptured", invoice) == [result.broadcast[1]]
    entry = _entry(shop, f"capture:{invoice.invoice_hash}")
    assert entry.tx_hash == result.broadcast[1] and entry.status is TxStatus.PENDING
    assert entry.failure_reason and "ran out of gas at 30000" in entry.failure_reason


def test_capture__fee_bump__replacement_keeps_the_nonce_and_only_one_is_mined(
    issue: Callable[..., Invoice],
    shop: Shop,
    escrow: Any,
    funded: Any,
    customer: Any,
    sender: TransactionSender,
    escrow_client: Escrow,
    chain: Any,
) -> None:
    invoice = _paid(issue, shop, escrow, customer)
    web3 = chain.provider.web3
    key = f"capture:{invoice.invoice_hash}"
    web3.provider.make_request("evm_setAutomine", [False])
    try:
        with UnitOfWork(shop.engine) as uow:
            request = operations.capture_request(uow, sender, invoice.invoice_hash)
            first = sender.submit(uow, request, wait=False)
        original = web3.eth.get_transaction(first.tx_hash)
        with UnitOfWork(shop.engine) as uow:
            bumped = sender.bump_fee(uow, key)
        replacement = web3.eth.get_transaction(bumped.tx_hash)
        assert replacement["nonce"] == original["nonce"]
        assert replacement["maxFeePerGas"] > original["maxFeePerGas"] * 11 // 10
        web3.provider.make_request("evm_mine", [])
        assert web3.eth.get_transaction_count(original["from"]) == original["nonce"] + 1
    finally:
        web3.provider.make_request("evm_setAutomine", [True])
    with UnitOfWork(shop.engine) as uow:
        waited = sender.wait(uow, key)
    assert (waited.status, waited.tx_hash) == (TxStatus.PENDING, bumped.tx_hash)
    assert web3.eth.get_transaction_receipt(bumped.tx_hash)["status"] == 1
    assert _events(escrow_client, "PaymentCaptured", invoice) == [bumped.tx_hash]
    assert _entry(shop, key).tx_hash == bumped.tx_hash


def _confirm(track: Callable[[], Any], chain: Any) -> None:
    """The tracker sees the capture and confirms it: the store's balance then holds it, and a
    refund comes out of that balance."""
    track()
    chain.mine(2)
    track()


def _log_size(shop: Shop) -> int:
    with UnitOfWork(shop.engine) as uow:
        return len(list(uow.session.scalars(select(TransactionLogEntry))))


def test_void_and_capture__not_paid__refused_before_logging_and_nothing_sent(
    issue: Callable[..., Invoice], shop: Shop, sender: TransactionSender, operator: Any
) -> None:
    invoice = issue()
    nonce, logged = operator.nonce, _log_size(shop)
    for operation in (operations.void, operations.capture):
        with (
            UnitOfWork(shop.engine) as uow,
            pytest.raises(operations.OperationError, match="its payment is never paid, not held"),
        ):
            operation(uow, sender, invoice.invoice_hash)
    assert (operator.nonce, _log_size(shop)) == (nonce, logged)


def test_capture__over_the_held_amount__refused_before_logging(
    issue: Callable[..., Invoice],
    shop: Shop,
    escrow: Any,
    funded: Any,
    customer: Any,
    sender: TransactionSender,
    operator: Any,
) -> None:
    invoice = _paid(issue, shop, escrow, customer)
    nonce, logged = operator.nonce, _log_size(shop)
    with (
        UnitOfWork(shop.engine) as uow,
        pytest.raises(InvalidInputError, match="over the invoice's 12345 base units"),
    ):
        operations.capture(uow, sender, invoice.invoice_hash, amount=12_346)
    assert (operator.nonce, _log_size(shop)) == (nonce, logged)


def test_refund__over_the_captured_amount_or_not_captured__refused_before_logging(
    issue: Callable[..., Invoice],
    shop: Shop,
    escrow: Any,
    funded: Any,
    customer: Any,
    sender: TransactionSender,
    operator: Any,
    chain: Any,
    track: Callable[[], Any],
) -> None:
    invoice = _paid(issue, shop, escrow, customer)
    with (
        UnitOfWork(shop.engine) as uow,
        pytest.raises(
            operations.OperationError,
            match="its payment is held, not captured",
        ),
    ):
        operations.refund(uow, sender, invoice.invoice_hash, 1, key="early")
    with UnitOfWork(shop.engine) as uow:
        operations.capture(uow, sender, invoice.invoice_hash)
    _confirm(track, chain)
    with UnitOfWork(shop.engine) as uow:
        operations.refund(uow, sender, invoice.invoice_hash, 12_000, key="r-1")
    nonce, logged = operator.nonce, _log_size(shop)
    with (
        UnitOfWork(shop.engine) as uow,
        pytest.raises(
            operations.OperationError,
            match="only 345 are captured and not yet refunded",
        ),
    ):
        operations.refund(uow, sender, invoice.invoice_hash, 346, key="r-2")
    assert (operator.nonce, _log_size(shop)) == (nonce, logged)


def test_void__twice__one_event_and_the_payer_is_repaid_once(
    issue: Callable[..., Invoice],
    shop: Shop,
    escrow: Any,
    funded: Any,
    customer: Any,
    sender: TransactionSender,
    escrow_client: Escrow,
) -> None:
    invoice = _paid(issue, shop, escrow, customer)
    before = funded.balanceOf(customer)
    for _ in range(2):
        with UnitOfWork(shop.engine) as uow:
            operations.void(uow, sender, invoice.invoice_hash)
    assert len(_events(escrow_client, "PaymentVoided", invoice)) == 1
    assert funded.balanceOf(customer) == before + 12_345
    assert escrow.payment(invoice.invoice_hash).status == CLOSED


def test_refund__same_key_twice__refunded_once(
    issue: Callable[..., Invoice],
    shop: Shop,
    escrow: Any,
    funded: Any,
    customer: Any,
    sender: TransactionSender,
    escrow_client: Escrow,
    chain: Any,
    track: Callable[[], Any],
) -> None:
    invoice = _paid(issue, shop, escrow, customer)
    with UnitOfWork(shop.engine) as uow:
        operations.capture(uow, sender, invoice.invoice_hash)
    _confirm(track, chain)
    for _ in range(2):
        with UnitOfWork(shop.engine) as uow:
            operations.refund(uow, sender, invoice.invoice_hash, 2_345, key="r-1")
    with UnitOfWork(shop.engine) as uow:
        operations.refund(uow, sender, invoice.invoice_hash, 1_000, key="r-2")
    assert len(_events(escrow_client, "PaymentRefunded", invoice)) == 2
    assert escrow.pool(shop.cpw.address).captured == 12_345 - 2_345 - 1_000


def test_sweep_and_capture__deposit_by_plain_transfer__captured_once(
    issue: Callable[..., Invoice],
    shop: Shop,
    escrow: Any,
    funded: Any,
    customer: Any,
    sender: TransactionSender,
    escrow_client: Escrow,
    track: Callable[[], Any],
) -> None:
    invoice = issue()
    paid = funded.transfer(invoice.deposit_address, 12_345, sender=customer)
    track()
    for _ in range(2):
        with UnitOfWork(shop.engine) as uow:
            outcome = operations.sweep(
                uow, sender, [invoice.invoice_hash], key="sweep-1", capture=True
            )
    assert outcome.result is not None
    assert _events(escrow_client, "PaymentCaptured", invoice) == [outcome.result.tx_hash]
    assert escrow.pool(shop.cpw.address).captured == 12_345
    # The attestation is on chain: the transfer's sender, amount, transaction and log index.
    receipt = escrow_client.w3.eth.get_transaction_receipt(outcome.result.tx_hash)
    kept = [e for e in escrow.DepositKept.from_receipt(receipt)]
    assert [(e.sender, e.amount, "0x" + bytes(e.txHash).hex()) for e in kept] == [
        (customer.address, 12_345, paid.txn_hash.lower())
    ]
    with UnitOfWork(shop.engine) as uow:
        kinds = uow.session.scalars(
            select(TransactionLogEntry.kind).where(TransactionLogEntry.kind.in_(REQUEST_KINDS))
        ).all()
    assert kinds == [TxKind.SWEEP]


def test_sweep__two_senders_to_an_open_invoice__each_transfer_attested_dust_returned(
    issue: Callable[..., Invoice],
    shop: Shop,
    escrow: Any,
    funded: Any,
    customer: Any,
    stranger: Any,
    sender: TransactionSender,
    escrow_client: Escrow,
    track: Callable[[], Any],
) -> None:
    invoice = issue()
    funded.transfer(stranger, 10, sender=customer)
    funded.transfer(invoice.deposit_address, 1, sender=stranger)
    funded.transfer(invoice.deposit_address, 12_345, sender=customer)
    track()
    with UnitOfWork(shop.engine) as uow:
        outcome = operations.sweep(uow, sender, [invoice.invoice_hash], key="s-2")
    assert outcome.result is not None and outcome.plan.skipped == ()
    (deposit,) = outcome.plan.deposits
    assert sorted((t.sender, t.amount) for t in deposit.transfers) == sorted(
        [(stranger.address, 1), (customer.address, 12_345)]
    )
    payment = escrow.payment(invoice.invoice_hash)
    assert (payment.payer, payment.amount) == (customer.address, 12_345)
    assert len(_events(escrow_client, "DepositReturned", invoice)) == 1


def test_sweep__more_at_the_address_than_recorded__skipped_and_said(
    issue: Callable[..., Invoice],
    shop: Shop,
    escrow: Any,
    funded: Any,
    customer: Any,
    sender: TransactionSender,
    track: Callable[[], Any],
) -> None:
    recorded, unseen = issue(), issue()
    funded.transfer(recorded.deposit_address, 12_345, sender=customer)
    track()
    # Arrives after the tracker ran: on the address, in no entry (as a balance change is).
    funded.transfer(recorded.deposit_address, 5, sender=customer)
    funded.transfer(unseen.deposit_address, 12_345, sender=customer)
    nonce = sender.w3.eth.get_transaction_count(sender.key.address)
    with UnitOfWork(shop.engine) as uow:
        outcome = operations.sweep(
            uow, sender, [recorded.invoice_hash, unseen.invoice_hash], key="s-3"
        )
    assert outcome.result is None and outcome.plan.deposits == ()
    reasons = dict(outcome.plan.skipped)
    assert (
        "holds 12350 base units but its recorded transfers add up to 12345"
        in reasons[recorded.invoice_hash]
    )
    assert "cannot be attested" in reasons[unseen.invoice_hash]
    assert sender.w3.eth.get_transaction_count(sender.key.address) == nonce  # nothing sent
    # Positive control: once the tracker has seen them, both are swept.
    track()
    with UnitOfWork(shop.engine) as uow:
        outcome = operations.sweep(
            uow, sender, [recorded.invoice_hash, unseen.invoice_hash], key="s-4"
        )
    assert outcome.plan.skipped == () and len(outcome.plan.deposits) == 2
    assert escrow.payment(recorded.invoice_hash).amount == 12_350


def test_capture__operator_without_ether__refused_by_the_node__entry_keeps_the_reason(
    issue: Callable[..., Invoice],
    shop: Shop,
    escrow: Any,
    funded: Any,
    customer: Any,
    operator: Any,
    sender: TransactionSender,
    chain: Any,
) -> None:
    import pytest

    from coinpos.chainops.sender import SendError

    invoice = _paid(issue, shop, escrow, customer)
    chain.provider.web3.provider.make_request("anvil_setBalance", [operator.address, "0x0"])
    with UnitOfWork(shop.engine) as uow, pytest.raises(SendError, match="refused"):
        operations.capture(uow, sender, invoice.invoice_hash)
    entry = _entry(shop, f"capture:{invoice.invoice_hash}")
    assert entry.status is TxStatus.PENDING and entry.tx_hash is None
    assert entry.failure_reason and "refused" in entry.failure_reason
    assert escrow.payment(invoice.invoice_hash).status == 1


def test_ape_account_key__signs_invoices_and_transactions_the_escrow_accepts(
    issue: Callable[..., Invoice],
    shop: Shop,
    escrow: Any,
    funded: Any,
    customer: Any,
    operator: Any,
    escrow_client: Escrow,
) -> None:
    from coinpos.chainops.keys import ApeAccountKey

    key = ApeAccountKey(operator)
    invoice = issue()
    terms = terms_of(invoice, shop.cpw)
    signature = key.sign_digest(bytes.fromhex(invoice.invoice_hash[2:]))
    assert "0x" + signature.hex() == invoice.operator_signature
    escrow.pay(terms.abi(), signature, sender=customer)
    with UnitOfWork(shop.engine) as uow:
        result = operations.capture(
            uow, TransactionSender(escrow_client, key), invoice.invoice_hash
        )
    assert _events(escrow_client, "PaymentCaptured", invoice) == [result.tx_hash]


def test_capture_many__same_key_twice__one_transaction_capturing_all(
    issue: Callable[..., Invoice],
    shop: Shop,
    escrow: Any,
    funded: Any,
    customer: Any,
    sender: TransactionSender,
    escrow_client: Escrow,
) -> None:
    invoices = [_paid(issue, shop, escrow, customer) for _ in range(3)]
    hashes = [i.invoice_hash for i in invoices]
    results = []
    for _ in range(2):
        with UnitOfWork(shop.engine) as uow:
            results.append(operations.capture_many(uow, sender, hashes, key="b-1"))
    assert len(results[0].broadcast) == 1 and results[1].broadcast == []
    for invoice in invoices:
        assert _events(escrow_client, "PaymentCaptured", invoice) == [results[0].tx_hash]
    entry = _entry(shop, "capture:b-1")
    assert entry.amount == 3 * 12_345 == escrow.pool(shop.cpw.address).captured


def test_sweep__eth_paid_by_plain_transfer_to_the_uri__held_for_the_payer(
    issue: Callable[..., Invoice],
    shop: Shop,
    escrow: Any,
    customer: Any,
    sender: TransactionSender,
    escrow_client: Escrow,
    track: Callable[[], Any],
) -> None:
    invoice = issue(coin="ETH", amount=10**16)
    paid = customer.transfer(invoice.deposit_address, 10**16)
    track()
    with UnitOfWork(shop.engine) as uow:
        outcome = operations.sweep(uow, sender, [invoice.invoice_hash], key="eth-1")
    assert outcome.result is not None
    (deposit,) = outcome.plan.deposits
    # A plain ETH transaction has no log: it is attested with log index 2**32-1.
    assert [(t.sender, t.tx_hash, t.log_index) for t in deposit.transfers] == [
        (customer.address, paid.txn_hash.lower(), 2**32 - 1)
    ]
    assert _events(escrow_client, "DepositKept", invoice) == [outcome.result.tx_hash]
    payment = escrow.payment(invoice.invoice_hash)
    assert (payment.payer, payment.amount, payment.status) == (customer, 10**16, 1)


def test_resend__operator_has_a_transaction_in_flight__refused_until_it_is_mined(
    issue: Callable[..., Invoice],
    shop: Shop,
    escrow: Any,
    funded: Any,
    customer: Any,
    sender: TransactionSender,
    chain: Any,
) -> None:
    import pytest

    from coinpos.chainops.sender import OperatorBusyError

    first, second = (_paid(issue, shop, escrow, customer) for _ in range(2))
    with UnitOfWork(shop.engine) as uow:
        log_request(uow.session, f"capture:{second.invoice_hash}", TxKind.CAPTURE, amount=1)
        uow.commit()
    web3 = chain.provider.web3
    web3.provider.make_request("evm_setAutomine", [False])
    try:
        with UnitOfWork(shop.engine) as uow:
            request = operations.capture_request(uow, sender, first.invoice_hash)
            sender.submit(uow, request, wait=False)
        with UnitOfWork(shop.engine) as uow, pytest.raises(OperatorBusyError):
            operations.capture(uow, sender, second.invoice_hash)
        web3.provider.make_request("evm_mine", [])
    finally:
        web3.provider.make_request("evm_setAutomine", [True])
    with UnitOfWork(shop.engine) as uow:
        resent = operations.capture(uow, sender, second.invoice_hash)
    assert len(resent.broadcast) == 1
    assert escrow.payment(second.invoice_hash).status == CAPTURED


def test_capture__reverts_once_mined__entry_failed_with_the_decoded_error(
    issue: Callable[..., Invoice],
    shop: Shop,
    escrow: Any,
    funded: Any,
    customer: Any,
    sender: TransactionSender,
    chain: Any,
) -> None:
    invoice = _paid(issue, shop, escrow, customer)
    web3 = chain.provider.web3
    web3.provider.make_request("evm_setAutomine", [False])
    try:
        # Two captures of one payment under different keys: both estimate fine, both go out.
        for key in ("first", "second"):
            with UnitOfWork(shop.engine) as uow:
                request = operations.capture_request(uow, sender, invoice.invoice_hash, key=key)
                sender.submit(uow, request, wait=False)
        web3.provider.make_request("evm_mine", [])
    finally:
        web3.provider.make_request("evm_setAutomine", [True])
    with UnitOfWork(shop.engine) as uow:
        first = sender.wait(uow, "capture:first")
    with UnitOfWork(shop.engine) as uow:
        second = sender.wait(uow, "capture:second")
    assert first.status is TxStatus.PENDING
    assert second.status is TxStatus.FAILED
    assert second.failure_reason == f"PaymentEscrowInvalidStatus({invoice.invoice_hash}, 1, 2)"
    assert escrow.pool(shop.cpw.address).captured == 12_345


def _refund_entries(shop: Shop) -> int:
    with UnitOfWork(shop.engine) as uow:
        return len(
            uow.session.scalars(
                select(TransactionLogEntry).where(TransactionLogEntry.kind == TxKind.REFUND)
            ).all()
        )


def test_refund__more_than_captured__refused_before_anything_is_logged(
    issue: Callable[..., Invoice],
    shop: Shop,
    escrow: Any,
    funded: Any,
    customer: Any,
    sender: TransactionSender,
    escrow_client: Escrow,
    chain: Any,
    track: Callable[[], Any],
) -> None:
    # The rule is the service's, so the CLI (which calls it directly) is held to it too.
    invoice = _paid(issue, shop, escrow, customer)
    with UnitOfWork(shop.engine) as uow:
        operations.capture(uow, sender, invoice.invoice_hash)
    _confirm(track, chain)
    with UnitOfWork(shop.engine) as uow:
        operations.refund(uow, sender, invoice.invoice_hash, 12_000, key="r-part")
    with pytest.raises(CoinposError, match="only 345 are captured"), UnitOfWork(shop.engine) as uow:
        operations.refund(uow, sender, invoice.invoice_hash, 346, key="r-over")
    assert _refund_entries(shop) == 1
    # Positive control: what is left can still be refunded, and then nothing more.
    with UnitOfWork(shop.engine) as uow:
        operations.refund(uow, sender, invoice.invoice_hash, 345, key="r-rest")
    # Wholly refunded: nothing left (or, as the escrow may say, no longer captured).
    nothing_left = r"nothing captured left|not captured"
    with pytest.raises(CoinposError, match=nothing_left), UnitOfWork(shop.engine) as uow:
        operations.refund(uow, sender, invoice.invoice_hash, 1, key="r-more")
    assert _refund_entries(shop) == 2
    assert len(_events(escrow_client, "PaymentRefunded", invoice)) == 2


def test_refund__only_out_of_the_stores_confirmed_balance__and_the_fee_goes_back_with_it(
    issue: Callable[..., Invoice],
    shop: Shop,
    escrow: Any,
    funded: Any,
    customer: Any,
    sender: TransactionSender,
    operator: Any,
    chain: Any,
    track: Callable[[], Any],
) -> None:
    """The escrow's captured pool holds every store's money, so the escrow alone would let a
    refund be paid with another store's: the store's own confirmed balance is the limit."""
    invoice = _paid(issue, shop, escrow, customer)
    with UnitOfWork(shop.engine) as uow:
        operations.capture(uow, sender, invoice.invoice_hash)
    nonce, logged = operator.nonce, _log_size(shop)
    with (
        UnitOfWork(shop.engine) as uow,
        pytest.raises(operations.OperationError, match=r"the store's balance .* is 0"),
    ):
        operations.refund(uow, sender, invoice.invoice_hash, 1, key="before-confirmation")
    assert (operator.nonce, _log_size(shop)) == (nonce, logged)
    _confirm(track, chain)
    fee = 12_345 * invoice.fee_bps // 10_000
    assert fee > 0
    with UnitOfWork(shop.engine) as uow:
        balance = lock_balance(uow.session, shop.store.store_id, shop.cpw.id)
        assert balance.available == 12_345 - fee
    # The whole payment goes back although the store was credited it less the fee.
    with UnitOfWork(shop.engine) as uow:
        operations.refund(uow, sender, invoice.invoice_hash, None, key="all")
    _confirm(track, chain)
    with UnitOfWork(shop.engine) as uow:
        balance = lock_balance(uow.session, shop.store.store_id, shop.cpw.id)
        fees = lock_fees(uow.session, shop.cpw.id)
        assert (balance.captured, fees.accrued) == (0, 0)
    assert escrow.pool(shop.cpw.address).captured == 0
