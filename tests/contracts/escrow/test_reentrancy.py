"""Re-entry into the escrow from a token call and from an ETH send.

`ATTACKS` lists every state-changing entry point of `PaymentEscrow` (a test reads the ABI and
fails when one is missing) with the call a re-entering contract makes and the revert it must get.
Two attackers hold OPERATOR_ROLE, so that the reentrancy guard, not a role check, is what stops
them: `ReentrantToken`, which re-enters from inside a transfer, and `ReentrantEthReceiver`, which
re-enters from its `receive`. Both record the re-entry's outcome (`ReentryAttempted`) instead of
reverting, so the outer operation completes, and each test checks its balances and the pools'
solvency afterwards.

- `test_reentry__from_a_token_transfer` / `__from_an_eth_send`: every entry point of the table,
  re-entered during a void's payout (token) and during a void's ETH send (receiver as payer).
- `test_every_outer_operation__...`: every entry point that hands control to a token
  (`TOKEN_OUTERS`) or sends ETH (`ETH_OUTERS`), re-entered with its own call (the double spend).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak

from tests.contracts.escrow.conftest import NO_LOG, ZERO, Invoice, Status, deposit, transfer

AMOUNT = 10**18
MAX = 2**256 - 1
DEFAULT_ADMIN_ROLE = bytes(32)
OPERATOR_ROLE = keccak(text="OPERATOR_ROLE")


def error(signature: str, types: list[str] | None = None, values: list[Any] | None = None) -> bytes:
    return keccak(text=signature)[:4] + encode(types or [], values or [])


GUARD = error("ReentrancyGuardReentrantCall()")


@dataclass
class Rig:
    """The escrow, the two attackers and what a test needs to build calls."""

    chain: Any
    escrow: Any
    token: Any  # ReentrantToken, allowed, an operator
    receiver: Any  # ReentrantEthReceiver, an operator
    emoney: Any
    admin: Any
    operator: Any
    customer: Any
    treasury: Any
    new_invoice: Callable[..., Invoice]
    sign: Callable[..., bytes]

    def balance(self, token: Any, who: Any) -> int:
        address = who if isinstance(who, str) else who.address
        if token == ZERO:
            return int(self.chain.provider.get_balance(address))
        return int(token.balanceOf(address))

    def solvent(self) -> None:
        for token in (self.token, ZERO, self.emoney):
            held, captured, fees, owed = (int(x) for x in self.escrow.pool(token))
            assert held + captured + fees + owed == self.balance(token, self.escrow.address)

    def pay_as_receiver(self, **terms: Any) -> Invoice:
        """An ETH invoice naming the receiver, paid by it."""
        invoice = self.new_invoice(token=ZERO, amount=AMOUNT, payer=self.receiver.address, **terms)
        call = self.escrow.pay.encode_input(invoice.abi(), self.sign(invoice))
        self.receiver.execute(self.escrow, AMOUNT, call, value=AMOUNT, sender=self.admin)
        return invoice

    def pay_in_token(self, **terms: Any) -> Invoice:
        invoice = self.new_invoice(token=self.token.address, amount=AMOUNT, **terms)
        self.escrow.pay(invoice.abi(), self.sign(invoice), sender=self.customer)
        return invoice

    def expire(self, invoice: Invoice) -> None:
        self.chain.mine(timestamp=invoice.authorizationExpiry + 1)


@dataclass(frozen=True)
class Attack:
    """A re-entry: its call data, and the revert data it must fail with (given the attacker)."""

    call: Callable[[Rig], bytes]
    refusal: Callable[[Rig, str], bytes] = lambda rig, attacker: GUARD


def _spare(rig: Rig) -> Invoice:
    return rig.new_invoice(token=rig.token.address, amount=AMOUNT)


def _unauthorized(rig: Rig, attacker: str) -> bytes:
    return error(
        "AccessControlUnauthorizedAccount(address,bytes32)",
        ["address", "bytes32"],
        [attacker, DEFAULT_ADMIN_ROLE],
    )


ATTACKS: dict[str, Attack] = {
    "pay": Attack(lambda r: r.escrow.pay.encode_input(_spare(r).abi(), r.sign(_spare(r)))),
    "payWithPermit": Attack(
        lambda r: r.escrow.payWithPermit.encode_input(
            _spare(r).abi(), r.sign(_spare(r)), 0, 27, bytes(32), bytes(32)
        )
    ),
    "capture": Attack(lambda r: r.escrow.capture.encode_input(_spare(r).abi(), 1)),
    "captureMany": Attack(lambda r: r.escrow.captureMany.encode_input([], [])),
    "void": Attack(lambda r: r.escrow.void.encode_input(_spare(r).abi())),
    "reclaim": Attack(lambda r: r.escrow.reclaim.encode_input(_spare(r).abi())),
    "reclaimDeposit": Attack(lambda r: r.escrow.reclaimDeposit.encode_input(_spare(r).abi())),
    "refund": Attack(lambda r: r.escrow.refund.encode_input(_spare(r).abi(), 1)),
    "settle": Attack(lambda r: r.escrow.settle.encode_input(r.token, 1, 0, keccak(text="ref"))),
    "sweep": Attack(lambda r: r.escrow.sweep.encode_input([])),
    "recoverToken": Attack(
        lambda r: r.escrow.recoverToken.encode_input(_spare(r).abi(), r.emoney, [])
    ),
    "withdrawFees": Attack(lambda r: r.escrow.withdrawFees.encode_input(r.token, r.customer)),
    "withdrawOwed": Attack(lambda r: r.escrow.withdrawOwed.encode_input(r.token, r.customer)),
    "setTokenAllowed": Attack(lambda r: r.escrow.setTokenAllowed.encode_input(r.token, False)),
    "setTreasury": Attack(lambda r: r.escrow.setTreasury.encode_input(r.customer)),
    "pause": Attack(lambda r: r.escrow.pause.encode_input()),
    "unpause": Attack(lambda r: r.escrow.unpause.encode_input()),
    # AccessControl's own: no guard and no external call; the attacker is no admin.
    "grantRole": Attack(
        lambda r: r.escrow.grantRole.encode_input(OPERATOR_ROLE, r.customer), _unauthorized
    ),
    "revokeRole": Attack(
        lambda r: r.escrow.revokeRole.encode_input(OPERATOR_ROLE, r.operator), _unauthorized
    ),
    "renounceRole": Attack(
        lambda r: r.escrow.renounceRole.encode_input(OPERATOR_ROLE, r.operator),
        lambda r, a: error("AccessControlBadConfirmation()"),
    ),
}


def reentries(receipt: Any, attacker: Any) -> list[tuple[bool, bytes]]:
    """The outcomes of the re-entries `attacker` made during the transaction."""
    return [
        (bool(log.success), bytes(log.returnData))
        for log in receipt.decode_logs(attacker.ReentryAttempted)
        if log.contract_address == attacker.address
    ]


@pytest.fixture
def rig(
    project: Any,
    chain: Any,
    escrow: Any,
    emoney: Any,
    admin: Any,
    operator: Any,
    customer: Any,
    treasury: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
) -> Rig:
    token = admin.deploy(project.ReentrantToken)
    escrow.setTokenAllowed(token, True, sender=admin)
    token.mint(customer, 100 * AMOUNT, sender=admin)
    token.approve(escrow, MAX, sender=customer)
    receiver = admin.deploy(project.ReentrantEthReceiver)
    for attacker in (token, receiver):
        escrow.grantRole(OPERATOR_ROLE, attacker, sender=admin)
    return Rig(
        chain,
        escrow,
        token,
        receiver,
        emoney,
        admin,
        operator,
        customer,
        treasury,
        new_invoice,
        sign,
    )


@pytest.mark.parametrize("entry", sorted(ATTACKS))
def test_reentry__from_a_token_transfer__refused_and_the_payout_completes(
    rig: Rig, entry: str
) -> None:
    invoice = rig.pay_in_token()
    before = rig.balance(rig.token, rig.customer)
    rig.token.armRecording(rig.escrow, ATTACKS[entry].call(rig), sender=rig.customer)
    receipt = rig.escrow.void(invoice.abi(), sender=rig.operator)
    assert reentries(receipt, rig.token) == [
        (False, ATTACKS[entry].refusal(rig, rig.token.address))
    ]
    assert rig.balance(rig.token, rig.customer) == before + AMOUNT
    assert rig.escrow.pool(rig.token) == (0, 0, 0, 0)
    assert rig.escrow.payment(rig.escrow.invoiceHash(invoice.abi())).status == Status.CLOSED
    rig.solvent()


@pytest.mark.parametrize("entry", sorted(ATTACKS))
def test_reentry__from_an_eth_send__refused_and_the_send_completes(rig: Rig, entry: str) -> None:
    invoice = rig.pay_as_receiver()
    before = rig.balance(ZERO, rig.receiver)
    rig.receiver.setQuietHook(rig.escrow, ATTACKS[entry].call(rig), sender=rig.admin)
    receipt = rig.escrow.void(invoice.abi(), sender=rig.operator)
    assert reentries(receipt, rig.receiver) == [
        (False, ATTACKS[entry].refusal(rig, rig.receiver.address))
    ]
    assert rig.balance(ZERO, rig.receiver) == before + AMOUNT
    assert rig.escrow.owedTo(rig.receiver, ZERO) == 0
    assert rig.escrow.pool(ZERO) == (0, 0, 0, 0)
    rig.solvent()


# --- every operation that hands control away, re-entered with its own call -------------------
# Each arranges the state, arms the attacker with the outer call itself, sends it, checks the
# balances, and returns the receipt.


def _again(rig: Rig, attacker: Any, call: bytes) -> None:
    if attacker == rig.token:
        rig.token.armRecording(rig.escrow, call, sender=rig.customer)
    else:
        rig.receiver.setQuietHook(rig.escrow, call, sender=rig.admin)


def _token_pay(rig: Rig) -> Any:
    invoice = rig.new_invoice(token=rig.token.address, amount=AMOUNT)
    call = rig.escrow.pay.encode_input(invoice.abi(), rig.sign(invoice))
    _again(rig, rig.token, call)
    receipt = rig.escrow.pay(invoice.abi(), rig.sign(invoice), sender=rig.customer)
    assert rig.escrow.pool(rig.token)[0] == AMOUNT
    return receipt


def _token_pay_with_permit(rig: Rig) -> Any:
    invoice = rig.new_invoice(token=rig.token.address, amount=AMOUNT)
    args = (invoice.abi(), rig.sign(invoice), 0, 27, bytes(32), bytes(32))
    _again(rig, rig.token, rig.escrow.payWithPermit.encode_input(*args))
    receipt = rig.escrow.payWithPermit(*args, sender=rig.customer)  # no permit: the allowance
    assert rig.escrow.pool(rig.token)[0] == AMOUNT
    return receipt


def _capture(rig: Rig, attacker: Any, many: bool) -> Any:
    invoice = rig.pay_in_token() if attacker == rig.token else rig.pay_as_receiver()
    token = rig.token if attacker == rig.token else ZERO
    payer = rig.customer if attacker == rig.token else rig.receiver
    before = rig.balance(token, payer)
    if many:
        args: tuple[Any, ...] = ([invoice.abi()], [AMOUNT // 4])
        call, fn = rig.escrow.captureMany.encode_input(*args), rig.escrow.captureMany
    else:
        args = (invoice.abi(), AMOUNT // 4)
        call, fn = rig.escrow.capture.encode_input(*args), rig.escrow.capture
    _again(rig, attacker, call)
    receipt = fn(*args, sender=rig.operator)
    assert rig.balance(token, payer) == before + AMOUNT - AMOUNT // 4  # the release
    assert rig.escrow.pool(token)[:2] == (0, AMOUNT // 4)
    return receipt


def _void(rig: Rig, attacker: Any) -> Any:
    invoice = rig.pay_in_token() if attacker == rig.token else rig.pay_as_receiver()
    token = rig.token if attacker == rig.token else ZERO
    payer = rig.customer if attacker == rig.token else rig.receiver
    before = rig.balance(token, payer)
    _again(rig, attacker, rig.escrow.void.encode_input(invoice.abi()))
    receipt = rig.escrow.void(invoice.abi(), sender=rig.operator)
    assert rig.balance(token, payer) == before + AMOUNT
    return receipt


def _reclaim(rig: Rig, attacker: Any) -> Any:
    invoice = rig.pay_in_token() if attacker == rig.token else rig.pay_as_receiver()
    rig.expire(invoice)
    call = rig.escrow.reclaim.encode_input(invoice.abi())
    _again(rig, attacker, call)
    if attacker == rig.token:
        before = rig.balance(rig.token, rig.customer)
        receipt = rig.escrow.reclaim(invoice.abi(), sender=rig.customer)
        assert rig.balance(rig.token, rig.customer) == before + AMOUNT
    else:
        before = rig.balance(ZERO, rig.receiver)
        receipt = rig.receiver.execute(rig.escrow, 0, call, sender=rig.admin)
        assert rig.balance(ZERO, rig.receiver) == before + AMOUNT
    assert rig.escrow.payment(rig.escrow.invoiceHash(invoice.abi())).status == Status.NONE
    return receipt


def _refund(rig: Rig, attacker: Any) -> Any:
    invoice = rig.pay_in_token() if attacker == rig.token else rig.pay_as_receiver()
    token = rig.token if attacker == rig.token else ZERO
    payer = rig.customer if attacker == rig.token else rig.receiver
    rig.escrow.capture(invoice.abi(), AMOUNT, sender=rig.operator)
    before = rig.balance(token, payer)
    _again(rig, attacker, rig.escrow.refund.encode_input(invoice.abi(), AMOUNT // 3))
    receipt = rig.escrow.refund(invoice.abi(), AMOUNT // 3, sender=rig.operator)
    assert rig.balance(token, payer) == before + AMOUNT // 3
    assert rig.escrow.pool(token)[1] == AMOUNT - AMOUNT // 3
    return receipt


def _settle(rig: Rig, attacker: Any) -> Any:
    invoice = rig.pay_in_token() if attacker == rig.token else rig.pay_as_receiver()
    token = rig.token if attacker == rig.token else ZERO
    rig.escrow.capture(invoice.abi(), AMOUNT, sender=rig.operator)
    if attacker == rig.receiver:
        rig.escrow.setTreasury(rig.receiver, sender=rig.admin)
    treasury = rig.escrow.treasury()
    before = rig.balance(token, treasury)
    args = (token, AMOUNT - 100, 100, keccak(text="batch"))
    _again(rig, attacker, rig.escrow.settle.encode_input(*args))
    receipt = rig.escrow.settle(*args, sender=rig.operator)
    assert rig.balance(token, treasury) == before + AMOUNT - 100
    assert rig.escrow.pool(token)[1:3] == (0, 100)
    return receipt


def _withdraw_fees(rig: Rig, attacker: Any) -> Any:
    _settle(rig, attacker)
    token = rig.token if attacker == rig.token else ZERO
    to = rig.customer.address if attacker == rig.token else rig.receiver.address
    before = rig.balance(token, to)
    _again(rig, attacker, rig.escrow.withdrawFees.encode_input(token, to))
    receipt = rig.escrow.withdrawFees(token, to, sender=rig.admin)
    assert rig.balance(token, to) == before + 100
    assert rig.escrow.pool(token)[2] == 0
    return receipt


def _token_sweep(rig: Rig) -> Any:
    invoice = rig.new_invoice(token=rig.token.address, amount=AMOUNT)
    address = rig.escrow.depositAddress(invoice.abi())
    tx = rig.token.transfer(address, AMOUNT, sender=rig.customer)
    paid = transfer(rig.customer, AMOUNT, 0, bytes.fromhex(str(tx.txn_hash).removeprefix("0x")))
    args = ([deposit(invoice, [paid], capture=True)],)
    _again(rig, rig.token, rig.escrow.sweep.encode_input(*args))
    receipt = rig.escrow.sweep(*args, sender=rig.operator)  # the forwarder's transfer re-enters
    assert rig.escrow.pool(rig.token)[:2] == (0, AMOUNT)
    assert rig.balance(rig.token, address) == 0
    return receipt


def _eth_sweep(rig: Rig) -> Any:
    """ETH sent by the receiver to an ERC-20 invoice's address goes back to it."""
    invoice = rig.new_invoice(token=rig.emoney.address)
    address = rig.escrow.depositAddress(invoice.abi())
    rig.admin.transfer(address, AMOUNT)  # attested as the receiver's, whom the return reaches
    eth = transfer(rig.receiver.address, AMOUNT, NO_LOG)
    args = ([deposit(invoice, [], [eth])],)
    before = rig.balance(ZERO, rig.receiver)
    # An empty batch: the whole one is too long for a hook within the return's bounded gas.
    _again(rig, rig.receiver, rig.escrow.sweep.encode_input([]))
    receipt = rig.escrow.sweep(*args, sender=rig.operator)
    assert rig.balance(ZERO, rig.receiver) == before + AMOUNT
    assert rig.escrow.owedTo(rig.receiver, ZERO) == 0
    return receipt


