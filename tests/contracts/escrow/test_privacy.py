"""Privacy property: store and terminal addresses never reach the chain.

Stores and terminals have real addresses off chain (they request invoices with them). A full
scenario runs on chain: payments through deposit addresses and one direct pay, a sweep, a batch
capture, a refund and settlements for two stores. Then every transaction's calldata, every log and
every storage slot the transactions touched (prestateTracer in diff mode) is scanned for those
addresses, raw or as mapping keys. The payers' addresses are scanned too, as a positive control
that the scan does find an address that is there.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

from tests.contracts.escrow.conftest import ZERO, Invoice, Status


def _hexes(value: Any) -> Iterator[str]:
    """Every string in a nested JSON-like value, lower-cased and without 0x."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _hexes(key)
            yield from _hexes(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _hexes(item)
    elif isinstance(value, bytes):
        yield value.hex()
    elif isinstance(value, str):
        yield value.lower().removeprefix("0x")


def _mapping_slots(address: str) -> set[str]:
    """The storage slots a `mapping(address => ...)` at base slot 0..31 would use for `address`."""
    return {keccak(encode(["address", "uint256"], [address, base])).hex() for base in range(32)}


def test_store_and_terminal_addresses__never_on_chain(
    chain: Any,
    escrow: Any,
    funded: Any,
    new_invoice: Callable[..., Invoice],
    sign: Callable[..., bytes],
    operator: Any,
    customer: Any,
    other_customer: Any,
    accounts: Any,
    state: Callable[..., Any],
) -> None:
    stores = {name: Account.create() for name in ("bakery", "florist")}
    terminals = {
        "bakery": [Account.create() for _ in range(3)],
        "florist": [Account.create() for _ in range(2)],
    }
    # The exchange keeps storeId <-> store off chain; the id is random, never an address hash.
    store_ids = {name: keccak(os.urandom(32)) for name in stores}

    def request_invoice(
        terminal: Any, store: str, amount: int, token: str | None = None
    ) -> Invoice:
        assert (
            terminal in terminals[store]
        )  # the off-chain exchange checks the terminal belongs to the store
        kwargs = {"token": token} if token else {}
        return new_invoice(
            storeId=store_ids[store], amount=amount, salt=keccak(os.urandom(32)), **kwargs
        )

    payers = [customer, other_customer, accounts[8], accounts[9]]
    invoices: list[Invoice] = []
    swept_payers: list[Any] = []
    receipts: list[Any] = []
    for i, (store, terminal) in enumerate((s, t) for s in terminals for t in terminals[s]):
        invoice = request_invoice(terminal, store, 1_000 + i)
        payer = payers[i % len(payers)]
        if funded.balanceOf(payer) < invoice.amount:
            receipts.append(funded.transfer(payer, 10_000, sender=customer))
        receipts.append(
            funded.transfer(escrow.depositAddress(invoice.abi()), invoice.amount, sender=payer)
        )
        invoices.append(invoice)
        swept_payers.append(payer)
    eth_invoice = request_invoice(terminals["florist"][0], "florist", 10**16, token=ZERO)
    receipts.append(other_customer.transfer(escrow.depositAddress(eth_invoice.abi()), 10**16))
    invoices.append(eth_invoice)
    swept_payers.append(other_customer)
    direct = request_invoice(terminals["bakery"][1], "bakery", 4_321)
    receipts.append(escrow.pay(direct.abi(), sign(direct), sender=customer))

    receipts.append(escrow.sweep([i.abi() for i in invoices], swept_payers, sender=operator))
    captured = [*invoices, direct]
    receipts.append(
        escrow.captureMany(
            [i.abi() for i in captured],
            [i.amount for i in captured],
            [150] * len(captured),
            sender=operator,
        )
    )
    receipts.append(escrow.refund(direct.abi(), 321, sender=operator))
    for name in stores:
        balance = escrow.storeBalance(store_ids[name], funded)
        receipts.append(
            escrow.settle(store_ids[name], funded, balance, keccak(os.urandom(32)), sender=operator)
        )
    receipts.append(
        escrow.settle(
            store_ids["florist"],
            ZERO,
            10**16 - 10**16 * 150 // 10_000,
            keccak(os.urandom(32)),
            sender=operator,
        )
    )
    assert all(state(i)[2] == Status.CAPTURED for i in captured)
    assert escrow.storeBalance(store_ids["bakery"], funded) == 0

    blobs: list[str] = []
    touched_slots: set[str] = set()
    for receipt in receipts:
        tx = chain.provider.web3.eth.get_transaction(receipt.txn_hash)
        blobs += list(_hexes([tx["input"], tx["from"], tx["to"] or ""]))
        for log in chain.provider.web3.eth.get_transaction_receipt(receipt.txn_hash)["logs"]:
            blobs += list(_hexes([log["address"], log["topics"], log["data"]]))
        diff = chain.provider.make_request(
            "debug_traceTransaction",
            [receipt.txn_hash, {"tracer": "prestateTracer", "tracerConfig": {"diffMode": True}}],
        )
        blobs += list(_hexes(diff))
        for side in ("pre", "post"):
            for account in diff[side].values():
                touched_slots |= {
                    slot.lower().removeprefix("0x") for slot in account.get("storage", {})
                }
    haystack = "\n".join(blobs)

    secret = [a.address for a in stores.values()] + [
        t.address for ts in terminals.values() for t in ts
    ]
    found = {a: haystack.count(a.lower()[2:]) for a in secret}
    assert found == dict.fromkeys(secret, 0)
    assert not any(_mapping_slots(a) & touched_slots for a in secret)
    # Positive control: the same scan does find the payers, who are on chain by design.
    assert all(haystack.count(p.address.lower()[2:]) > 0 for p in payers)
    assert all(
        _mapping_slots(p.address) & touched_slots for p in payers
    )  # their token balance slots
    assert len(touched_slots) > 20
