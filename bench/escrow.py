"""PaymentEscrow v2 beside v1 (the `PaymentEscrowV1` test double): every operation, cold and warm.

All figures are receipts' gas_used (after refunds, calldata and the 21,000 base included) on anvil.
Each operation is measured in two conditions, named in its label:
- **cold**: a freshly deployed escrow (tokens allowed, nothing else), the operation being the first
  of its kind: the escrow's first balance of the coin (pay, deposits), v1's first store balance
  (capture), the first fee balance and the treasury's first balance of the coin (settle);
- **warm**: the steady state: the escrow already holds the coin, v1's store and fee balances and
  v2's pools are nonzero, the treasury already holds the coin.
Payers and receivers of returns always already hold the coin and the payer's permit nonce is
already nonzero, so a token-side new slot (20k, the token's own cost) appears only where the
label says so. Fees: v1 takes 1 % at capture
(its invoices allow 0..3 %); v2 has no fee on chain and takes it pooled at settle.
"""

from __future__ import annotations

import itertools
from typing import Any, ClassVar

from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

from bench.common import BenchContext, Measurement

ZERO = "0x0000000000000000000000000000000000000000"
STORE = keccak(text="bench-store")
UNIT = 10**18
NO_LOG = 2**32 - 1
PERMIT_TYPES = {
    "Permit": [
        {"name": "owner", "type": "address"},
        {"name": "spender", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}
_DEADLINES = [
    {"name": "paymentDeadline", "type": "uint48"},
    {"name": "authorizationExpiry", "type": "uint48"},
    {"name": "refundDeadline", "type": "uint48"},
]
V1_TYPES = {
    "Invoice": [
        {"name": "storeId", "type": "bytes32"},
        {"name": "token", "type": "address"},
        {"name": "amount", "type": "uint256"},
        {"name": "payer", "type": "address"},
        *_DEADLINES,
        {"name": "minFeeBps", "type": "uint16"},
        {"name": "maxFeeBps", "type": "uint16"},
        {"name": "salt", "type": "bytes32"},
    ]
}
V2_TYPES = {
    "Invoice": [
        {"name": "storeCommitment", "type": "bytes32"},
        {"name": "token", "type": "address"},
        {"name": "amount", "type": "uint256"},
        {"name": "payer", "type": "address"},
        *_DEADLINES,
    ]
}
GROUP = "escrow"
ACE = "AuthCaptureEscrow"
FEE_BPS = 100
_salts = itertools.count(1)


def _salt() -> bytes:
    return keccak(next(_salts).to_bytes(32, "big"))  # random-looking, as in production


class Design:
    """One escrow deployment of one design, with the calls the bench makes on it."""

    name = ""
    contract = ""
    types: ClassVar[dict[str, Any]] = {}

    def __init__(self, ctx: BenchContext, coin: Any) -> None:
        self.ctx = ctx
        self.chain = ctx.chain
        self.coin = coin
        self.operator = ctx.account(1)
        self.treasury = ctx.account(4)
        self.payer = ctx.account(5)
        admin = ctx.admin
        self.escrow = admin.deploy(getattr(ctx.project, self.contract), admin, self.treasury)
        self.escrow.grantRole(self.escrow.OPERATOR_ROLE(), self.operator, sender=admin)
        self.escrow.setTokenAllowed(coin, True, sender=admin)
        self.escrow.setTokenAllowed(ZERO, True, sender=admin)
        self.references = itertools.count(1)

    # --- terms ---------------------------------------------------------------------------
    def invoice(self, token: Any = None, amount: int = 10 * UNIT) -> tuple[Any, ...]:
        raise NotImplementedError

    def sign(self, invoice: tuple[Any, ...]) -> bytes:
        names = [f["name"] for f in self.types["Invoice"]]
        signed = Account.sign_typed_data(
            self.operator.private_key,
            domain(self.escrow, self.chain.chain_id),
            self.types,
            dict(zip(names, invoice, strict=True)),
        )
        return bytes(signed.signature)

    # --- calls -----------------------------------------------------------------------------
    def pay(self, invoice: tuple[Any, ...], value: int = 0) -> Any:
        return self.escrow.pay(invoice, self.sign(invoice), sender=self.payer, value=value)

    def pay_with_permit(self, invoice: tuple[Any, ...]) -> Any:
        self.coin.approve(self.escrow, 0, sender=self.payer)
        deadline = self.chain.pending_timestamp + 600
        permit = {
            "owner": self.payer.address,
            "spender": self.escrow.address,
            "value": invoice[2],
            "nonce": self.coin.nonces(self.payer),
            "deadline": deadline,
        }
        signed = Account.sign_typed_data(
            self.payer.private_key, domain(self.coin, self.chain.chain_id), PERMIT_TYPES, permit
        )
        return self.escrow.payWithPermit(
            invoice,
            self.sign(invoice),
            deadline,
            signed.v,
            signed.r.to_bytes(32, "big"),
            signed.s.to_bytes(32, "big"),
            sender=self.payer,
        )

    def paid(self, n: int = 1, token: Any = None) -> list[tuple[Any, ...]]:
        self.coin.approve(self.escrow, 2**256 - 1, sender=self.payer)
        invoices = [self.invoice(token) for _ in range(n)]
        for invoice in invoices:
            self.pay(invoice, value=invoice[2] if token == ZERO else 0)
        return invoices

    def capture(self, invoice: tuple[Any, ...], amount: int) -> Any:
        raise NotImplementedError

    def capture_many(self, invoices: list[tuple[Any, ...]]) -> Any:
        raise NotImplementedError

    def settle(self, amount: int) -> Any:
        raise NotImplementedError

    def sweep_and_capture(self, invoices: list[tuple[Any, ...]], transfers: list[tuple]) -> Any:
        raise NotImplementedError

    def fund_deposits(self, invoices: list[tuple[Any, ...]]) -> tuple[list[int], list[tuple]]:
        """Each invoice paid by a plain ERC-20 transfer from its own payer (who already holds the
        coin) to its fresh deposit address; returns each transfer's gas and its attestation."""
        gas, transfers = [], []
        for i, invoice in enumerate(invoices):
            payer = self.ctx.account(8 + i % 4)
            if self.coin.balanceOf(payer) < invoice[2]:
                self.coin.mint(payer, 10**6 * UNIT, b"\x00" * 32, sender=self.ctx.admin)
            tx = self.coin.transfer(self.escrow.depositAddress(invoice), invoice[2], sender=payer)
            [log] = tx.decode_logs(self.coin.Transfer)
            gas.append(int(tx.gas_used))
            tx_hash = bytes.fromhex(str(tx.txn_hash).removeprefix("0x"))
            transfers.append((payer.address, invoice[2], tx_hash, int(log.log_index)))
        return gas, transfers

    def warm_up(self) -> None:
        """Steady state: the escrow holds the coin and ETH, captures and a settlement were made."""
        for token, value in ((None, 0), (ZERO, UNIT)):
            invoice = self.invoice(token, amount=10 * UNIT if token is None else UNIT)
            if token is None:
                self.coin.approve(self.escrow, 2**256 - 1, sender=self.payer)
            self.pay(invoice, value=value)
            self.capture(invoice, invoice[2] // 2)
        self.paid(1)  # something stays held
        self.settle(UNIT)


class V1(Design):
    name = "v1"
    contract = "PaymentEscrowV1"
    types = V1_TYPES

    def invoice(self, token: Any = None, amount: int = 10 * UNIT) -> tuple[Any, ...]:
        now = self.chain.pending_timestamp
        coin = ZERO if token == ZERO else (token or self.coin.address)
        return (
            STORE,
            coin,
            amount,
            ZERO,
            now + 3600,
            now + 7200,
            now + 30 * 86400,
            0,
            300,
            _salt(),
        )

    def capture(self, invoice: tuple[Any, ...], amount: int) -> Any:
        return self.escrow.capture(invoice, amount, FEE_BPS, sender=self.operator)

    def capture_many(self, invoices: list[tuple[Any, ...]]) -> Any:
        amounts = [i[2] for i in invoices]
        fees = [FEE_BPS] * len(invoices)
        return self.escrow.captureMany(invoices, amounts, fees, sender=self.operator)

    def settle(self, amount: int) -> Any:
        reference = keccak(text=f"v1-settlement-{next(self.references)}")
        return self.escrow.settle(STORE, self.coin, amount, reference, sender=self.operator)

    def sweep_and_capture(self, invoices: list[tuple[Any, ...]], transfers: list[tuple]) -> Any:
        payers = [t[0] for t in transfers]
        fees = [FEE_BPS] * len(invoices)
        return self.escrow.sweepAndCapture(invoices, payers, fees, sender=self.operator)


class V2(Design):
    name = "v2"
    contract = "PaymentEscrow"
    types = V2_TYPES

    def invoice(self, token: Any = None, amount: int = 10 * UNIT) -> tuple[Any, ...]:
        now = self.chain.pending_timestamp
        coin = ZERO if token == ZERO else (token or self.coin.address)
        commitment = keccak(encode(["bytes32", "bytes32"], [STORE, _salt()]))
        return (commitment, coin, amount, ZERO, now + 3600, now + 7200, now + 30 * 86400)

    def capture(self, invoice: tuple[Any, ...], amount: int) -> Any:
        return self.escrow.capture(invoice, amount, sender=self.operator)

    def capture_many(self, invoices: list[tuple[Any, ...]]) -> Any:
        return self.escrow.captureMany(invoices, [i[2] for i in invoices], sender=self.operator)

    def settle(self, amount: int) -> Any:
        reference = keccak(text=f"v2-settlement-{next(self.references)}")
        fees = amount // 100
        return self.escrow.settle(self.coin, amount - fees, fees, reference, sender=self.operator)

    def sweep_and_capture(self, invoices: list[tuple[Any, ...]], transfers: list[tuple]) -> Any:
        deposits = [(inv, [t], [], True) for inv, t in zip(invoices, transfers, strict=True)]
        return self.escrow.sweep(deposits, sender=self.operator)


def domain(contract: Any, chain_id: int) -> dict[str, Any]:
    fields = contract.eip712Domain()
    return {
        "name": fields[1],
        "version": fields[2],
        "chainId": chain_id,
        "verifyingContract": contract.address,
    }


def _operations(d: Design, warm: bool) -> dict[str, int]:
    """Every operation on `d` once; on a fresh escrow per operation when cold."""
    design = type(d)
    fresh = (lambda: d) if warm else (lambda: design(d.ctx, d.coin))
    gas: dict[str, int] = {}

    e = fresh()
    e.coin.approve(e.escrow, 10 * UNIT, sender=e.payer)
    gas["pay"] = int(e.pay(e.invoice()).gas_used)
    e = fresh()
    gas["pay ETH"] = int(e.pay(e.invoice(ZERO, UNIT), value=UNIT).gas_used)
    e = fresh()
    gas["payWithPermit"] = int(e.pay_with_permit(e.invoice()).gas_used)

    e = fresh()
    [held] = e.paid(1)
    gas["capture"] = int(e.capture(held, held[2]).gas_used)
    e = fresh()
    [held] = e.paid(1)
    gas["capture partial"] = int(e.capture(held, held[2] // 2).gas_used)
    e = fresh()
    batch = e.paid(20)
    gas["captureMany 20"] = int(e.capture_many(batch).gas_used) // 20
    e = fresh()
    [held] = e.paid(1)
    gas["void"] = int(e.escrow.void(held, sender=e.operator).gas_used)
    e = fresh()
    [held] = e.paid(1)
    e.capture(held, held[2])
    gas["refund"] = int(e.escrow.refund(held, UNIT, sender=e.operator).gas_used)
    e = fresh()
    [held] = e.paid(1)
    e.capture(held, held[2])
    gas["settle"] = int(e.settle(UNIT).gas_used)
    e = fresh()
    [held] = e.paid(1)
    e.chain.pending_timestamp += 7200
    gas["reclaim"] = int(e.escrow.reclaim(held, sender=e.payer).gas_used)

    for n in (1, 20):
        e = fresh()
        invoices = [e.invoice() for _ in range(n)]
        transfer_gas, transfers = e.fund_deposits(invoices)
        total = int(e.sweep_and_capture(invoices, transfers).gas_used)
        gas[f"sweep-and-capture {n}"] = total // n
        if n == 20:
            gas["transfer"] = sum(transfer_gas) // n
            gas["all-in"] = gas["transfer"] + total // n
    return gas


LABELS = {
    "pay": ("pay, ERC-20 pre-approved (exact allowance)", f"{ACE} authorize 155,657*"),
    "pay ETH": ("pay, ETH", ""),
    "payWithPermit": (
        "payWithPermit, ERC-20 (the approval in the call)",
        f"{ACE} authorize 155,657* (with its ERC-3009 authorization)",
    ),
    "capture": ("capture, full", f"{ACE} capture 69,915*"),
    "capture partial": ("capture, half (rest released to the payer)", ""),
    "captureMany 20": ("captureMany of 20, per invoice", ""),
    "void": ("void", f"{ACE} void 55,079*"),
    "refund": ("refund, part of a captured payment", f"{ACE} refund 80,064*"),
    "settle": ("settle (v1: one store; v2: one token run, payout + fees)", ""),
    "reclaim": ("reclaim, by the payer after the authorization expiry", f"{ACE} reclaim 55,217*"),
    "sweep-and-capture 1": ("sweep-and-capture of 1 ERC-20 deposit", ""),
    "sweep-and-capture 20": ("sweep-and-capture of 20 ERC-20 deposits, per invoice", ""),
    "transfer": ("payer's plain ERC-20 transfer to a fresh deposit address", ""),
    "all-in": ("all-in private payment: the transfer + 1/20 of sweep-and-capture(20)", ""),
}
COLD = {
    "pay": "the escrow's first balance of the coin",
    "pay ETH": "the escrow's first ETH",
    "payWithPermit": "the escrow's first balance of the coin",
    "capture": "the first capture (v1: a store balance slot created)",
    "capture partial": "the first capture (v1: a store balance slot created)",
    "captureMany 20": "the first captures (v1: a store balance slot created)",
    "void": "the only payment (the escrow's balance of the coin back to zero)",
    "refund": "after the only capture",
    "settle": "the first settlement (fee balance created, treasury's first balance of the coin)",
    "reclaim": "the only payment (the escrow's balance of the coin back to zero)",
    "sweep-and-capture 1": "the escrow's first balance of the coin",
    "sweep-and-capture 20": "the escrow's first balance of the coin",
    "transfer": "the deposit address's balance slot is new, always",
    "all-in": "the escrow's first balance of the coin",
}
WARM = "escrow holds the coin, pools/balances nonzero"
BUDGET = {"pay": 0.03, "capture": 0.03, "void": 0.03, "refund": 0.03, "reclaim": 0.03}


def _first_permit(ctx: BenchContext, coin: Any) -> None:
    """The payer's first permit, outside any measurement: its nonce slot is then nonzero for every
    design and condition (otherwise whichever payWithPermit came first paid 17k more for it)."""
    payer = ctx.account(5)
    deadline = ctx.chain.pending_timestamp + 600
    permit = {
        "owner": payer.address,
        "spender": ctx.admin.address,
        "value": 1,
        "nonce": coin.nonces(payer),
        "deadline": deadline,
    }
    signed = Account.sign_typed_data(
        payer.private_key, domain(coin, ctx.chain.chain_id), PERMIT_TYPES, permit
    )
    r, s = signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")
    coin.permit(payer, ctx.admin, 1, deadline, signed.v, r, s, sender=ctx.admin)


def run(ctx: BenchContext) -> list[Measurement]:
    admin = ctx.admin
    coin = admin.deploy(ctx.project.EMoney, "Bench Coin", "BNC", 18, admin)
    coin.grantRole(coin.MINTER_ROLE(), admin, sender=admin)
    coin.mint(ctx.account(5), 10**9 * UNIT, b"\x00" * 32, sender=admin)
    coin.mint(ctx.account(4), 1, b"\x00" * 32, sender=admin)  # the treasury holds, warm or not
    _first_permit(ctx, coin)
    results: dict[tuple[str, str], dict[str, int]] = {}
    for design in (V1, V2):
        warm = design(ctx, coin)
        warm.warm_up()
        results[(design.name, "warm")] = _operations(warm, warm=True)
        results[(design.name, "cold")] = _operations(design(ctx, coin), warm=False)

    rows: list[Measurement] = []
    for key, (label, ace) in LABELS.items():
        for condition in ("warm", "cold"):
            if key == "transfer" and condition == "cold":
                continue
            v1 = results[("v1", condition)][key]
            v2 = results[("v2", condition)][key]
            change = (v2 - v1) / v1
            where = f"warm: {WARM}" if condition == "warm" else f"cold: {COLD[key]}"
            reference = f"v1 {v1:,} ({change:+.1%})"
            if ace and condition == "warm":
                reference += f"; {ace}"
            target = ""
            if key in BUDGET and condition == "warm":
                target = f"<= {int(v1 * (1 + BUDGET[key])):,} (v1 + 3 %)"
            if key == "all-in":
                target = "<= 135,000"
            rows.append(Measurement.gas(GROUP, f"{label} — {where}", v2, reference, target))
    rows += forwarder_alternatives(ctx, coin)
    return rows


def forwarder_alternatives(ctx: BenchContext, coin: Any) -> list[Measurement]:
    """The forwarder designs alone (no escrow bookkeeping): 20 ERC-20 deposits a sweep."""
    harness = ctx.admin.deploy(ctx.project.ForwarderBench)
    salts = [keccak(text=f"forwarder-{i}") for i in range(20)]
    payer = ctx.account(8)
    coin.mint(payer, 10**6 * UNIT, b"\x00" * 32, sender=ctx.admin)
    rows = []
    for design, address_of, sweep in (
        (
            "self-destructing CREATE2 forwarder (in use)",
            harness.selfDestructAddress,
            lambda salts_: harness.sweepSelfDestruct(coin, salts_, UNIT, sender=ctx.admin),
        ),
        (
            "persistent minimal proxy (OpenZeppelin Clones)",
            harness.cloneAddress,
            lambda salts_: harness.sweepClones(coin, salts_, sender=ctx.admin),
        ),
    ):
        for round_ in ("first payment", "later payment to the same address"):
            for salt in salts:
                coin.transfer(address_of(salt), UNIT, sender=payer)
            gas = int(sweep(salts).gas_used) // len(salts)
            rows.append(Measurement.gas("forwarder", f"{design}: {round_}, per deposit of 20", gas))
    stipend = ctx.admin.deploy(ctx.project.EthSender)
    ctx.admin.transfer(stipend, 2)
    verdicts = []
    for address in (harness.selfDestructAddress(salts[0]), harness.cloneAddress(salts[0])):
        try:
            stipend.sendWithStipend(address, 1, sender=ctx.admin)
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