def _reclaim_deposit(rig: Rig, attacker: Any) -> Any:
    if attacker == rig.token:
        invoice = rig.new_invoice(token=rig.token.address, payer=rig.customer.address)
        rig.token.transfer(rig.escrow.depositAddress(invoice.abi()), AMOUNT, sender=rig.customer)
    else:
        invoice = rig.new_invoice(token=ZERO, amount=AMOUNT, payer=rig.receiver.address)
        rig.admin.transfer(rig.escrow.depositAddress(invoice.abi()), AMOUNT)
    rig.expire(invoice)
    call = rig.escrow.reclaimDeposit.encode_input(invoice.abi())
    _again(rig, attacker, call)
    if attacker == rig.token:
        before = rig.balance(rig.token, rig.customer)
        receipt = rig.escrow.reclaimDeposit(invoice.abi(), sender=rig.customer)
        assert rig.balance(rig.token, rig.customer) == before + AMOUNT
    else:
        before = rig.balance(ZERO, rig.receiver)
        receipt = rig.receiver.execute(rig.escrow, 0, call, sender=rig.admin)
        assert rig.balance(ZERO, rig.receiver) == before + AMOUNT
    return receipt


def _recover_token(rig: Rig) -> Any:
    invoice = rig.new_invoice(token=rig.emoney.address)
    address = rig.escrow.depositAddress(invoice.abi())
    tx = rig.token.transfer(address, AMOUNT, sender=rig.customer)
    sent = transfer(rig.customer, AMOUNT, 0, bytes.fromhex(str(tx.txn_hash).removeprefix("0x")))
    args = (invoice.abi(), rig.token, [sent])
    before = rig.balance(rig.token, rig.customer)
    _again(rig, rig.token, rig.escrow.recoverToken.encode_input(*args))
    receipt = rig.escrow.recoverToken(*args, sender=rig.operator)
    assert rig.balance(rig.token, rig.customer) == before + AMOUNT
    return receipt


