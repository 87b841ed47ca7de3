"""Invoice terms v2 without a chain: the store appears only as a per-invoice commitment, the
deadlines get 0..59 s more (never less), the fee is the store's off-chain rate, and the
commitment can be proved by revealing the store salt."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from eth_abi.abi import encode
from eth_account.messages import encode_typed_data
from eth_utils.crypto import keccak
from sqlalchemy import Engine, update

from coinpos.chainops.keys import LocalKey
from coinpos.db.models import Coin, Invoice, Store
from coinpos.invoices.proof import prove_invoice
from coinpos.invoices.service import Issuer, NewInvoice, issue_invoice, terms_of
from coinpos.invoices.terms import EscrowDomain, InvoiceTerms, store_commitment
from coinpos.stores.service import add_coin
from coinpos.unit_of_work import UnitOfWork
from tests.offchain.factories import make_store

ESCROW = "0x" + "ab" * 20
TOKEN = "0x" + "11" * 20
NOW = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
KEY = LocalKey("0x" + "42" * 32)


@pytest.fixture
def issuer() -> Issuer:
    return Issuer(EscrowDomain(31337, ESCROW), b"\x60\x00", KEY, qr_dir=None)


@pytest.fixture
def store(engine: Engine) -> Store:
    store = make_store(engine)
    with UnitOfWork(engine) as uow:
        add_coin(uow, "CPW", 31337, 2, TOKEN)
    return store


def _issue(engine: Engine, issuer: Issuer, store: Store, **kwargs: object) -> Invoice:
    with UnitOfWork(engine) as uow:
        invoice = issue_invoice(
            uow, NewInvoice(store.store_id, "CPW", amount=12_345), issuer, now=NOW, **kwargs
        )
        uow.session.expunge(invoice)
    return invoice


def test_digest__equals_eth_account_eip712_of_the_seven_field_invoice() -> None:
    terms = InvoiceTerms(b"\x07" * 32, TOKEN, 5, "0x" + "22" * 20, 10, 20, 30)
    message = encode_typed_data(
        full_message={
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "Invoice": [
                    {"name": "storeCommitment", "type": "bytes32"},
                    {"name": "token", "type": "address"},
                    {"name": "amount", "type": "uint256"},
                    {"name": "payer", "type": "address"},
                    {"name": "paymentDeadline", "type": "uint48"},
                    {"name": "authorizationExpiry", "type": "uint48"},
                    {"name": "refundDeadline", "type": "uint48"},
                ],
            },
            "primaryType": "Invoice",
            "domain": {
                "name": "CoinposPaymentEscrow",
                "version": "2",
                "chainId": 31337,
                "verifyingContract": ESCROW,
            },
            "message": {
                "storeCommitment": b"\x07" * 32,
                "token": TOKEN,
                "amount": 5,
                "payer": "0x" + "22" * 20,
                "paymentDeadline": 10,
                "authorizationExpiry": 20,
                "refundDeadline": 30,
            },
        }
    )
    expected = keccak(b"\x19" + message.version + message.header + message.body)
    assert terms.digest(EscrowDomain(31337, ESCROW)) == expected
    # Positive control: the same terms on another chain give another digest.
    assert terms.digest(EscrowDomain(1, ESCROW)) != expected


def test_store_commitment__is_keccak_of_abi_encoded_store_id_and_salt() -> None:
    store_id, salt = b"\x01" * 32, b"\x02" * 32
    assert store_commitment(store_id, salt) == keccak(
        encode(["bytes32", "bytes32"], [store_id, salt])
    )
    assert store_commitment(store_id, salt) != store_commitment(store_id, b"\x03" * 32)


def test_issue__two_invoices_of_a_store_in_one_second__share_no_commitment(
    engine: Engine, issuer: Issuer, store: Store
) -> None:
    first, second = _issue(engine, issuer, store), _issue(engine, issuer, store)
    with UnitOfWork(engine) as uow:
        cpw = uow.session.get(Coin, first.coin_id)
        assert cpw is not None
        a, b = terms_of(first, cpw), terms_of(second, cpw)
    assert first.salt != second.salt
    assert a.store_commitment != b.store_commitment
    assert store.store_id[2:] not in a.store_commitment.hex() + b.store_commitment.hex()
    assert first.invoice_hash != second.invoice_hash
    assert first.deposit_address != second.deposit_address


@pytest.mark.parametrize("extra", [0, 59])
def test_issue__each_deadline_gets_the_jitter_and_never_less_than_the_window(
    engine: Engine, issuer: Issuer, store: Store, extra: int
) -> None:
    invoice = _issue(engine, issuer, store, jitter=lambda: extra)
    pay = (invoice.pay_deadline - NOW).total_seconds()
    authorization = (invoice.authorization_expiry - invoice.pay_deadline).total_seconds()
    refund = (invoice.refund_deadline - invoice.authorization_expiry).total_seconds()
    assert (pay, authorization, refund) == (15 * 60 + extra, 7 * 86400 + extra, 30 * 86400 + extra)


def test_issue__default_jitter__stays_within_0_to_59_seconds(
    engine: Engine, issuer: Issuer, store: Store
) -> None:
    seen = {(_issue(engine, issuer, store).pay_deadline - NOW).total_seconds() for _ in range(12)}
    assert all(15 * 60 <= s < 16 * 60 for s in seen)
    assert len(seen) > 1  # random: 12 draws of 60 values all equal has odds 60**-11


def test_issue__copies_the_stores_fee_rate(engine: Engine, issuer: Issuer, store: Store) -> None:
    assert _issue(engine, issuer, store).fee_bps == 100
    with UnitOfWork(engine) as uow:
        uow.session.execute(update(Store).values(fee_bps=250))
        uow.commit()
    assert _issue(engine, issuer, store).fee_bps == 250


def test_prove__recomputes_the_commitment_and_the_invoice_hash(
    engine: Engine, issuer: Issuer, store: Store
) -> None:
    invoice = _issue(engine, issuer, store)
    with UnitOfWork(engine) as uow:
        proof = prove_invoice(uow, invoice.invoice_hash)
    assert proof.store_id == store.store_id and proof.store_salt == invoice.salt
    expected = store_commitment(bytes.fromhex(store.store_id[2:]), bytes.fromhex(invoice.salt[2:]))
    assert proof.store_commitment == "0x" + expected.hex()
    assert proof.recomputed_hash == invoice.invoice_hash and proof.valid
    # Positive control: another salt does not give this invoice's hash.
    with UnitOfWork(engine) as uow:
        uow.session.execute(
            update(Invoice).where(Invoice.id == invoice.id).values(salt="0x" + "00" * 32)
        )
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert not prove_invoice(uow, invoice.invoice_hash).valid


def test_issue__signature_recovers_to_the_operator(
    engine: Engine, issuer: Issuer, store: Store
) -> None:
    from eth_account import Account

    invoice = _issue(engine, issuer, store)
    assert invoice.operator_signature is not None
    signer = Account._recover_hash(
        bytes.fromhex(invoice.invoice_hash[2:]),
        signature=bytes.fromhex(invoice.operator_signature[2:]),
    )
    assert signer == KEY.address


def test_invoice_model__has_no_fee_bounds_left() -> None:
    assert not hasattr(Invoice, "min_fee_bps") and not hasattr(Invoice, "max_fee_bps")
