"""Privacy property: nothing on chain links two invoices of the same store.

One scenario, run against the escrow and against the previous design (`PaymentEscrowV1`, the
positive control): 3 stores, 36 invoices in two rounds, each invoice with its own payer and a
random amount; ETH and an ERC-20; direct `pay` and deposit-address payments swept (and captured)
in batches that mix the stores; single and batched captures; partial refunds; a settlement run
per round. The exchange's side is simulated here: a random store id per store, a fresh 32-byte
store salt per invoice, the commitment keccak256(abi.encode(storeId, storeSalt)), the store's fee
rate (off chain in v2), the operator's signature.

Every transaction's footprint (`footprint.py`: tx fields, calldata words, log topics and data
words, touched storage keys) is attributed to the invoices it concerns (a settlement to every
invoice whose capture it settles), and `footprint.analyse` finds the values that link two
invoices of one store and are not public (revealed for every store alike). The property: the
escrow shows no such value; the previous design shows the store id of every store.

Operating condition it assumes of the exchange: a batch (sweep, captureMany, settle) either
concerns one invoice or invoices of every store; a batch of only some stores' invoices would
itself tell those stores' invoices from the others'.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

from tests.contracts.escrow.footprint import (
    Linkability,
    Observation,
    analyse,
    transaction_footprint,
)

ZERO = "0x0000000000000000000000000000000000000000"
STORES = ("bakery", "florist", "bookshop")
FEE_BPS = {"bakery": 100, "florist": 150, "bookshop": 225}  # the exchange's term, per store
HOUR = 3600
GAS = 3_000_000
ROUNDS = 2
# Per store and round: (token, paid through the deposit address, named payer).
PLAN = (
    ("erc20", False, True),
    ("erc20", False, True),
    ("eth", False, True),
    ("erc20", True, False),
    ("erc20", True, True),
    ("eth", True, False),
)


@dataclass
class Sale:
    """One invoice, as the exchange knows it (store) and as the chain sees it (terms, hash)."""

    key: int
    store: str
    token: str
    amount: int
    payer: str
    deposit: bool
    named: bool
    terms: tuple[Any, ...] = ()
    hash: bytes = b""
    address: str = ""
    paid_in: tuple[bytes, int] = (b"", 0)  # the deposit's transaction hash and log index
    captured: int = 0
    refunded: int = 0
    fee: int = 0


Sent = list[tuple[Any, list[Sale]]]


class Escrow:
    """The calls of one escrow design; the scenario is written once against this."""

    types: tuple[str, ...] = ()

    def __init__(self, w3: Any, contract: Any, operator: Any) -> None:
        self.w3, self.c, self.operator = w3, contract, operator

    def send(self, fn: Any, sender: str | None = None, value: int = 0) -> Any:
        tx_hash = fn.transact({"from": sender or self.operator.address, "gas": GAS, "value": value})
        assert self.w3.eth.wait_for_transaction_receipt(tx_hash)["status"] == 1
        return tx_hash

    def sign(self, sale: Sale) -> bytes:
        return bytes(Account.unsafe_sign_hash(sale.hash, self.operator.private_key).signature)

    def terms(self, sale: Sale, store_id: bytes, salt: bytes, deadlines: tuple[int, ...]) -> tuple:
        raise NotImplementedError

    def sweep(self, sales: list[Sale]) -> Any:
        raise NotImplementedError

    def capture(self, sale: Sale, amount: int) -> Any:
        return self.send(self.c.functions.capture(sale.terms, amount))

    def capture_many(self, sales: list[Sale]) -> Any:
        fn = self.c.functions.captureMany([s.terms for s in sales], [s.amount for s in sales])
        return self.send(fn)

    def settle(self, token: str, sales: list[Sale], reference: bytes) -> Sent:
        raise NotImplementedError


class EscrowV2(Escrow):
    """This design: a blinded store commitment in the terms, no fee on chain but pooled at
    settlement, one settlement per token per run."""

    types = ("bytes32", "address", "uint256", "address", "uint48", "uint48", "uint48")

    def terms(self, sale: Sale, store_id: bytes, salt: bytes, deadlines: tuple[int, ...]) -> tuple:
        commitment = keccak(encode(["bytes32", "bytes32"], [store_id, salt]))
        return (commitment, sale.token, sale.amount, sale.payer if sale.named else ZERO, *deadlines)

    def sweep(self, sales: list[Sale]) -> Any:
        deposits = [
            (s.terms, [(s.payer, s.amount, s.paid_in[0], s.paid_in[1])], [], True) for s in sales
        ]
        return self.send(self.c.functions.sweep(deposits))

    def settle(self, token: str, sales: list[Sale], reference: bytes) -> Sent:
        fees = sum(s.fee for s in sales)
        payout = sum(s.captured - s.refunded for s in sales) - fees
        return [(self.send(self.c.functions.settle(token, payout, fees, reference)), sales)]


class EscrowV1(Escrow):
    """The previous design: the store id in the terms, fee bounds and rate on chain, per-store
    balances settled store by store."""

    types = ("bytes32", "address", "uint256", "address", "uint48", "uint48", "uint48",
             "uint16", "uint16", "bytes32")  # fmt: skip

    def terms(self, sale: Sale, store_id: bytes, salt: bytes, deadlines: tuple[int, ...]) -> tuple:
        payer = sale.payer if sale.named else ZERO
        return (store_id, sale.token, sale.amount, payer, *deadlines, 0, 300, salt)

    def sweep(self, sales: list[Sale]) -> Any:
        fn = self.c.functions.sweepAndCapture(
            [s.terms for s in sales], [s.payer for s in sales], [FEE_BPS[s.store] for s in sales]
        )
        return self.send(fn)

    def capture(self, sale: Sale, amount: int) -> Any:
        return self.send(self.c.functions.capture(sale.terms, amount, FEE_BPS[sale.store]))

    def capture_many(self, sales: list[Sale]) -> Any:
        fn = self.c.functions.captureMany(
            [s.terms for s in sales], [s.amount for s in sales], [FEE_BPS[s.store] for s in sales]
        )
        return self.send(fn)

    def settle(self, token: str, sales: list[Sale], reference: bytes) -> Sent:
        sent = []
        for store in STORES:
            of_store = [s for s in sales if s.store == store]
            store_id = of_store[0].terms[0]
            balance = self.c.functions.storeBalance(store_id, token).call()
            ref = keccak(reference + store.encode())
            sent.append(
                (self.send(self.c.functions.settle(store_id, token, balance, ref)), of_store)
            )
        return sent


def _alternate(sales: list[Sale]) -> tuple[list[Sale], list[Sale]]:
    """Two batches, each with invoices of every store (a store's sales dealt alternately)."""
    batches: tuple[list[Sale], list[Sale]] = ([], [])
    for store in STORES:
        for i, sale in enumerate(s for s in sales if s.store == store):
            batches[i % 2].append(sale)
    return batches


def run_scenario(
    escrow: Escrow, coin: Any, minter: Any, seed: int, reuse_salt: bool = False
) -> tuple[Observation, list[Sale]]:
    """The exchange's and the payers' side of two rounds of sales; returns what an observer saw.
    `reuse_salt`: a faulty exchange that gives all invoices of a store one store salt."""
    w3, rng = escrow.w3, random.Random(seed)
    store_ids = {store: rng.randbytes(32) for store in STORES}
    store_salts = {store: rng.randbytes(32) for store in STORES}
    sales: list[Sale] = []
    sent: Sent = []

    def new_payer() -> str:
        address = Account.from_key(rng.randbytes(32)).address
        w3.provider.make_request("anvil_impersonateAccount", [address])
        w3.provider.make_request("anvil_setBalance", [address, hex(10**19)])
        return address

    for _ in range(ROUNDS):
        clock = w3.eth.get_block("latest")["timestamp"]
        plan = [(store, item) for store in STORES for item in PLAN]
        rng.shuffle(plan)
        batch: list[Sale] = []
        for store, (kind, deposit, named) in plan:
            clock += rng.randint(61, 300)  # the exchange creates the invoices over time
            eth = kind == "eth"
            sale = Sale(
                key=len(sales),
                store=store,
                token=ZERO if eth else coin.address,
                amount=rng.randint(10**15, 10**17) if eth else rng.randint(10**5, 10**8),
                payer=new_payer(),
                deposit=deposit,
                named=named,
            )
            deadlines = tuple(
                clock + w + rng.randint(0, 59) for w in (2 * HOUR, 3 * HOUR, 720 * HOUR)
            )
            salt = store_salts[store] if reuse_salt else rng.randbytes(32)
            sale.terms = escrow.terms(sale, store_ids[store], salt, deadlines)
            sale.hash = bytes(escrow.c.functions.invoiceHash(sale.terms).call())
            sale.address = escrow.c.functions.depositAddress(sale.terms).call()
            if not eth:
                coin.functions.mint(sale.payer, sale.amount, bytes(32)).transact(
                    {"from": minter.address}
                )
            sales.append(sale)
            batch.append(sale)

        for sale in rng.sample(batch, len(batch)):  # the payers pay in their own order
            eth = sale.token == ZERO
            if sale.deposit and eth:
                tx = w3.eth.send_transaction(
                    {"from": sale.payer, "to": sale.address, "value": sale.amount}
                )
                sale.paid_in = (bytes(tx), 2**32 - 1)
                sent.append((tx, [sale]))
            elif sale.deposit:
                tx = escrow.send(coin.functions.transfer(sale.address, sale.amount), sale.payer)
                log_index = w3.eth.get_transaction_receipt(tx)["logs"][0]["logIndex"]
                sale.paid_in = (bytes(tx), log_index)
                sent.append((tx, [sale]))
            else:
                if not eth:
                    approve = coin.functions.approve(escrow.c.address, sale.amount)
                    sent.append((escrow.send(approve, sale.payer), [sale]))
                pay = escrow.c.functions.pay(sale.terms, escrow.sign(sale))
                sent.append((escrow.send(pay, sale.payer, sale.amount if eth else 0), [sale]))

        for swept in _alternate([s for s in batch if s.deposit]):
            sent.append((escrow.sweep(swept), swept))
            for sale in swept:
                sale.captured = sale.amount
        direct = [s for s in batch if not s.deposit]
        alone = [rng.choice([s for s in direct if s.store == store]) for store in STORES]
        for sale in alone:  # a partial capture: the rest goes back to the payer
            sale.captured = sale.amount * rng.randint(50, 99) // 100
            sent.append((escrow.capture(sale, sale.captured), [sale]))
        together = [s for s in direct if s not in alone]
        sent.append((escrow.capture_many(together), together))
        for sale in together:
            sale.captured = sale.amount
        for sale in batch:
            sale.fee = sale.captured * FEE_BPS[sale.store] // 10_000
        for store in STORES:  # a partial refund per store, of a capture in either token
            sale = rng.choice([s for s in batch if s.store == store])
            sale.refunded = sale.captured // rng.randint(3, 9)
            sent.append((escrow.send(escrow.c.functions.refund(sale.terms, sale.refunded)), [sale]))
        for token in (coin.address, ZERO):
            settled = [s for s in batch if s.token == token]
            sent += escrow.settle(token, settled, rng.randbytes(32))
        w3.provider.make_request("evm_mine", [clock + 4 * HOUR])
        assert all(s.captured > 0 for s in batch)

    observation = Observation(
        store_of={s.key: s.store for s in sales},
        identifiers={
            **{int.from_bytes(s.hash, "big"): s.key for s in sales},
            **{int(s.address, 16): s.key for s in sales},
        },
        terms={s.key: _terms_words(escrow, s) for s in sales},
    )
    for tx, concerned in sent:
        observation.record(transaction_footprint(w3, tx), [s.key for s in concerned])
    return observation, sales


def _terms_words(escrow: Escrow, sale: Sale) -> tuple[int, ...]:
    data = encode(list(escrow.types), list(sale.terms))
    return tuple(int.from_bytes(data[i : i + 32], "big") for i in range(0, len(data), 32))


@pytest.fixture
def observe(
    project: Any, chain: Any, admin: Any, operator: Any, treasury: Any, minter: Any, emoney: Any
) -> Callable[[str], Iterator[tuple[Linkability, list[Sale]]]]:
    """Runs the scenario against one design ("v2": PaymentEscrow, "v1": PaymentEscrowV1)."""
    w3 = chain.provider.web3

    def web3_contract(contract: Any) -> Any:
        abi = [a.model_dump(mode="json") for a in contract.contract_type.abi]
        return w3.eth.contract(address=contract.address, abi=abi)

    def run(design: str, reuse_salt: bool = False) -> tuple[Linkability, list[Sale]]:
        contract_type = project.PaymentEscrow if design == "v2" else project.PaymentEscrowV1
        deployed = admin.deploy(contract_type, admin, treasury)
        deployed.grantRole(deployed.OPERATOR_ROLE(), operator, sender=admin)
        for token in (emoney.address, ZERO):
            deployed.setTokenAllowed(token, True, sender=admin)
        escrow = (EscrowV2 if design == "v2" else EscrowV1)(w3, web3_contract(deployed), operator)
        observation, sales = run_scenario(
            escrow, web3_contract(emoney), minter, seed=9, reuse_salt=reuse_salt
        )
        result = analyse(observation)
        label = design + (" with one salt per store" if reuse_salt else "")
        print(f"\nprivacy {label}: {len(sales)} invoices, {len(observation.parts)} parts; "
              f"{result.figures()}")  # fmt: skip
        return result, sales

    return run  # type: ignore[return-value]


def test_escrow__no_value_links_two_invoices_of_a_store(observe: Callable[..., Any]) -> None:
    result, sales = observe("v2")
    assert len(sales) >= 30 and {s.store for s in sales} == set(STORES)
    assert result.links == {}, {hex(v): stores for v, stores in result.links.items()}
    # The analysis saw something: values every store shares (token, escrow, operator, selectors).
    assert len(result.public) > 10


def test_previous_design__the_store_id_links_its_invoices(observe: Callable[..., Any]) -> None:
    """Positive control: the same scenario and analysis against v1 find every store's id."""
    result, sales = observe("v1")
    store_ids = {s.store: int.from_bytes(s.terms[0], "big") for s in sales}
    for store, store_id in store_ids.items():
        assert store_id in result.links, store
        assert set(result.links[store_id]) == {store}
        assert len(result.links[store_id][store]) >= 2


def test_exchange_reusing_a_store_salt__the_commitment_links_its_invoices(
    observe: Callable[..., Any],
) -> None:
    """Positive control on the escrow itself: if the exchange gave a store one salt, the store
    commitment in the terms would be constant per store, and the analysis must find it."""
    result, sales = observe("v2", reuse_salt=True)
    commitments = {s.store: int.from_bytes(s.terms[0], "big") for s in sales}
    assert len(set(commitments.values())) == len(STORES)
    for store, commitment in commitments.items():
        assert set(result.links[commitment]) == {store}
        assert len(result.links[commitment][store]) == len(sales) // len(STORES)