def _withdraw_owed(rig: Rig, attacker: Any) -> Any:
    """A return that failed (the token's transfer reverts; the receiver's stored hook needs more
    than the bounded gas) is owed; its withdrawal is the outer operation."""
    if attacker == rig.token:
        invoice = rig.pay_in_token()
        rig.token.arm(rig.escrow, rig.escrow.unpause.encode_input(), sender=rig.customer)
        owner, token, to = rig.customer, rig.token, rig.customer.address
    else:
        invoice = rig.pay_as_receiver()
        rig.receiver.setHook(rig.escrow, rig.escrow.unpause.encode_input(), sender=rig.admin)
        owner, token, to = rig.receiver, ZERO, rig.receiver.address
    rig.escrow.void(invoice.abi(), sender=rig.operator)
    assert rig.escrow.owedTo(owner, token) == AMOUNT
    before = rig.balance(token, to)
    call = rig.escrow.withdrawOwed.encode_input(token, to)
    _again(rig, attacker, call)
    if attacker == rig.token:
        receipt = rig.escrow.withdrawOwed(token, to, sender=rig.customer)
    else:
        receipt = rig.receiver.execute(rig.escrow, 0, call, sender=rig.admin)
    assert rig.balance(token, to) == before + AMOUNT
    assert rig.escrow.owedTo(owner, token) == 0
    return receipt


