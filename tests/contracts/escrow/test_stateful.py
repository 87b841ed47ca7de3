"""Stateful property test: random sequences of every escrow operation and of time travel.

After every step the escrow's token balance equals the held funds plus the store balances plus the
accrued and collected fees, no figure is negative, and every on-chain figure (each payment's state
included) equals the Python model's. Invalid operations are attempted too and must revert.

Speed: 200 sequences of 10 steps must fit in CI. Each example runs in a chain snapshot restored at
its end; transactions go through web3 to anvil's unlocked test accounts with a fixed gas limit, an
expected revert is checked with eth_call, and the invariant reads everything in one eth_call
through `EscrowLens`. ape's own path fetches a full trace for every revert, which is 20x slower.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from eth_utils import keccak
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from web3.exceptions import ContractLogicError

from tests.contracts.escrow.conftest import STORE_A, STORE_B, Invoice, Status

EXAMPLES = int(os.environ.get("ESCROW_STATEFUL_EXAMPLES", "200"))
STEPS = 10
STORES = (STORE_A, STORE_B)
MARGIN = (
    15  # seconds: never act this close to a deadline, where block time may differ from the model's
)
GAS = 1_500_000


@dataclass
class Tracked:
    invoice: Invoice
    hash: bytes
    status: Status = Status.NONE
    amount: int = 0
    payer: str = ""
    pending: int = 0  # deposited at the deposit address, not swept yet
    pending_payer: str = ""


def _web3_contract(w3: Any, contract: Any) -> Any:
    return w3.eth.contract(
        address=contract.address,
        abi=[a.model_dump(mode="json") for a in contract.contract_type.abi],
    )


def test_escrow__random_sequences__balances_always_reconcile(
    project: Any,
    chain: Any,
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    operator: Any,
    customer: Any,
    other_customer: Any,
    accounts: Any,
    minter: Any,
) -> None:
    payers = [customer.address, other_customer.address, accounts[8].address, accounts[9].address]
    for payer in accounts[8:10]:
        funded.mint(payer, 10_000_000, b"\x00" * 32, sender=minter)
        funded.approve(escrow, 2**256 - 1, sender=payer)
    lens_contract = operator.deploy(project.EscrowLens)
    w3 = chain.provider.web3
    esc, coin, lens = (_web3_contract(w3, c) for c in (escrow, funded, lens_contract))
    runs: list[int] = []
    done: Counter[str] = Counter()

    def send(contract: Any, name: str, *args: Any, sender: str) -> None:
        tx_hash = getattr(contract.functions, name)(*args).transact({"from": sender, "gas": GAS})
        assert w3.eth.wait_for_transaction_receipt(tx_hash)["status"] == 1, name
        done[name] += 1

    def reverts(name: str, *args: Any, sender: str) -> None:
        with pytest.raises(ContractLogicError):
            getattr(esc.functions, name)(*args).call({"from": sender})
        done[f"{name} (reverted)"] += 1

    class EscrowMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.snapshot = chain.snapshot()
            self.invoices: list[Tracked] = []
            self.stores = dict.fromkeys(STORES, 0)
            self.accrued = dict.fromkeys(STORES, 0)
            self.fees = 0
            runs.append(1)

        def teardown(self) -> None:
            chain.restore(self.snapshot)

        # --- helpers ---------------------------------------------------------------------------

        def now(self) -> int:
            # Time travel mines a block, so both eth_call and the next transaction run within a
            # few seconds of the latest block's time; MARGIN keeps decisions away from that blur.
            return int(w3.eth.get_block("latest")["timestamp"])

        def near(self, *deadlines: int) -> bool:
            return any(abs(self.now() - d) <= MARGIN for d in deadlines)

        def pick(self, index: int, status: Status | None = None) -> Tracked:
            """An invoice; with `status`, one in that status when there is one, so that valid
            operations are common while invalid ones are still tried."""
            candidates = [t for t in self.invoices if t.status == status] or self.invoices
            return candidates[index % len(candidates)]

        def track(self, store: int, amount: int) -> Tracked:
            now = self.now()
            invoice = new_invoice(
                storeId=STORES[store],
                amount=amount,
                minFeeBps=0,
                maxFeeBps=500,
                paymentDeadline=now + 3000,
                authorizationExpiry=now + 5000,
                refundDeadline=now + 30 * 86400,
            )
            tracked = Tracked(invoice, esc.functions.invoiceHash(invoice.abi()).call())
            self.invoices.append(tracked)
            return tracked

        def book_capture(self, t: Tracked, amount: int, fee_bps: int) -> None:
            fee = amount * fee_bps // 10_000
            self.stores[t.invoice.storeId] += amount - fee
            self.accrued[t.invoice.storeId] += fee
            t.status, t.amount = Status.CAPTURED, amount

        # --- rules -----------------------------------------------------------------------------

        @initialize(
            amounts=st.tuples(st.integers(100, 50_000), st.integers(100, 50_000)),
            fee=st.integers(0, 500),
        )
        def captured_sales(self, amounts: tuple[int, int], fee: int) -> None:
            """A captured sale per store (for refunds and settlements), and one held sale."""
            for store, amount in enumerate(amounts):
                self.pay(store, amount, store)
                t = self.invoices[-1]
                send(esc, "capture", t.invoice.abi(), amount, fee, sender=operator.address)
                self.book_capture(t, amount, fee)
            # And one sale still held, for void and reclaim.
            self.pay(0, amounts[0], 1)

        @rule(store=st.integers(0, 1), amount=st.integers(1, 50_000), payer=st.integers(0, 3))
        def pay(self, store: int, amount: int, payer: int) -> None:
            t = self.track(store, amount)
            send(esc, "pay", t.invoice.abi(), sign(t.invoice), sender=payers[payer])
            t.status, t.amount, t.payer = Status.AUTHORIZED, amount, payers[payer]

        @rule(
            store=st.integers(0, 1),
            amount=st.integers(1, 50_000),
            payer=st.integers(0, 3),
            delta=st.sampled_from([0, 0, -1, 1, 777]),
        )
        def deposit(self, store: int, amount: int, payer: int, delta: int) -> None:
            t = self.track(store, amount)
            paid = max(1, amount + delta)
            address = esc.functions.depositAddress(t.invoice.abi()).call()
            send(coin, "transfer", address, paid, sender=payers[payer])
            t.pending, t.pending_payer = paid, payers[payer]

        @precondition(lambda self: self.invoices)
        @rule(index=st.integers(0, 10**6), amount=st.integers(1, 5_000), same_payer=st.booleans())
        def deposit_again(self, index: int, amount: int, same_payer: bool) -> None:
            t = self.pick(index)
            if t.pending:
                return
            who = (t.payer or payers[0]) if same_payer else payers[3]
            send(
                coin,
                "transfer",
                esc.functions.depositAddress(t.invoice.abi()).call(),
                amount,
                sender=who,
            )
            t.pending, t.pending_payer = amount, who

        @precondition(lambda self: any(t.pending for t in self.invoices))
        @rule(capture=st.booleans(), fee=st.integers(0, 500))
        def sweep(self, capture: bool, fee: int) -> None:
            batch = [t for t in self.invoices if t.pending]
            if not batch or any(
                self.near(t.invoice.paymentDeadline, t.invoice.authorizationExpiry) for t in batch
            ):
                return
            abis, who = [t.invoice.abi() for t in batch], [t.pending_payer for t in batch]
            if capture:
                send(esc, "sweepAndCapture", abis, who, [fee] * len(batch), sender=operator.address)
            else:
                send(esc, "sweep", abis, who, sender=operator.address)
            now = self.now()
            for t in batch:
                received, payer, t.pending, t.pending_payer = t.pending, t.pending_payer, 0, ""
                in_time = now <= t.invoice.paymentDeadline
                if in_time and t.status == Status.NONE:
                    t.status, t.amount, t.payer = Status.AUTHORIZED, received, payer
                    if (
                        capture
                        and received == t.invoice.amount
                        and now < t.invoice.authorizationExpiry
                    ):
                        self.book_capture(t, received, fee)
                elif in_time and t.status == Status.AUTHORIZED and t.payer == payer:
                    t.amount += received
                # Anything else went straight back to the payer: no change to the books.

        @precondition(lambda self: self.invoices)
        @rule(
            index=st.integers(0, 10**6),
            percent=st.sampled_from([30, 50, 100, 100, 100, 101, 150]),
            fee=st.sampled_from([0, 100, 250, 500, 501]),
        )
        def capture(self, index: int, percent: int, fee: int) -> None:
            t = self.pick(index, Status.AUTHORIZED)
            if self.near(t.invoice.authorizationExpiry):
                return
            capturable = min(t.amount, t.invoice.amount)
            amount = max(1, capturable * percent // 100)
            args = (t.invoice.abi(), amount, fee)
            if (
                t.status == Status.AUTHORIZED
                and self.now() < t.invoice.authorizationExpiry
                and amount <= capturable
                and fee <= t.invoice.maxFeeBps
            ):
                send(esc, "capture", *args, sender=operator.address)
                self.book_capture(t, amount, fee)
            else:
                reverts("capture", *args, sender=operator.address)

        @precondition(lambda self: self.invoices)
        @rule(index=st.integers(0, 10**6))
        def void(self, index: int) -> None:
            t = self.pick(index, Status.AUTHORIZED)
            if t.status == Status.AUTHORIZED:
                send(esc, "void", t.invoice.abi(), sender=operator.address)
                t.status, t.amount = Status.CLOSED, 0
            else:
                reverts("void", t.invoice.abi(), sender=operator.address)

        @precondition(lambda self: any(t.status != Status.NONE for t in self.invoices))
        @rule(index=st.integers(0, 10**6), wait=st.booleans())
        def reclaim(self, index: int, wait: bool) -> None:
            """The payer reclaims; with `wait`, a refused early reclaim is retried after expiry."""
            t = self.pick(index, Status.AUTHORIZED)
            if t.status == Status.NONE or self.near(t.invoice.authorizationExpiry):
                return
            expiry = t.invoice.authorizationExpiry
            if wait and t.status == Status.AUTHORIZED and self.now() < expiry:
                reverts("reclaim", t.invoice.abi(), sender=t.payer)
                chain.mine(timestamp=expiry + 2 * MARGIN)
            if t.status == Status.AUTHORIZED and self.now() >= expiry:
                send(esc, "reclaim", t.invoice.abi(), sender=t.payer)
                t.status, t.amount = Status.CLOSED, 0
            else:
                reverts("reclaim", t.invoice.abi(), sender=t.payer)

        @precondition(lambda self: self.invoices)
        @rule(index=st.integers(0, 10**6), percent=st.sampled_from([10, 50, 100, 120]))
        def refund(self, index: int, percent: int) -> None:
            t = self.pick(index, Status.CAPTURED)
            if self.near(t.invoice.refundDeadline):
                return
            amount = max(1, t.amount * percent // 100)
            store = t.invoice.storeId
            if (
                t.status == Status.CAPTURED
                and self.now() <= t.invoice.refundDeadline
                and amount <= t.amount
                and amount <= self.stores[store]
            ):
                send(esc, "refund", t.invoice.abi(), amount, sender=operator.address)
                t.amount -= amount
                self.stores[store] -= amount
            else:
                reverts("refund", t.invoice.abi(), amount, sender=operator.address)

        @rule(store=st.integers(0, 1), percent=st.sampled_from([0, 50, 100, 120]))
        def settle(self, store: int, percent: int) -> None:
            store_id = STORES[store]
            amount = self.stores[store_id] * percent // 100
            args = (store_id, coin.address, amount, keccak(os.urandom(32)))
            if amount > self.stores[store_id] or (amount == 0 and self.accrued[store_id] == 0):
                reverts("settle", *args, sender=operator.address)
                return
            send(esc, "settle", *args, sender=operator.address)
            self.stores[store_id] -= amount
            self.fees += self.accrued[store_id]
            self.accrued[store_id] = 0

        @rule(seconds=st.sampled_from([600, 3600, 6000, 7200, 40 * 86400]))
        def time_travel(self, seconds: int) -> None:
            chain.mine(timestamp=self.now() + seconds)

        # --- invariant -------------------------------------------------------------------------

        @invariant()
        def balances_reconcile(self) -> None:
            balance, fees, stores, accrued, payments = lens.functions.read(
                esc.address, coin.address, list(STORES), [t.hash for t in self.invoices]
            ).call()
            assert dict(zip(STORES, stores, strict=True)) == self.stores
            assert dict(zip(STORES, accrued, strict=True)) == self.accrued
            assert fees == self.fees
            for t, (payer, amount, status) in zip(self.invoices, payments, strict=True):
                assert (amount, Status(status)) == (t.amount, t.status)
                if t.status != Status.NONE:
                    assert payer == t.payer
            held = sum(t.amount for t in self.invoices if t.status == Status.AUTHORIZED)
            assert min([held, fees, *stores, *accrued]) >= 0
            assert balance == held + sum(stores) + sum(accrued) + fees

    run_state_machine_as_test(
        EscrowMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
    print(
        f"stateful escrow: {len(runs)} sequences of up to {STEPS} steps; "
        f"{dict(sorted(done.items()))}"
    )
    assert len(runs) >= EXAMPLES
    # Every operation really happened, not only its guard: the model and the chain were exercised.
    wanted = [
        "pay",
        "transfer",
        "sweep",
        "sweepAndCapture",
        "capture",
        "void",
        "reclaim",
        "refund",
        "settle",
    ]
    assert all(done[name] > 0 for name in wanted), done
