"""Fixtures for the payment escrow (v2): an escrow, invoice factories, signing and sweeps."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import astuple, dataclass, replace
from enum import IntEnum
from typing import Any

import pytest
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

from tests.contracts.signing import domain_of

ZERO = "0x0000000000000000000000000000000000000000"
STORE_A = keccak(text="store-a")
STORE_B = keccak(text="store-b")
HOUR = 3600
DAY = 24 * HOUR
PRICE = 12_345  # e-money base units (2 decimals): 123.45
FUNDS = 10_000_000
NO_LOG = 2**32 - 1  # Transfer.logIndex of a plain ETH transaction

INVOICE_TYPES = {
    "Invoice": [
        {"name": "storeCommitment", "type": "bytes32"},
        {"name": "token", "type": "address"},
        {"name": "amount", "type": "uint256"},
        {"name": "payer", "type": "address"},
        {"name": "paymentDeadline", "type": "uint48"},
        {"name": "authorizationExpiry", "type": "uint48"},
        {"name": "refundDeadline", "type": "uint48"},
    ]
}


class Status(IntEnum):
    """Mirror of IPaymentEscrow.Status."""

    NONE = 0
    AUTHORIZED = 1
    CAPTURED = 2
    CLOSED = 3


def store_commitment(store_id: bytes, store_salt: bytes) -> bytes:
    """keccak256(abi.encode(storeId, storeSalt)): the blinded store of one invoice."""
    return keccak(encode(["bytes32", "bytes32"], [store_id, store_salt]))


@dataclass(frozen=True)
class Invoice:
    """Mirror of IPaymentEscrow.Invoice; `astuple` gives the ABI tuple."""

    storeCommitment: bytes
    token: str
    amount: int
    payer: str
    paymentDeadline: int
    authorizationExpiry: int
    refundDeadline: int

    def abi(self) -> tuple[Any, ...]:
        return astuple(self)

    def but(self, **changes: Any) -> Invoice:
        return replace(self, **changes)

    def message(self) -> dict[str, Any]:
        return dict(self.__dict__)


_salts = itertools.count(1)
_tx_hashes = itertools.count(1)


def tx_hash(tx: Any) -> bytes:
    """A receipt's transaction hash as 32 bytes."""
    return bytes.fromhex(str(tx.txn_hash).removeprefix("0x"))


def transfer(sender: Any, amount: int, log_index: int = 0, tx_hash: bytes | None = None) -> tuple:
    """An attested IDepositSweeper.Transfer (sender, amount, txHash, logIndex)."""
    address = sender if isinstance(sender, str) else sender.address
    return (address, amount, tx_hash or keccak(next(_tx_hashes).to_bytes(32, "big")), log_index)


def deposit(
    invoice: Invoice,
    transfers: list[tuple] | tuple = (),
    eth_transfers: list[tuple] | tuple = (),
    capture: bool = False,
) -> tuple:
    """An IDepositSweeper.Deposit (invoice, transfers, ethTransfers, capture)."""
    return (invoice.abi(), list(transfers), list(eth_transfers), capture)


def sign_invoice(escrow: Any, signer: Any, invoice: Invoice, chain_id: int) -> bytes:
    """An EIP-712 signature of the invoice terms under the escrow's domain, as 65 bytes r‖s‖v."""
    signed = Account.sign_typed_data(
        signer.private_key, domain_of(escrow, chain_id), INVOICE_TYPES, invoice.message()
    )
    return bytes(signed.signature)


@pytest.fixture
def deploy_escrow(project: Any, admin: Any, operator: Any, treasury: Any) -> Callable[..., Any]:
    """Factory: a new escrow with `operator` holding OPERATOR_ROLE and the given tokens allowed."""

    def deploy(*tokens: Any) -> Any:
        escrow = admin.deploy(project.PaymentEscrow, admin, treasury)
        escrow.grantRole(escrow.OPERATOR_ROLE(), operator, sender=admin)
        for token in tokens:
            escrow.setTokenAllowed(token, True, sender=admin)
        return escrow

    return deploy


@pytest.fixture
def escrow(deploy_escrow: Callable[..., Any], emoney: Any) -> Any:
    """An escrow that accepts EMoney and ETH."""
    return deploy_escrow(emoney, ZERO)