TOKEN_OUTERS: dict[str, Callable[[Rig], Any]] = {
    "pay": _token_pay,
    "payWithPermit": _token_pay_with_permit,
    "capture": lambda r: _capture(r, r.token, many=False),
    "captureMany": lambda r: _capture(r, r.token, many=True),
    "void": lambda r: _void(r, r.token),
    "reclaim": lambda r: _reclaim(r, r.token),
    "refund": lambda r: _refund(r, r.token),
    "settle": lambda r: _settle(r, r.token),
    "sweep": _token_sweep,
    "reclaimDeposit": lambda r: _reclaim_deposit(r, r.token),
    "recoverToken": _recover_token,
    "withdrawFees": lambda r: _withdraw_fees(r, r.token),
    "withdrawOwed": lambda r: _withdraw_owed(r, r.token),
}
ETH_OUTERS: dict[str, Callable[[Rig], Any]] = {
    "capture": lambda r: _capture(r, r.receiver, many=False),
    "captureMany": lambda r: _capture(r, r.receiver, many=True),
    "void": lambda r: _void(r, r.receiver),
    "reclaim": lambda r: _reclaim(r, r.receiver),
    "refund": lambda r: _refund(r, r.receiver),
    "settle": lambda r: _settle(r, r.receiver),
    "sweep": _eth_sweep,
    "reclaimDeposit": lambda r: _reclaim_deposit(r, r.receiver),
    "withdrawFees": lambda r: _withdraw_fees(r, r.receiver),
    "withdrawOwed": lambda r: _withdraw_owed(r, r.receiver),
}
# Entry points that call no token and send no ETH, so nothing can re-enter from inside them.
NO_CALL_OUT = {
    "setTokenAllowed", "setTreasury", "pause", "unpause", "grantRole", "revokeRole", "renounceRole"
}  # fmt: skip
# ETH leaves the escrow in none of these (a payment in, or a foreign ERC-20 back).
NO_ETH_OUT = {"pay", "payWithPermit", "recoverToken"}


