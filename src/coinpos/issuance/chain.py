"""The deployed EMoney as issuance needs it, through ape: find an `Issued` reference, mint."""

from __future__ import annotations

from typing import Any

from eth_utils.crypto import keccak

from coinpos.issuance.service import MintError

ISSUED_TOPIC = "0x" + keccak(text="Issued(address,address,uint256,bytes32)").hex()


class ApeMinter:
    """Mints from `account` (which holds MINTER_ROLE) on ape's connected provider."""

    def __init__(self, emoney: Any, account: Any, from_block: int = 0) -> None:
        self.emoney = emoney
        self.account = account
        self.from_block = from_block

    def issued(self, reference: bytes) -> str | None:
        from ape import chain

        logs = chain.provider.web3.eth.get_logs(
            {
                "address": str(self.emoney.address),
                "fromBlock": self.from_block,
                "toBlock": "latest",
                "topics": [ISSUED_TOPIC, None, None, "0x" + reference.hex()],
            }
        )
        return "0x" + bytes(logs[0]["transactionHash"]).hex() if logs else None

    def mint(self, to: str, amount: int, reference: bytes) -> str:
        from ape.exceptions import ApeException

        try:
            receipt = self.emoney.mint(to, amount, reference, sender=self.account)
        except ApeException as exc:
            raise MintError(f"the mint failed: {type(exc).__name__}({exc})") from None
        return str(receipt.txn_hash)