@pytest.fixture
def new_invoice(chain: Any, emoney: Any) -> Callable[..., Invoice]:
    """Factory: invoice terms of `store` (default STORE_A) with a fresh store salt; deadlines
    1 h / 2 h / 30 days from the next block."""

    def make(store: bytes = STORE_A, **changes: Any) -> Invoice:
        now = chain.pending_timestamp
        salt = keccak(next(_salts).to_bytes(32, "big"))
        invoice = Invoice(
            storeCommitment=store_commitment(store, salt),
            token=emoney.address,
            amount=PRICE,
            payer=ZERO,
            paymentDeadline=now + HOUR,
            authorizationExpiry=now + 2 * HOUR,
            refundDeadline=now + 30 * DAY,
        )
        return invoice.but(**changes)

    return make


@pytest.fixture
def sign(escrow: Any, operator: Any, chain: Any) -> Callable[..., bytes]:
    """Signs an invoice for `escrow` with the operator key (or `signer`)."""

    def do(invoice: Invoice, signer: Any = None, on: Any = None) -> bytes:
        return sign_invoice(on or escrow, signer or operator, invoice, chain.chain_id)

    return do


@pytest.fixture
def funded(emoney: Any, minter: Any, escrow: Any, customer: Any, other_customer: Any) -> Any:
    """Customers hold EMoney and approved the escrow for all of it."""
    for who in (customer, other_customer):
        emoney.mint(who, FUNDS, b"\x00" * 32, sender=minter)
        emoney.approve(escrow, 2**256 - 1, sender=who)
    return emoney


@pytest.fixture
def paid(
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    customer: Any,
) -> Callable[..., Invoice]:
    """Factory: an EMoney invoice (terms overridable) paid by `customer`; returns the invoice."""

    def make(**changes: Any) -> Invoice:
        invoice = new_invoice(**changes)
        escrow.pay(invoice.abi(), sign(invoice), sender=customer)
        return invoice

    return make


@pytest.fixture
def state(escrow: Any) -> Callable[[Invoice], tuple[str, int, Status]]:
    """Reads the payment state of an invoice as (payer, amount, Status)."""

    def read(invoice: Invoice) -> tuple[str, int, Status]:
        p = escrow.payment(escrow.invoiceHash(invoice.abi()))
        return p.payer, int(p.amount), Status(p.status)

    return read


@pytest.fixture
def pool(escrow: Any) -> Callable[[Any], tuple[int, int, int, int]]:
    """Reads a token's pooled totals as (held, captured, fees, owed)."""

    def read(token: Any) -> tuple[int, int, int, int]:
        held, captured, fees, owed = escrow.pool(token)
        return int(held), int(captured), int(fees), int(owed)

    return read


@pytest.fixture
def solvent(escrow: Any, chain: Any) -> Callable[[Any], None]:
    """Asserts the solvency invariant of a token: held + captured + fees + owed == balance."""

    def check(token: Any) -> None:
        held, captured, fees, owed = (int(x) for x in escrow.pool(token))
        address = token if isinstance(token, str) else token.address
        if address == ZERO:
            balance = chain.provider.get_balance(escrow.address)
        else:
            balance = token.balanceOf(escrow)
        assert held + captured + fees + owed == balance, (held, captured, fees, owed, balance)

    return check


@pytest.fixture
def pay_address(escrow: Any, funded: Any) -> Callable[..., str]:
    """Pays an invoice's deposit address with a plain transfer (`token`: the invoice's by
    default, ZERO for ETH); returns the attested Transfer."""

    def pay(invoice: Invoice, payer: Any, amount: int | None = None, token: Any = None) -> tuple:
        address = escrow.depositAddress(invoice.abi())
        amount = invoice.amount if amount is None else amount
        token = invoice.token if token is None else token
        if (token if isinstance(token, str) else token.address) == ZERO:
            tx = payer.transfer(address, amount)
            return transfer(payer, amount, NO_LOG, tx_hash(tx))
        contract = funded if isinstance(token, str) else token
        tx = contract.transfer(address, amount, sender=payer)
        [log] = tx.decode_logs(contract.Transfer)
        return transfer(payer, amount, int(log.log_index), tx_hash(tx))

    return pay