@pytest.mark.parametrize("outer", sorted(TOKEN_OUTERS))
def test_every_outer_operation__reentered_from_its_token_transfer__refused(
    rig: Rig, outer: str
) -> None:
    receipt = TOKEN_OUTERS[outer](rig)
    assert reentries(receipt, rig.token) == [(False, GUARD)]
    rig.solvent()


@pytest.mark.parametrize("outer", sorted(ETH_OUTERS))
def test_every_outer_operation__reentered_from_its_eth_send__refused(rig: Rig, outer: str) -> None:
    receipt = ETH_OUTERS[outer](rig)
    assert reentries(receipt, rig.receiver) == [(False, GUARD)]
    rig.solvent()


def state_changing(abi: list[dict[str, Any]]) -> set[str]:
    """The names of an ABI's state-changing entry points (`receive`/`fallback` by type)."""
    found = set()
    for entry in abi:
        if entry["type"] in ("receive", "fallback"):
            found.add(entry["type"])
        elif entry["type"] == "function" and entry["stateMutability"] in ("nonpayable", "payable"):
            found.add(entry["name"])
    return found


def test_every_state_changing_entry_point__is_in_the_tables(project: Any) -> None:
    abi = project.PaymentEscrow.contract_type.model_dump(mode="json")["abi"]
    entry_points = state_changing(abi)
    assert entry_points - set(ATTACKS) == set(), "entry points without a re-entry case"
    assert set(ATTACKS) - entry_points == set(), "re-entry cases for no entry point"
    # Each one either hands control to a token (and so has an outer case) or calls out to nothing.
    assert set(TOKEN_OUTERS) | NO_CALL_OUT == entry_points
    assert set(ETH_OUTERS) | NO_CALL_OUT | NO_ETH_OUT == entry_points
    # Positive control: an entry point added to the ABI is caught; views are not.
    added = {"type": "function", "name": "sweepAll", "stateMutability": "nonpayable"}
    assert state_changing([*abi, added]) - set(ATTACKS) == {"sweepAll"}
    assert not {"pool", "owedTo", "forwarding", "invoiceHash"} & entry_points


def test_a_reentry_that_reverts_the_token_transfer__is_owed_not_blocking(rig: Rig) -> None:
    """The bubbling variant: the token's transfer itself reverts with the guard's error; the void
    still completes and the payer's funds are owed, not lost."""
    invoice = rig.pay_in_token()
    rig.token.arm(rig.escrow, ATTACKS["void"].call(rig), sender=rig.customer)
    receipt = rig.escrow.void(invoice.abi(), sender=rig.operator)
    [owed] = receipt.decode_logs(rig.escrow.ReturnOwed)
    assert (owed.account, owed.amount) == (rig.customer.address, AMOUNT)
    assert rig.escrow.pool(rig.token) == (0, 0, 0, AMOUNT)
    rig.solvent()
