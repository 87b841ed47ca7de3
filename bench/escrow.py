"""PaymentEscrow: every operation, deposit-address sweeps, and the all-in private payment.

All figures are receipts' gas_used (after refunds) on anvil, in warm conditions: the escrow already
holds the token, the store and fee balances are already nonzero, and payers already hold the token.
"""

from __future__ import annotations

import itertools
from typing import Any

from eth_account import Account
from eth_utils import keccak

from bench.common import BenchContext, Measurement

ZERO = "0x0000000000000000000000000000000000000000"
STORE = keccak(text="bench-store")
UNIT = 10**18
INVOICE_TYPES = {
    "Invoice": [
        {"name": "storeId", "type": "bytes32"},
        {"name": "token", "type": "address"},
        {"name": "amount", "type": "uint256"},
        {"name": "payer", "type": "address"},
        {"name": "paymentDeadline", "type": "uint48"},
        {"name": "authorizationExpiry", "type": "uint48"},
        {"name": "refundDeadline", "type": "uint48"},
        {"name": "minFeeBps", "type": "uint16"},
        {"name": "maxFeeBps", "type": "uint16"},
        {"name": "salt", "type": "bytes32"},
    ]
}
PERMIT_TYPES = {
    "Permit": [
        {"name": "owner", "type": "address"},
        {"name": "spender", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}
GROUP = "escrow"
REF_ACE = "AuthCaptureEscrow"


class Bench:
    def __init__(self, ctx: BenchContext) -> None:
        self.ctx = ctx
        self.chain = ctx.chain
        self.admin = ctx.admin
        self.operator = ctx.account(1)
        self.treasury = ctx.account(4)
        self.payer = ctx.account(5)
        self.salts = itertools.count(1)
        project = ctx.project
        self.coin = self.admin.deploy(project.EMoney, "Bench Coin", "BNC", 18, self.admin)
        self.coin.grantRole(self.coin.MINTER_ROLE(), self.admin, sender=self.admin)
        self.escrow = self.admin.deploy(project.PaymentEscrow, self.admin, self.treasury)
        self.escrow.grantRole(self.escrow.OPERATOR_ROLE(), self.operator, sender=self.admin)
        self.escrow.setTokenAllowed(self.coin, True, sender=self.admin)
        self.escrow.setTokenAllowed(ZERO, True, sender=self.admin)
        self.mint(self.payer, 10**9 * UNIT)
        # Warm state: the escrow holds the coin, the store and the fee balance are nonzero.
        self.coin.approve(self.escrow, 10 * UNIT, sender=self.payer)
        warm = self.pay(self.invoice())
        self.escrow.capture(warm, 5 * UNIT, 100, sender=self.operator)
        eth_warm = self.invoice(token=ZERO)
        self.escrow.pay(eth_warm, self.sign(eth_warm), sender=self.payer, value=10 * UNIT)
        self.escrow.capture(eth_warm, 5 * UNIT, 100, sender=self.operator)

    def mint(self, to: Any, amount: int) -> None:
        self.coin.mint(to, amount, b"\x00" * 32, sender=self.admin)

    def invoice(self, token: Any = None, amount: int = 10 * UNIT) -> tuple[Any, ...]:
        now = self.chain.pending_timestamp
        return (
            STORE,
            ZERO if token == ZERO else (token or self.coin.address),
            amount,
            ZERO,
            now + 3600,
            now + 7200,
            now + 30 * 86400,
            0,
            300,
            keccak(next(self.salts).to_bytes(32, "big")),  # a random-looking salt, as in production
        )

    def sign(self, invoice: tuple[Any, ...]) -> bytes:
        names = [f["name"] for f in INVOICE_TYPES["Invoice"]]
        domain = self.domain(self.escrow)
        signed = Account.sign_typed_data(
            self.operator.private_key, domain, INVOICE_TYPES, dict(zip(names, invoice, strict=True))
        )
        return bytes(signed.signature)

    def domain(self, contract: Any) -> dict[str, Any]:
        fields = contract.eip712Domain()
        return {
            "name": fields[1],
            "version": fields[2],
            "chainId": self.chain.chain_id,
            "verifyingContract": contract.address,
        }

    def pay(self, invoice: tuple[Any, ...]) -> tuple[Any, ...]:
        self.last = self.escrow.pay(invoice, self.sign(invoice), sender=self.payer)
        return invoice

    def paid(self, n: int) -> list[tuple[Any, ...]]:
        self.coin.approve(self.escrow, 2**256 - 1, sender=self.payer)
        return [self.pay(self.invoice()) for _ in range(n)]

    def gas(self, tx: Any) -> int:
        return int(tx.gas_used)

    def fund_deposits(self, invoices: list[tuple[Any, ...]]) -> list[int]:
        """Pays each invoice by a plain transfer from its own payer; returns each transfer's gas."""
        gas = []
        for i, invoice in enumerate(invoices):
            payer = self.ctx.account(8 + i % 4)
            if self.coin.balanceOf(payer) < invoice[2]:
                self.mint(payer, 10**6 * UNIT)
            gas.append(
                self.gas(
                    self.coin.transfer(
                        self.escrow.depositAddress(invoice), invoice[2], sender=payer
                    )
                )
            )
        return gas

    def sweep(self, invoices: list[tuple[Any, ...]]) -> int:
        payers = [self.ctx.account(8 + i % 4) for i in range(len(invoices))]
        return self.gas(self.escrow.sweep(invoices, payers, sender=self.operator))


def run(ctx: BenchContext) -> list[Measurement]:
    b = Bench(ctx)
    rows: list[Measurement] = []

    def row(op: str, gas: int, reference: str = "", target: str = "") -> None:
        rows.append(Measurement.gas(GROUP, op, gas, reference, target))

    # pay, ERC-20 approved for exactly the amount just before (allowance slot goes to zero).
    invoice = b.invoice()
    b.coin.approve(b.escrow, invoice[2], sender=b.payer)
    row(
        "pay, ERC-20 pre-approved (exact allowance), escrow already holds the coin",
        b.gas(b.escrow.pay(invoice, b.sign(invoice), sender=b.payer)),
        f"{REF_ACE} authorize 155,657",
        "<= 93,000",
    )
    invoice = b.invoice()
    b.coin.approve(b.escrow, 2**256 - 1, sender=b.payer)
    row(
        "pay, ERC-20 pre-approved (unlimited allowance)",
        b.gas(b.escrow.pay(invoice, b.sign(invoice), sender=b.payer)),
        f"{REF_ACE} authorize 155,657",
        "<= 93,000",
    )
    invoice = b.invoice(token=ZERO, amount=UNIT)
    row(
        "pay, ETH",
        b.gas(b.escrow.pay(invoice, b.sign(invoice), sender=b.payer, value=UNIT)),
        f"{REF_ACE} authorize 155,657",
    )

    b.coin.approve(b.escrow, 0, sender=b.payer)
    invoice = b.invoice()
    deadline = b.chain.pending_timestamp + 600
    permit = {
        "owner": b.payer.address,
        "spender": b.escrow.address,
        "value": invoice[2],
        "nonce": b.coin.nonces(b.payer),
        "deadline": deadline,
    }
    signed = Account.sign_typed_data(b.payer.private_key, b.domain(b.coin), PERMIT_TYPES, permit)
    row(
        "payWithPermit, ERC-20",
        b.gas(
            b.escrow.payWithPermit(
                invoice,
                b.sign(invoice),
                deadline,
                signed.v,
                signed.r.to_bytes(32, "big"),
                signed.s.to_bytes(32, "big"),
                sender=b.payer,
            )
        ),
        f"{REF_ACE} authorize 155,657",
    )

    held = b.paid(24)
    row(
        "capture, full, 1% fee (store and fee balances already nonzero)",
        b.gas(b.escrow.capture(held[0], held[0][2], 100, sender=b.operator)),
        f"{REF_ACE} capture 69,915",
        "<= 49,000",
    )
    row(
        "capture, partial (rest released to payer)",
        b.gas(b.escrow.capture(held[1], held[1][2] // 2, 100, sender=b.operator)),
        f"{REF_ACE} capture 69,915",
    )
    batch = held[4:24]
    many = b.gas(b.escrow.captureMany(batch, [i[2] for i in batch], [100] * 20, sender=b.operator))
    row("captureMany of 20, per invoice", many // 20, f"{REF_ACE} capture 69,915", "<= 49,000")
    row("void", b.gas(b.escrow.void(held[2], sender=b.operator)), f"{REF_ACE} void 55,079")
    row(
        "refund, partial, of a captured payment",
        b.gas(b.escrow.refund(held[0], UNIT, sender=b.operator)),
        f"{REF_ACE} refund 80,064",
    )
    b.escrow.settle(STORE, b.coin, UNIT, keccak(text="settlement-0"), sender=b.operator)
    row(
        "settle, part of the store balance, to a treasury that already holds the coin",
        b.gas(b.escrow.settle(STORE, b.coin, UNIT, keccak(text="settlement-1"), sender=b.operator)),
    )
    b.chain.pending_timestamp += 7200
    row(
        "reclaim, by the payer after the authorization expiry",
        b.gas(b.escrow.reclaim(held[3], sender=b.payer)),
        f"{REF_ACE} reclaim 55,217",
    )

    transfers: list[int] = []
    for n in (1, 10, 50):
        invoices = [b.invoice() for _ in range(n)]
        transfers += b.fund_deposits(invoices)
        total = b.sweep(invoices)
        row(f"sweep of {n} ERC-20 deposits, total", total)
        row(f"sweep of {n} ERC-20 deposits, per invoice", total // n)
    eth = [b.invoice(token=ZERO, amount=UNIT) for _ in range(10)]
    for i, invoice in enumerate(eth):
        b.ctx.account(8 + i % 4).transfer(b.escrow.depositAddress(invoice), UNIT)
    row("sweep of 10 ETH deposits, per invoice", b.sweep(eth) // 10)

    invoices = [b.invoice() for _ in range(20)]
    pay_gas = b.fund_deposits(invoices)
    sweep_share = b.sweep(invoices) // 20
    capture_share = (
        b.gas(
            b.escrow.captureMany(invoices, [i[2] for i in invoices], [100] * 20, sender=b.operator)
        )
        // 20
    )
    transfer = sum(pay_gas) // len(pay_gas)
    row("payer's plain transfer to a fresh deposit address (ERC-20)", transfer)
    row(
        "all-in private payment: transfer + 1/20 of sweep(20) + 1/20 of captureMany(20)",
        transfer + sweep_share + capture_share,
        "",
        "<= 135,000",
    )

    invoices = [b.invoice() for _ in range(20)]
    pay_gas = b.fund_deposits(invoices)
    payers = [b.ctx.account(8 + i % 4) for i in range(20)]
    both = b.gas(b.escrow.sweepAndCapture(invoices, payers, [100] * 20, sender=b.operator)) // 20
    transfer = sum(pay_gas) // len(pay_gas)
    row("sweepAndCapture of 20 ERC-20 deposits, per invoice", both)
    row(
        "all-in private payment: transfer + 1/20 of sweepAndCapture(20)",
        transfer + both,
        "",
        "<= 135,000",
    )
    rows += forwarder_alternatives(b)
    return rows


def forwarder_alternatives(b: Bench) -> list[Measurement]:
    """The forwarder designs alone (no escrow bookkeeping): 20 ERC-20 deposits a sweep."""
    harness = b.admin.deploy(b.ctx.project.ForwarderBench)
    salts = [keccak(text=f"forwarder-{i}") for i in range(20)]
    payer = b.ctx.account(8)
    b.mint(payer, 10**6 * UNIT)
    rows = []
    for design, address_of, sweep in (
        (
            "self-destructing CREATE2 forwarder (in use)",
            lambda s: harness.selfDestructAddress(b.coin, s),
            harness.sweepSelfDestruct,
        ),
        (
            "persistent minimal proxy (OpenZeppelin Clones)",
            harness.cloneAddress,
            harness.sweepClones,
        ),
    ):
        for round_ in ("first payment", "later payment to the same address"):
            for salt in salts:
                b.coin.transfer(address_of(salt), UNIT, sender=payer)
            gas = int(sweep(b.coin, salts, sender=b.admin).gas_used) // len(salts)
            rows.append(Measurement.gas("forwarder", f"{design}: {round_}, per deposit of 20", gas))
    stipend = b.admin.deploy(b.ctx.project.EthSender)
    b.admin.transfer(stipend, 2)
    verdicts = []
    for address in (harness.selfDestructAddress(ZERO, salts[0]), harness.cloneAddress(salts[0])):
        try:
            stipend.sendWithStipend(address, 1, sender=b.admin)
            verdicts.append("accepted")
        except Exception:  # the clone's delegatecall does not fit in 2,300 gas
            verdicts.append("reverts")
    rows.append(
        Measurement(
            "forwarder",
            "ETH sent with a 2,300-gas stipend to a swept address: self-destruct / clone",
            " / ".join(verdicts),
        )
    )
    return rows
