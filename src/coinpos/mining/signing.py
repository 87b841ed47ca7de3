"""The GeoRewards claim attestation (EIP-712) and the oracle's signers.

The typed data here must match `GeoRewards.CLAIM_ATTESTATION_TYPEHASH` and the contract's
domain ("CoinposGeoRewards", version "1") exactly. The oracle key comes from an ape account
alias or from the COINPOS_ORACLE_KEY environment variable; never from a file in the repo.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Protocol

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.address import to_checksum_address

from coinpos.errors import CoinposError

DOMAIN_NAME = "CoinposGeoRewards"
DOMAIN_VERSION = "1"
ORACLE_KEY_ENV = "COINPOS_ORACLE_KEY"

CLAIM_ATTESTATION_TYPES: dict[str, list[dict[str, str]]] = {
    "ClaimAttestation": [
        {"name": "campaignId", "type": "uint256"},
        {"name": "recipient", "type": "address"},
        {"name": "latE6", "type": "int32"},
        {"name": "lonE6", "type": "int32"},
        {"name": "actionId", "type": "bytes32"},
        {"name": "claimId", "type": "bytes32"},
        {"name": "deadline", "type": "uint256"},
    ]
}


class SignerError(CoinposError):
    """The oracle key is missing or cannot be loaded."""


@dataclass(frozen=True)
class ClaimAttestation:
    """What the oracle signs; field for field the contract's `ClaimAttestation`."""

    campaign_id: int
    recipient: str
    lat_e6: int
    lon_e6: int
    action_id: bytes
    claim_id: bytes
    deadline: int

    def message(self) -> dict[str, Any]:
        return {
            "campaignId": self.campaign_id,
            "recipient": to_checksum_address(self.recipient),
            "latE6": self.lat_e6,
            "lonE6": self.lon_e6,
            "actionId": self.action_id,
            "claimId": self.claim_id,
            "deadline": self.deadline,
        }

    def as_tuple(self) -> tuple[int, str, int, int, bytes, bytes, int]:
        """The struct as a contract call argument."""
        return (
            self.campaign_id,
            to_checksum_address(self.recipient),
            self.lat_e6,
            self.lon_e6,
            self.action_id,
            self.claim_id,
            self.deadline,
        )


def domain(chain_id: int, verifying_contract: str) -> dict[str, Any]:
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": to_checksum_address(verifying_contract),
    }


def typed_data(
    attestation: ClaimAttestation, chain_id: int, verifying_contract: str
) -> dict[str, Any]:
    """The full EIP-712 structure, as eth-account's `sign_typed_data(full_message=...)` takes it."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            **CLAIM_ATTESTATION_TYPES,
        },
        "primaryType": "ClaimAttestation",
        "domain": domain(chain_id, verifying_contract),
        "message": attestation.message(),
    }


class AttestationSigner(Protocol):
    """Anything that holds the oracle key: signs EIP-712 data, returns a 65-byte signature."""

    @property
    def address(self) -> str: ...

    def sign_typed(self, full_message: dict[str, Any]) -> bytes: ...


class LocalKeySigner:
    """Signs with a private key held in memory (from the environment, or a test account)."""

    def __init__(self, private_key: str | bytes) -> None:
        self._account = Account.from_key(private_key)

    @classmethod
    def from_env(cls, variable: str = ORACLE_KEY_ENV) -> LocalKeySigner:
        key = os.environ.get(variable)
        if not key:
            raise SignerError(f"no oracle key: set {variable} or use an ape account alias")
        try:
            return cls(key)
        except (ValueError, TypeError) as exc:
            raise SignerError(f"{variable} does not hold a valid private key: {exc}") from None

    @property
    def address(self) -> str:
        return str(self._account.address)

    def sign_typed(self, full_message: dict[str, Any]) -> bytes:
        return bytes(self._account.sign_typed_data(full_message=full_message).signature)


class ApeAccountSigner:
    """Signs with an ape account (a keyfile alias, or a test account)."""

    def __init__(self, account: Any) -> None:
        self._account = account

    @property
    def address(self) -> str:
        return str(self._account.address)

    def sign_typed(self, full_message: dict[str, Any]) -> bytes:
        signature = self._account.sign_message(encode_typed_data(full_message=full_message))
        if signature is None:
            raise SignerError(f"account {self.address} declined to sign")
        return bytes(signature.encode_rsv())


def sign_attestation(
    signer: AttestationSigner,
    attestation: ClaimAttestation,
    chain_id: int,
    verifying_contract: str,
) -> bytes:
    return signer.sign_typed(typed_data(attestation, chain_id, verifying_contract))


@dataclass(frozen=True)
class SignedClaim:
    """An approved claim as handed to the user or a relayer: attestation, signer, signature."""

    chain_id: int
    contract: str
    attestation: ClaimAttestation
    signer: str
    signature: bytes

    def to_json(self) -> dict[str, Any]:
        a = self.attestation
        return {
            "chain_id": self.chain_id,
            "contract": to_checksum_address(self.contract),
            "attestation": {
                "campaign_id": a.campaign_id,
                "recipient": to_checksum_address(a.recipient),
                "lat_e6": a.lat_e6,
                "lon_e6": a.lon_e6,
                "action_id": "0x" + a.action_id.hex(),
                "claim_id": "0x" + a.claim_id.hex(),
                "deadline": a.deadline,
            },
            "signer": to_checksum_address(self.signer),
            "signature": "0x" + self.signature.hex(),
        }

    @classmethod
    def from_json(cls, raw: Any) -> SignedClaim:
        try:
            a = raw["attestation"]
            attestation = ClaimAttestation(
                campaign_id=_uint(a["campaign_id"]),
                recipient=to_checksum_address(a["recipient"]),
                lat_e6=_int(a["lat_e6"]),
                lon_e6=_int(a["lon_e6"]),
                action_id=_hex(a["action_id"], 32),
                claim_id=_hex(a["claim_id"], 32),
                deadline=_uint(a["deadline"]),
            )
            return cls(
                chain_id=_uint(raw["chain_id"]),
                contract=to_checksum_address(raw["contract"]),
                attestation=attestation,
                signer=to_checksum_address(raw["signer"]),
                signature=_hex(raw["signature"], None),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SignedClaimError(f"not a signed claim: {type(exc).__name__}: {exc}") from None


class SignedClaimError(CoinposError):
    """A signed-claim file is malformed."""


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer, got {value!r}")
    return value


def _uint(value: Any) -> int:
    if _int(value) < 0:
        raise ValueError(f"expected a non-negative integer, got {value!r}")
    return int(value)


def _hex(value: Any, length: int | None) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ValueError(f"expected 0x-prefixed hex, got {value!r}")
    data = bytes.fromhex(value[2:])
    if length is not None and len(data) != length:
        raise ValueError(f"expected {length} bytes, got {len(data)}")
    return data
