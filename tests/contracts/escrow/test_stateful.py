"""Stateful property test: random sequences of every escrow operation, against a Python model.

Three tokens (ETH, EMoney, a blacklisting ERC-20), open invoices and invoices naming their payer
(one of them a contract without `receive`), direct payments, deposits by several senders to one
address (ETH to an ERC-20 invoice's address too), mixed-token sweep batches with and without
capture, captures, voids, reclaims, reclaims of unswept deposits, refunds (owed ones too, where
the payer's return fails), settlements, fee and owed withdrawals, pause and unpause,
blacklisting, time travel; and an operator that attests dishonestly: every sender replaced by a
thief, a sum off by one, a transfer left out. Every sequence starts from seven invoices (see
`seven_invoices`) so that each operation, reclaims of unswept deposits included, is a few steps
away.

After every step:
- solvency, per token, through the contract's views: held + captured + fees + owed == the
  escrow's balance, and each of the four equals the model's;
- every payment (payer, amount, status), every tracked account's balance of every token (ETH net
  of the gas it paid) and its owed balance, every deposit address's balances equal the model's;
- a named payer's funds only ever go to that payer or, once captured, to the pool: a payment of a
  named invoice is recorded for that payer, and every return and owed credit of a named invoice
  in the step's logs is to that payer (the model's balances make the same point in amounts: the
  thief, named by the dishonest operator, gains only from open invoices).
Operations the model says must fail are tried with eth_call and must revert.

Speed: each example runs in a chain snapshot restored at its end; transactions go through web3
to anvil's unlocked accounts with a fixed gas limit; the checks read everything in four
eth_calls (`EscrowLens` per token, `BalanceLens`). ESCROW_STATEFUL_EXAMPLES sets the number of
sequences (200 by default, replayed identically on every run so that a failure reproduces);
`make fuzz` runs 10,000 fresh ones (FUZZ_EXAMPLES) and prints the count and the time.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
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
from web3.logs import DISCARD

from tests.contracts.escrow.conftest import (
    NO_LOG,
    STORE_A,
    STORE_B,
    ZERO,
    Invoice,
    Status,
    sign_invoice,
)

EXAMPLES = int(os.environ.get("ESCROW_STATEFUL_EXAMPLES", "200"))
STEPS = 10
MARGIN = 15  # seconds: never act this close to a deadline, where block time may differ
CAPTURE_PERCENTS = [30, 100, 100, 101]  # of what is capturable; 101 must revert
LIES = ["honest", "honest", "sender", "sender", "sum", "omit"]  # how an operator attests a sweep
LATE_EXPIRY = 300  # seconds: the shortest time travel (600 s) passes it by more than MARGIN
GAS = 3_000_000
MAX88 = 2**88 - 1
FUNDS = 10**12
ETH_UNIT = 10**12  # ETH amounts are multiples of this, so ERC-20 and ETH figures look alike
HELD, CAPTURED, FEES, OWED = range(4)


@dataclass
class Tracked:
    invoice: Invoice
    hash: bytes
    address: str
    status: Status = Status.NONE
    payer: str = ZERO
    amount: int = 0
    pending: list[tuple[str, int, bytes, int]] = field(default_factory=list)
    pending_eth: list[tuple[str, int, bytes, int]] = field(default_factory=list)

    @property
    def token(self) -> str:
        return self.invoice.token

    @property
    def named(self) -> str:
        return self.invoice.payer


def _web3_contract(w3: Any, contract: Any) -> Any:
    abi = [a.model_dump(mode="json") for a in contract.contract_type.abi]
    return w3.eth.contract(address=contract.address, abi=abi)


def test_escrow__random_sequences__solvent_and_named_payers_protected(
    project: Any,
    chain: Any,
    deploy_escrow: Callable[..., Any],
    emoney: Any,
    new_invoice: Callable[..., Invoice],
    operator: Any,
    admin: Any,
    minter: Any,
    treasury: Any,
    oracle: Any,
    customer: Any,
    other_customer: Any,
    accounts: Any,
) -> None:
    w3 = chain.provider.web3
    blk_contract = admin.deploy(project.BlacklistToken)
    escrow_contract = deploy_escrow(emoney, ZERO, blk_contract)
    nobody_contract = admin.deploy(project.EscrowLens)  # no receive, no fallback: ETH bounces
    esc, coin, blk = (_web3_contract(w3, c) for c in (escrow_contract, emoney, blk_contract))
    lens = _web3_contract(w3, admin.deploy(project.EscrowLens))
    balances = _web3_contract(w3, admin.deploy(project.BalanceLens))
    tokens = [ZERO, coin.address, blk.address]
    payers = [customer.address, other_customer.address, accounts[8].address]
    nobody, thief, fee_to = nobody_contract.address, accounts[9].address, oracle.address
    tracked_accounts = [*payers, nobody, thief, treasury.address, fee_to]
    w3.provider.make_request("anvil_impersonateAccount", [nobody])
    w3.provider.make_request("anvil_setBalance", [nobody, hex(10**24)])
    for payer in payers:
        emoney.mint(payer, FUNDS, bytes(32), sender=minter)
        blk_contract.mint(payer, FUNDS, sender=admin)
        for token in (coin, blk):
            token.functions.approve(esc.address, 2**256 - 1).transact({"from": payer})
    erc20 = {coin.address: coin, blk.address: blk}
    runs: list[int] = []
    done: Counter[str] = Counter()

    def read_balances(
        extra: list[str] | None = None,
    ) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
        """Balances and owed balances of every tracked account (and `extra` addresses), by
        (account, token), in one eth_call."""
        everyone = tracked_accounts + (extra or [])
        bal, owed = balances.functions.read(esc.address, tokens, everyone).call()
        keys = [(a, t) for t in tokens for a in everyone]
        return dict(zip(keys, bal, strict=True)), dict(zip(keys, owed, strict=True))

    initial_wallets, _ = read_balances()

    class EscrowMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.snapshot = chain.snapshot()
            self.invoices: list[Tracked] = []
            self.pools = {t: [0, 0, 0, 0] for t in tokens}
            self.owed: Counter[tuple[str, str]] = Counter()
            self.wallets: Counter[tuple[str, str]] = Counter(initial_wallets)
            self.blocked: set[str] = set()
            self.paused = False
            runs.append(1)

        def teardown(self) -> None:
            chain.restore(self.snapshot)

        # --- chain access -----------------------------------------------------------------------

        def send(self, fn: Any, sender: str, value: int = 0, name: str = "") -> Any:
            tx_hash = fn.transact({"from": sender, "gas": GAS, "value": value})
            receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
            assert receipt["status"] == 1, name or fn.fn_name
            self.paid_gas(sender, receipt)
            self.wallets[(sender, ZERO)] -= value
            done[name or fn.fn_name] += 1
            return receipt

        def paid_gas(self, sender: str, receipt: Any) -> None:
            if sender in tracked_accounts:
                self.wallets[(sender, ZERO)] -= receipt["gasUsed"] * receipt["effectiveGasPrice"]

        def reverts(self, fn: Any, sender: str, value: int = 0) -> None:
            with pytest.raises(ContractLogicError):
                fn.call({"from": sender, "value": value, "gas": GAS})
            done[f"{fn.fn_name} (reverted)"] += 1

        def now(self) -> int:
            return int(w3.eth.get_block("latest")["timestamp"])

        def near(self, *deadlines: int) -> bool:
            return any(abs(self.now() - d) <= MARGIN for d in deadlines)

        def pick(self, index: int, *wants: Callable[[Tracked], bool]) -> Tracked:
            """An invoice; one that the first of `wants` that any invoice meets takes, so valid
            operations are common while invalid ones are still tried."""
            for want in wants:
                candidates = [t for t in self.invoices if want(t)]
                if candidates:
                    return candidates[index % len(candidates)]
            return self.invoices[index % len(self.invoices)]

        # --- the model's money movements --------------------------------------------------------

        def fails_to(self, token: str, to: str) -> bool:
            """Whether a send of `token` to `to` fails (no receive; blacklisted)."""
            if token == ZERO:
                return to == nobody
            return token == blk.address and to in self.blocked

        def give(self, token: str, to: str, amount: int) -> None:
            """A return the escrow never reverts for: sent, or owed."""
            if amount == 0:
                return
            if self.fails_to(token, to):
                self.owed[(to, token)] += amount
                self.pools[token][OWED] += amount
            else:
                self.wallets[(to, token)] += amount

        # --- rules ------------------------------------------------------------------------------

        @initialize(
            amounts=st.tuples(*[st.integers(100, 50_000)] * 3),
            named=st.tuples(st.sampled_from([-1, 0, 3, 3]), st.integers(-1, 3), st.integers(-1, 3)),
            direct=st.tuples(*[st.booleans()] * 3),
            lie=st.sampled_from(LIES),
            hold=st.integers(0, 2),
            late=st.tuples(st.integers(0, 2), st.integers(100, 50_000), st.integers(0, 2)),
            eth_too=st.booleans(),
            block=st.booleans(),
            start_paused=st.sampled_from([False, False, True]),
        )
        def seven_invoices(
            self,
            amounts: tuple[int, ...],
            named: tuple[int, ...],
            direct: tuple[bool, ...],
            lie: str,
            hold: int,
            late: tuple[int, int, int],
            eth_too: bool,
            block: bool,
            start_paused: bool,
        ) -> None:
            """A start from which every operation is a step or two away: in STEPS steps each of
            the many rules comes up about once, if at all.

            Per token, an invoice paid directly or through its deposit address and captured,
            except a direct payment in token `hold`, left held. The deposits are swept by an
            operator who may `lie` (too few sweeps come later to see every lie). Half of one
            token's captured pool is settled, with fees. So there is something to capture,
            refund, settle and take fees from. Per token, an open invoice whose address holds
            dust from one sender and the full amount from another, for the sweeps to come. Last,
            in any token, an invoice naming a payer who has paid it, held, and sent the full
            amount again (with `eth_too`, and some ETH) to its address, unswept; its
            authorization expires in LATE_EXPIRY seconds, so any time travel or a waiting
            reclaim opens the reclaims of the payment and of the deposit (otherwise a new named
            invoice, a deposit to it and a long wait, in that order and before any sweep). Then
            the second payer's held payment in the blacklisting token is voided while the token
            blocks that payer, so the return is owed and withdrawOwed has something to pull.
            With `block`, the token blocks the second payer, the dust sender, again: its returns
            in it will be owed too, and its withdrawals to itself fail. With `start_paused`, the
            escrow starts paused."""
            for token, (amount, payer, pay) in enumerate(zip(amounts, named, direct, strict=True)):
                self.new(token, amount, payer)
                if pay:
                    self.pay(len(self.invoices) - 1, 0)
                else:
                    self.deposit(len(self.invoices) - 1, 1, 100, False)
            if any(t.pending for t in self.invoices):
                self.sweep(0, True, lie, 0)
            for i, t in enumerate(self.invoices):
                if t.status == Status.AUTHORIZED and i != hold:
                    self.capture(i, 100)
            self.settle(0, 50, 300)
            for token, amount in enumerate(amounts):
                self.new(token, amount + 1, -1)
                self.deposit(len(self.invoices) - 1, 1, 1, False)
                self.deposit(len(self.invoices) - 1, 0, 100, False)
            token, amount, payer = late
            self.add(token, amount, payers[payer], LATE_EXPIRY)
            self.pay(-1, payer)  # -1: the newest of the invoices `pay` looks for
            self.deposit(-1, payer, 100, False)
            if eth_too:
                self.deposit(-1, payer, 1, True)
            # An owed balance from the start, so that withdrawOwed is one step away whatever
            # the earlier steps drew: a void to a payer the blacklisting token blocks fails.
            self.add(2, 777, payers[1], 5000)
            self.pay(-1, 1)
            self.admin_or_time("block", 1, 0)
            self.void(-1)
            self.admin_or_time("unblock", 1, 0)
            if block:
                self.admin_or_time("block", 1, 0)
            if start_paused:  # else an unpause needs a pause first and is rarely drawn
                self.admin_or_time("pause", 0, 0)

        @rule(
            token=st.integers(0, 2),
            amount=st.integers(100, 50_000),
            named=st.integers(-2, 3),  # -2, -1: open; 0..2: a payer; 3: the contract `nobody`
        )
        def new(self, token: int, amount: int, named: int) -> None:
            self.add(token, amount, ZERO if named < 0 else [*payers, nobody][named], 5000)

        def add(self, token: int, amount: int, payer: str, expires_in: int) -> None:
            """An invoice whose authorization expires `expires_in` seconds from now; payment is
            due by then, and no later than 3000 seconds from now."""
            now = self.now()
            invoice = new_invoice(
                store=(STORE_A, STORE_B)[amount % 2],
                token=tokens[token],
                amount=amount * (ETH_UNIT if tokens[token] == ZERO else 1),
                payer=payer,
                paymentDeadline=now + min(3000, expires_in),
                authorizationExpiry=now + expires_in,
                refundDeadline=now + 30 * 86400,
            )
            h = bytes(esc.functions.invoiceHash(invoice.abi()).call())
            address = esc.functions.depositAddress(invoice.abi()).call()
            self.invoices.append(Tracked(invoice, h, address))

        @precondition(lambda self: self.invoices)
        @rule(index=st.integers(0, 10**6), who=st.integers(0, 2))
        def pay(self, index: int, who: int) -> None:
            t = self.pick(index, lambda t: t.status == Status.NONE and t.named != nobody)
            payer = t.named if t.named not in (ZERO, nobody) else payers[who]
            if t.named == nobody or self.near(t.invoice.paymentDeadline):
                return
            eth = t.token == ZERO
            signature = sign_invoice(escrow_contract, operator, t.invoice, chain.chain_id)
            fn = esc.functions.pay(t.invoice.abi(), signature)
            ok = (
                not self.paused
                and t.status == Status.NONE
                and self.now() < t.invoice.paymentDeadline
                and not (t.token == blk.address and payer in self.blocked)
            )
            value = t.invoice.amount if eth else 0
            if not ok:
                self.reverts(fn, payer, value)
                return
            self.send(fn, payer, value)
            if not eth:
                self.wallets[(payer, t.token)] -= t.invoice.amount
            t.status, t.payer, t.amount = Status.AUTHORIZED, payer, t.invoice.amount
            self.pools[t.token][HELD] += t.invoice.amount

        @precondition(lambda self: self.invoices)
        @rule(
            index=st.integers(0, 10**6),
            who=st.integers(0, 2),
            share=st.sampled_from([1, 3, 50, 100, 100, 100, 101, 150]),
            eth_to_token_address=st.booleans(),
        )
        def deposit(self, index: int, who: int, share: int, eth_to_token_address: bool) -> None:
            """A plain transfer to the deposit address: several per address, from several senders,
            in any amount (dust, under, exact, over), ETH to an ERC-20 invoice's address too."""
            t = self.pick(index)
            sender = payers[who]
            amount = max(1, t.invoice.amount * share // 100)
            if eth_to_token_address and t.token != ZERO:
                amount *= ETH_UNIT
                receipt = self.plain_eth(sender, t.address, amount)
                t.pending_eth.append((sender, amount, bytes(receipt["transactionHash"]), NO_LOG))
                return
            if t.token == ZERO:
                receipt = self.plain_eth(sender, t.address, amount)
                t.pending.append((sender, amount, bytes(receipt["transactionHash"]), NO_LOG))
                return
            fn = erc20[t.token].functions.transfer(t.address, amount)
            if t.token == blk.address and sender in self.blocked:
                self.reverts(fn, sender)
                return
            receipt = self.send(fn, sender, name="deposit")
            self.wallets[(sender, t.token)] -= amount
            log_index = receipt["logs"][0]["logIndex"]
            t.pending.append((sender, amount, bytes(receipt["transactionHash"]), log_index))

        def plain_eth(self, sender: str, to: str, amount: int) -> Any:
            tx_hash = w3.eth.send_transaction({"from": sender, "to": to, "value": amount})
            receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
            self.paid_gas(sender, receipt)
            self.wallets[(sender, ZERO)] -= amount
            done["deposit (ETH)"] += 1
            return receipt

        @precondition(lambda self: any(t.pending or t.pending_eth for t in self.invoices))
        @rule(
            seed=st.integers(0, 2**32),
            capture=st.booleans(),
            lie=st.sampled_from(LIES),
            liar=st.integers(0, 10**6),
        )
        def sweep(self, seed: int, capture: bool, lie: str, liar: int) -> None:
            batch = [t for t in self.invoices if t.pending or t.pending_eth]
            random.Random(seed).shuffle(batch)
            if any(self.near(t.invoice.authorizationExpiry) for t in batch):
                return
            deposits, attested = [], []
            for i, t in enumerate(batch):
                transfers, eths = list(t.pending), list(t.pending_eth)
                if i == liar % len(batch):
                    transfers, eths = self.lie(lie, transfers, eths)
                attested.append((transfers, eths))
                deposits.append((t.invoice.abi(), transfers, eths, capture))
            fn = esc.functions.sweep(deposits)
            if self.paused:
                self.reverts(fn, operator.address)
                return
            receipt = self.send(fn, operator.address, name=f"sweep ({lie})")
            now = self.now()
            for t, (transfers, eths) in zip(batch, attested, strict=True):
                self.book_sweep(t, transfers, eths, capture, now)
            self.check_named_fates(receipt)

        def lie(self, lie: str, transfers: list, eths: list) -> tuple[list, list]:
            if lie == "sender":
                return [(thief, *x[1:]) for x in transfers], [(thief, *x[1:]) for x in eths]
            if lie == "sum" and transfers:
                first = transfers[0]
                return [(first[0], first[1] + 1, *first[2:]), *transfers[1:]], eths
            if lie == "omit" and transfers:
                return transfers[:-1], eths
            return transfers, eths

        def book_sweep(
            self, t: Tracked, transfers: list, eths: list, capture: bool, now: int
        ) -> None:
            token_sum = sum(x[1] for x in transfers)
            eth_sum = sum(x[1] for x in eths)
            if token_sum == 0 and eth_sum == 0:
                return
            if token_sum != sum(x[1] for x in t.pending) or eth_sum != sum(
                x[1] for x in t.pending_eth
            ):
                return  # DepositSkipped: nothing moved
            t.pending, t.pending_eth = [], []
            for sender, amount, *_ in eths:  # ETH at an ERC-20 invoice's address: back
                self.give(ZERO, t.named if t.named != ZERO else sender, amount)
            if token_sum == 0:
                return
            keep = now < t.invoice.authorizationExpiry and t.status in (
                Status.NONE,
                Status.AUTHORIZED,
            )
            if t.named != ZERO:
                payer = t.named
                kept = token_sum if keep and token_sum <= MAX88 - t.amount else 0
                returns = [(t.named, token_sum - kept)]
            else:
                payer = _largest_sender(transfers)
                if keep and t.status == Status.AUTHORIZED and payer != t.payer:
                    challenger = _total_of(transfers, payer)
                    if (
                        t.amount < t.invoice.amount
                        and challenger > t.amount + _total_of(transfers, t.payer)
                        and challenger <= MAX88
                    ):  # an underpaid held payment gives way to a larger one: PaymentReplaced
                        self.give(t.token, t.payer, t.amount)
                        self.pools[t.token][HELD] -= t.amount
                        t.amount = 0
                    else:
                        payer = t.payer
                kept = _total_of(transfers, payer) if keep else 0
                if kept > MAX88 - t.amount:
                    kept = 0
                returns = [(x[0], x[1]) for x in transfers if kept == 0 or x[0] != payer]
            for to, amount in returns:
                self.give(t.token, to, amount)
            if kept == 0:
                return
            pool = self.pools[t.token]
            amount = t.amount + kept
            if capture and amount == t.invoice.amount:
                pool[HELD] -= t.amount
                pool[CAPTURED] += amount
                t.status = Status.CAPTURED
            else:
                pool[HELD] += kept
                t.status = Status.AUTHORIZED
            t.payer, t.amount = payer, amount

        def check_named_fates(self, receipt: Any) -> None:
            """Every return and owed credit of a named invoice in this sweep is to its payer."""
            named = {t.hash: t.named for t in self.invoices if t.named != ZERO}
            for event in ("DepositReturned", "ReturnOwed"):
                for log in getattr(esc.events, event)().process_receipt(receipt, errors=DISCARD):
                    h = bytes(log.args.invoiceHash)
                    to = log.args.to if event == "DepositReturned" else log.args.account
                    if h in named:
                        assert to == named[h], (event, to, named[h])

        @precondition(lambda self: self.invoices)
        @rule(index=st.integers(0, 10**6), percent=st.sampled_from(CAPTURE_PERCENTS))
        def capture(self, index: int, percent: int) -> None:
            (t,) = self.to_capture(index, 1)
            amount = self.capture_amount(t, percent)
            self.book_captures(esc.functions.capture(t.invoice.abi(), amount), [(t, amount)])

        @precondition(lambda self: self.invoices)
        @rule(
            index=st.integers(0, 10**6),
            percents=st.lists(st.sampled_from(CAPTURE_PERCENTS), min_size=1, max_size=3),
        )
        def capture_many(self, index: int, percents: list[int]) -> None:
            """Several invoices in one call: one capture that fails reverts them all."""
            batch = self.to_capture(index, len(percents))
            amounts = [self.capture_amount(t, p) for t, p in zip(batch, percents, strict=True)]
            fn = esc.functions.captureMany([t.invoice.abi() for t in batch], amounts)
            self.book_captures(fn, list(zip(batch, amounts, strict=True)))

        def to_capture(self, index: int, count: int) -> list[Tracked]:
            """Up to `count` invoices: held payments still open to capture first (after a time
            travel most are past their expiry, where a capture is only tried), then other held
            payments, then any; `index` rotates the choice within each."""
            now = self.now()

            def rank(t: Tracked) -> tuple[bool, bool]:
                expired = now >= t.invoice.authorizationExpiry - MARGIN
                return t.status != Status.AUTHORIZED, expired

            start = index % len(self.invoices)
            return sorted(self.invoices[start:] + self.invoices[:start], key=rank)[:count]

        def capture_amount(self, t: Tracked, percent: int) -> int:
            return max(1, min(t.amount, t.invoice.amount) * percent // 100)

        def book_captures(self, fn: Any, batch: list[tuple[Tracked, int]]) -> None:
            if any(self.near(t.invoice.authorizationExpiry) for t, _ in batch):
                return
            now = self.now()
            ok = not self.paused and all(
                t.status == Status.AUTHORIZED
                and now < t.invoice.authorizationExpiry
                and amount <= min(t.amount, t.invoice.amount)
                for t, amount in batch
            )
            if not ok:
                self.reverts(fn, operator.address)
                return
            self.send(fn, operator.address)
            for t, amount in batch:
                pool = self.pools[t.token]
                pool[HELD] -= t.amount
                pool[CAPTURED] += amount
                self.give(t.token, t.payer, t.amount - amount)
                t.status, t.amount = Status.CAPTURED, amount

        @precondition(lambda self: self.invoices)
        @rule(index=st.integers(0, 10**6))
        def void(self, index: int) -> None:
            t = self.pick(index, lambda t: t.status == Status.AUTHORIZED)
            fn = esc.functions.void(t.invoice.abi())
            if self.paused or t.status != Status.AUTHORIZED:
                self.reverts(fn, operator.address)
                return
            self.send(fn, operator.address)
            self.pools[t.token][HELD] -= t.amount
            self.give(t.token, t.payer, t.amount)
            t.status, t.amount = Status.CLOSED, 0

        @precondition(lambda self: self.invoices)
        @rule(index=st.integers(0, 10**6), wait=st.booleans())
        def reclaim(self, index: int, wait: bool) -> None:
            """The payer reclaims (works while paused); with `wait`, after the expiry."""
            t = self.pick(index, lambda t: t.status == Status.AUTHORIZED)
            if t.status != Status.AUTHORIZED or self.near(t.invoice.authorizationExpiry):
                return
            if wait and self.now() < t.invoice.authorizationExpiry:
                chain.mine(timestamp=t.invoice.authorizationExpiry + 2 * MARGIN)
            fn = esc.functions.reclaim(t.invoice.abi())
            if self.now() < t.invoice.authorizationExpiry or self.fails_to(t.token, t.payer):
                self.reverts(fn, t.payer)
                return
            self.send(fn, t.payer)
            self.pools[t.token][HELD] -= t.amount
            self.wallets[(t.payer, t.token)] += t.amount
            t.status, t.amount, t.payer = Status.NONE, 0, ZERO

        @precondition(lambda self: any(t.named != ZERO for t in self.invoices))
        @rule(index=st.integers(0, 10**6), wait=st.booleans())
        def reclaim_deposit(self, index: int, wait: bool) -> None:
            """The named payer pulls an unswept deposit back, without the operator."""
            t = self.pick(index, lambda t: t.named != ZERO and bool(t.pending or t.pending_eth))
            if t.named == ZERO or self.near(t.invoice.authorizationExpiry):
                return
            if wait and self.now() < t.invoice.authorizationExpiry:
                chain.mine(timestamp=t.invoice.authorizationExpiry + 2 * MARGIN)
            fn = esc.functions.reclaimDeposit(t.invoice.abi())
            amount = sum(x[1] for x in t.pending)
            eth = sum(x[1] for x in t.pending_eth)
            ok = (
                self.now() >= t.invoice.authorizationExpiry
                and (amount or eth)
                and not (amount and self.fails_to(t.token, t.named))
                and not (eth and self.fails_to(ZERO, t.named))
            )
            if not ok:
                self.reverts(fn, t.named)
                return
            self.send(fn, t.named, name="reclaimDeposit")
            self.wallets[(t.named, t.token)] += amount
            self.wallets[(t.named, ZERO)] += eth
            t.pending, t.pending_eth = [], []

        @precondition(lambda self: self.invoices)
        @rule(
            index=st.integers(0, 10**6),
            percent=st.sampled_from([10, 50, 100, 120]),
            failing=st.booleans(),
        )
        def refund(self, index: int, percent: int, failing: bool) -> None:
            """With `failing`, to a payer whose return fails (`nobody` in ETH, a blocked payer in
            the blacklisting token) when there is one: the refund is owed."""

            def captured(t: Tracked) -> bool:
                return t.status == Status.CAPTURED and t.amount > 0

            def owed(t: Tracked) -> bool:
                return captured(t) and self.fails_to(t.token, t.payer)

            t = self.pick(index, *([owed] if failing else []), captured)
            if self.near(t.invoice.refundDeadline):
                return
            amount = max(1, t.amount * percent // 100)
            fn = esc.functions.refund(t.invoice.abi(), amount)
            ok = (
                not self.paused
                and t.status == Status.CAPTURED
                and self.now() <= t.invoice.refundDeadline
                and amount <= t.amount
                and amount <= self.pools[t.token][CAPTURED]
            )
            if not ok:
                self.reverts(fn, operator.address)
                return
            owes = self.fails_to(t.token, t.payer)
            self.send(fn, operator.address, name="refund (owed)" if owes else "refund")
            self.pools[t.token][CAPTURED] -= amount
            t.amount -= amount
            self.give(t.token, t.payer, amount)

        @rule(
            token=st.integers(0, 2),
            percent=st.sampled_from([0, 50, 97, 100, 120]),
            fee_bps=st.sampled_from([0, 150, 300]),
        )
        def settle(self, token: int, percent: int, fee_bps: int) -> None:
            """One settlement run: the exchange's ledger sets payout and fees; the escrow only
            bounds their sum by the captured pool."""
            with_captured = [t for t in tokens if self.pools[t][CAPTURED]] or tokens
            address = with_captured[token % len(with_captured)]
            total = self.pools[address][CAPTURED] * percent // 100
            fees = total * fee_bps // 10_000
            payout = total - fees
            fn = esc.functions.settle(address, payout, fees, keccak(os.urandom(32)))
            ok = (
                not self.paused
                and 0 < total <= self.pools[address][CAPTURED]
                and not (payout and self.fails_to(address, treasury.address))
            )
            if not ok:
                self.reverts(fn, operator.address)
                return
            self.send(fn, operator.address)
            self.pools[address][CAPTURED] -= total
            self.pools[address][FEES] += fees
            self.wallets[(treasury.address, address)] += payout

        @rule(token=st.integers(0, 2))
        def withdraw_fees(self, token: int) -> None:
            with_fees = [t for t in tokens if self.pools[t][FEES]] or tokens
            address = with_fees[token % len(with_fees)]
            fn = esc.functions.withdrawFees(address, fee_to)
            if self.paused or self.pools[address][FEES] == 0:
                self.reverts(fn, admin.address)
                return
            self.send(fn, admin.address)
            self.wallets[(fee_to, address)] += self.pools[address][FEES]
            self.pools[address][FEES] = 0

        @precondition(lambda self: any(self.owed.values()))
        @rule(index=st.integers(0, 10**6), to_self=st.booleans())
        def withdraw_owed(self, index: int, to_self: bool) -> None:
            """The account pulls what failed returns left it (works while paused), to itself or
            to one of the payers."""
            owed = sorted(k for k, v in self.owed.items() if v)
            account, token = owed[index % len(owed)]
            to = account if to_self else payers[index % len(payers)]
            fn = esc.functions.withdrawOwed(token, to)
            if self.fails_to(token, to):
                self.reverts(fn, account)
                return
            self.send(fn, account)
            amount = self.owed.pop((account, token))
            self.pools[token][OWED] -= amount
            self.wallets[(to, token)] += amount

        @rule(
            what=st.sampled_from(["pause", "toggle", "toggle", "block", "unblock", "time", "time"]),
            who=st.integers(0, 3),
            seconds=st.sampled_from([600, 3600, 6000, 40 * 86400]),
        )
        def admin_or_time(self, what: str, who: int, seconds: int) -> None:
            """Pause or unpause; the blacklisting token blocks or unblocks an account, or time
            passes."""
            if what in ("pause", "toggle"):
                pause = what == "pause" or not self.paused
                fn = esc.functions.pause() if pause else esc.functions.unpause()
                if pause == self.paused:
                    self.reverts(fn, admin.address)
                    return
                self.send(fn, admin.address)
                self.paused = pause
            elif what in ("block", "unblock"):
                account = [*payers, nobody][who]
                blk.functions.setBlocked(account, what == "block").transact({"from": admin.address})
                (self.blocked.add if what == "block" else self.blocked.discard)(account)
                done["blacklist"] += 1
            else:
                chain.mine(timestamp=self.now() + seconds)

        # --- invariants -------------------------------------------------------------------------

        @invariant()
        def solvent_and_as_modelled(self) -> None:
            for token in tokens:
                ours = [t for t in self.invoices if t.token == token]
                totals, payments = lens.functions.read(
                    esc.address, token, [t.hash for t in ours]
                ).call()
                balance, held, captured, fees, owed = totals
                assert held + captured + fees + owed == balance, token
                assert [held, captured, fees, owed] == self.pools[token], token
                for t, (payer, amount, status) in zip(ours, payments, strict=True):
                    assert (payer, amount, Status(status)) == (t.payer, t.amount, t.status)
            addresses = [t.address for t in self.invoices]
            wallets, owed_to = read_balances(addresses)
            at = {k: wallets.pop(k) for k in list(wallets) if k[0] in addresses}
            assert wallets == {k: self.wallets[k] for k in wallets}
            assert owed_to == {k: self.owed[k] for k in owed_to}
            for t in self.invoices:  # what sits unswept at each deposit address
                pending = Counter({t.token: sum(x[1] for x in t.pending)})
                pending[ZERO] += sum(x[1] for x in t.pending_eth)
                assert {token: at[(t.address, token)] for token in tokens} == {
                    token: pending[token] for token in tokens
                }

        @invariant()
        def named_payers_are_the_payers_of_record(self) -> None:
            for t in self.invoices:
                if t.named != ZERO and t.status != Status.NONE:
                    assert t.payer == t.named

    started = time.monotonic()
    run_state_machine_as_test(
        EscrowMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            # CI replays the same sequences (a failure reproduces); `make fuzz` draws fresh ones.
            derandomize=os.environ.get("ESCROW_STATEFUL_RANDOM") != "1",
            suppress_health_check=list(HealthCheck),
        ),
    )
    elapsed = time.monotonic() - started
    print(
        f"\nstateful escrow: {len(runs)} sequences of up to {STEPS} steps in {elapsed:.0f} s; "
        f"{dict(sorted(done.items()))}"
    )
    assert len(runs) >= EXAMPLES
    # Every operation really happened, not only its guard: the model and the chain were exercised.
    wanted = [
        "pay", "deposit", "deposit (ETH)", "sweep (honest)", "sweep (sender)", "sweep (sum)",
        "capture", "captureMany", "void", "reclaim", "reclaimDeposit", "refund", "refund (owed)",
        "settle", "withdrawFees", "withdrawOwed", "pause", "unpause", "blacklist",
    ]  # fmt: skip
    assert all(done[name] > 0 for name in wanted), {n: done[n] for n in wanted}


def _largest_sender(transfers: list[tuple[str, int, bytes, int]]) -> str:
    """The sender whose transfers add up to the most; ties: the first in the list."""
    totals: Counter[str] = Counter()
    for sender, amount, *_ in transfers:
        totals[sender] += amount
    best = max(totals.values())
    return next(sender for sender, *_ in transfers if totals[sender] == best)


def _total_of(transfers: list[tuple[str, int, bytes, int]], sender: str) -> int:
    return sum(amount for who, amount, *_ in transfers if who == sender)
