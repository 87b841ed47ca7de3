"""EIP-681 payment requests: ether to an address, or an ERC-20 `transfer`, as `ethereum:` URIs.

The two forms this module reads and writes::

    ethereum:<recipient>[@<chainId>]?value=<wei>[&gasLimit=<n>][&gasPrice=<wei>]
    ethereum:<token>[@<chainId>]/transfer?address=<recipient>&uint256=<amount>[&gas...]

Policy, where EIP-681 leaves room:

- **Amounts** are integers in base units (wei, or the token's atomic unit). The parser reads
  the EIP's `number` grammar exactly, scientific notation included (`2.014e18`), with `int`
  arithmetic only; a number that is not a whole number (`1.5`, `1.25e1`), negative, or above
  2**256 - 1 is rejected. The builder always writes plain decimal integers.
- **Addresses** are 0x followed by 40 hex digits. All-lowercase and all-uppercase input is
  accepted; mixed case must carry a valid EIP-55 checksum, because a broken checksum is how a
  mistyped address shows. Every address comes out EIP-55 checksummed. Note that the ether
  example printed in EIP-681 itself (`0xfb6916095ca1df60bb79Ce92ce3ea74c37c5d359`) is mixed
  case with a wrong checksum, so it is rejected; its lowercase spelling is accepted.
- **ENS names** are parsed (as `EnsName`, never resolved here: resolution is the payer's
  business, at payment time) but never written: the builder takes hex addresses only, so an
  issued request never depends on a name that can be re-pointed. Only lowercase ASCII names of
  two or more dot-separated labels are accepted.
- The `pay-` prefix is accepted and dropped; the builder writes plain `ethereum:`. Another
  prefix before a hex address (`ethereum:foo-0x...`) is rejected: EIP-681 reserves those for
  incompatible future versions. Since the prefix is read first, `ethereum:pay-day.eth` names
  `day.eth`, and `ethereum:foo-bar.eth` names `foo-bar.eth`.
- `gas` is a synonym of `gasLimit`; giving both is an error. The builder writes `gasLimit`.
- Each parameter may appear once. Parameters other than the ones above are rejected, as are
  functions other than `transfer` and `value` on a `transfer` (it would send ether to the
  token contract).
- A number's exponent needs digits: `2e` is rejected, though the EIP grammar lets it through.
- The chain id, when present, is a decimal integer from 1 to 2**256 - 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NewType, TypeAlias
from urllib.parse import unquote

from eth_utils.crypto import keccak

from coinpos.errors import CoinposError

__all__ = [
    "MAX_UINT256",
    "Address",
    "EnsName",
    "EtherPaymentRequest",
    "PaymentRequest",
    "PaymentUriError",
    "Target",
    "TokenPaymentRequest",
    "checksum_address",
    "ether_payment_uri",
    "format_payment_uri",
    "parse_number",
    "parse_payment_uri",
    "token_payment_uri",
]

MAX_UINT256 = 2**256 - 1
SCHEME = "ethereum"

Address = NewType("Address", str)
"""A 0x-prefixed, EIP-55 checksummed, 20-byte address."""


class PaymentUriError(CoinposError, ValueError):
    """A payment URI, or a payment request to be written as one, is malformed."""


@dataclass(frozen=True, slots=True)
class EnsName:
    """An ENS name found in a parsed URI, kept unresolved."""

    name: str

    def __post_init__(self) -> None:
        if not _ENS_RE.fullmatch(self.name):
            raise PaymentUriError(
                f"bad ENS name {self.name!r}: expected lowercase labels of a-z, 0-9 and '-' "
                "separated by dots, such as 'shop.eth'"
            )

    def __str__(self) -> str:
        return self.name


Target: TypeAlias = Address | EnsName


@dataclass(frozen=True, slots=True)
class EtherPaymentRequest:
    """A request to pay `value` wei of the chain's native coin to `recipient`.

    A `None` amount, gas limit or gas price means the URI leaves it to the payer.
    A `None` chain id means the payer's current network.
    """

    recipient: Target
    value: int | None = None
    chain_id: int | None = None
    gas_limit: int | None = None
    gas_price: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "recipient", _target(self.recipient, "recipient"))
        _check_uint(self.value, "value")
        _check_chain_id(self.chain_id)
        _check_uint(self.gas_limit, "gasLimit")
        _check_uint(self.gas_price, "gasPrice")


@dataclass(frozen=True, slots=True)
class TokenPaymentRequest:
    """A request to call `token.transfer(recipient, amount)`, `amount` in atomic units.

    `None` fields mean the same as in `EtherPaymentRequest`.
    """

    token: Target
    recipient: Target
    amount: int | None = None
    chain_id: int | None = None
    gas_limit: int | None = None
    gas_price: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "token", _target(self.token, "token"))
        object.__setattr__(self, "recipient", _target(self.recipient, "recipient"))
        _check_uint(self.amount, "uint256")
        _check_chain_id(self.chain_id)
        _check_uint(self.gas_limit, "gasLimit")
        _check_uint(self.gas_price, "gasPrice")


PaymentRequest: TypeAlias = EtherPaymentRequest | TokenPaymentRequest

# --- addresses ---------------------------------------------------------------------------------

_HEX_ADDRESS_RE = re.compile(r"0x[0-9a-fA-F]{40}")
_ENS_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_ENS_RE = re.compile(rf"{_ENS_LABEL}(?:\.{_ENS_LABEL})+")


def _eip55(hex40_lower: str) -> str:
    digest = keccak(text=hex40_lower).hex()
    return "0x" + "".join(
        c.upper() if int(digest[i], 16) >= 8 else c for i, c in enumerate(hex40_lower)
    )


def checksum_address(text: str, *, what: str = "address") -> Address:
    """Validate a hex address and return its EIP-55 form.

    Raises `PaymentUriError` when `text` is not 0x and 40 hex digits, or when it is mixed case
    and its EIP-55 checksum does not match.
    """
    if not _HEX_ADDRESS_RE.fullmatch(text):
        raise PaymentUriError(f"bad {what} {text!r}: expected 0x followed by 40 hex digits")
    body = text[2:]
    checksummed = _eip55(body.lower())
    if body != body.lower() and body != body.upper() and text != checksummed:
        raise PaymentUriError(
            f"bad checksum in {what} {text!r}: mixed case must follow EIP-55, "
            f"expected {checksummed}"
        )
    return Address(checksummed)


def _target(value: object, what: str) -> Target:
    if isinstance(value, EnsName):
        return value
    if isinstance(value, str):
        return checksum_address(value, what=what)
    raise PaymentUriError(f"bad {what} {value!r}: expected a hex address string or an EnsName")


def _parse_target(text: str, what: str) -> Target:
    if text.lower().startswith("0x"):
        return checksum_address(text, what=what)
    if _ENS_RE.fullmatch(text):
        return EnsName(text)
    raise PaymentUriError(
        f"bad {what} {text!r}: expected 0x followed by 40 hex digits, or an ENS name"
    )


# --- numbers -----------------------------------------------------------------------------------

_NUMBER_RE = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]+))?(?:[eE]([0-9]+))?")
_UINT256_DIGITS = len(str(MAX_UINT256))


def parse_number(text: str, *, what: str = "number") -> int:
    """Read an EIP-681 `number` as an exact non-negative integer no greater than 2**256 - 1.

    `2.014e18` is 2014000000000000000. Only integers are allowed: the exponent must be at least
    the number of digits after the point. No float is involved at any step.
    """
    match = _NUMBER_RE.fullmatch(text)
    if match is None or not (match[2] or match[3]):
        raise PaymentUriError(
            f"non-numeric {what} {text!r}: expected digits, optionally with a fraction and "
            "an exponent, such as 2014000000000000000 or 2.014e18"
        )
    sign, whole, fraction, exponent_text = match[1], match[2], match[3] or "", match[4]
    exponent = int(exponent_text) if exponent_text and len(exponent_text) <= 6 else None
    digits = (whole + fraction).lstrip("0")
    if not digits:
        return 0
    if sign == "-":
        raise PaymentUriError(f"negative {what} {text!r}: amounts must be zero or more")
    if exponent_text and exponent is None:
        raise PaymentUriError(f"{what} {text!r} is too large: the maximum is 2**256 - 1")
    shift = (exponent or 0) - len(fraction)
    if shift < 0:
        raise PaymentUriError(
            f"{what} {text!r} is not an integer: EIP-681 requires the exponent to be at least "
            "the number of digits after the point"
        )
    if len(digits) + shift > _UINT256_DIGITS:
        raise PaymentUriError(f"{what} {text!r} is too large: the maximum is 2**256 - 1")
    result: int = int(digits) * 10**shift
    if result > MAX_UINT256:
        raise PaymentUriError(f"{what} {text!r} is too large: the maximum is 2**256 - 1")
    return result


def _check_uint(value: int | None, what: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise PaymentUriError(f"bad {what} {value!r}: expected an int")
    if value < 0:
        raise PaymentUriError(f"negative {what} {value}: amounts must be zero or more")
    if value > MAX_UINT256:
        raise PaymentUriError(f"{what} {value} is too large: the maximum is 2**256 - 1")


def _check_chain_id(chain_id: int | None) -> None:
    if chain_id is None:
        return
    if isinstance(chain_id, bool) or not isinstance(chain_id, int):
        raise PaymentUriError(f"bad chain id {chain_id!r}: expected an int")
    if not 1 <= chain_id <= MAX_UINT256:
        raise PaymentUriError(f"bad chain id {chain_id}: expected 1 to 2**256 - 1")


# --- writing -----------------------------------------------------------------------------------


def _hex_only(target: Target, what: str) -> str:
    if isinstance(target, EnsName):
        raise PaymentUriError(
            f"{what} {target.name!r} is an ENS name: payment URIs are only written with hex "
            "addresses"
        )
    return target


def format_payment_uri(request: PaymentRequest) -> str:
    """Write `request` as an EIP-681 URI: checksummed addresses, plain integer amounts."""
    params: list[tuple[str, int | str]] = []
    if isinstance(request, EtherPaymentRequest):
        head = _hex_only(request.recipient, "recipient")
        if request.value is not None:
            params.append(("value", request.value))
    else:
        head = _hex_only(request.token, "token")
        params.append(("address", _hex_only(request.recipient, "recipient")))
        if request.amount is not None:
            params.append(("uint256", request.amount))
    if request.gas_limit is not None:
        params.append(("gasLimit", request.gas_limit))
    if request.gas_price is not None:
        params.append(("gasPrice", request.gas_price))
    uri = f"{SCHEME}:{head}"
    if request.chain_id is not None:
        uri += f"@{request.chain_id}"
    if isinstance(request, TokenPaymentRequest):
        uri += "/transfer"
    if params:
        uri += "?" + "&".join(f"{key}={value}" for key, value in params)
    return uri


def ether_payment_uri(
    recipient: str,
    value: int | None,
    *,
    chain_id: int | None = None,
    gas_limit: int | None = None,
    gas_price: int | None = None,
) -> str:
    """The URI asking for `value` wei to `recipient` (a hex address)."""
    return format_payment_uri(
        EtherPaymentRequest(
            recipient=checksum_address(recipient, what="recipient"),
            value=value,
            chain_id=chain_id,
            gas_limit=gas_limit,
            gas_price=gas_price,
        )
    )


def token_payment_uri(
    token: str,
    recipient: str,
    amount: int | None,
    *,
    chain_id: int | None = None,
    gas_limit: int | None = None,
    gas_price: int | None = None,
) -> str:
    """The URI asking for `token.transfer(recipient, amount)`; hex addresses, atomic units."""
    return format_payment_uri(
        TokenPaymentRequest(
            token=checksum_address(token, what="token"),
            recipient=checksum_address(recipient, what="recipient"),
            amount=amount,
            chain_id=chain_id,
            gas_limit=gas_limit,
            gas_price=gas_price,
        )
    )


# --- reading -----------------------------------------------------------------------------------

_CHAIN_ID_RE = re.compile(r"[0-9]+")
_NUMERIC_KEYS = {"value", "gasLimit", "gasPrice"}


def _split_params(query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for part in query.split("&"):
        key, sep, raw = part.partition("=")
        if not key or not sep:
            raise PaymentUriError(f"bad parameter {part!r}: expected key=value")
        canonical = "gasLimit" if key == "gas" else key
        if canonical in params:
            detail = "gas and gasLimit are synonyms" if canonical == "gasLimit" else "once"
            raise PaymentUriError(f"duplicate parameter {key!r}: each may appear {detail}")
        if not raw:
            raise PaymentUriError(f"empty parameter {key!r}: expected a value")
        params[canonical] = unquote(raw, errors="strict")
    return params


def parse_payment_uri(uri: str) -> PaymentRequest:
    """Read an EIP-681 ether payment or ERC-20 transfer request.

    Raises `PaymentUriError`, saying what is wrong, for anything outside the policy in this
    module's docstring.
    """
    if not isinstance(uri, str):
        raise PaymentUriError(f"bad payment URI {uri!r}: expected a string")
    if not uri.isascii() or any(c.isspace() for c in uri):
        raise PaymentUriError(
            f"bad payment URI {uri!r}: whitespace and non-ASCII characters must be percent-encoded"
        )
    scheme, colon, rest = uri.partition(":")
    if not colon or scheme.lower() != SCHEME:
        raise PaymentUriError(f"wrong scheme in {uri!r}: expected '{SCHEME}:'")
    if "#" in rest:
        raise PaymentUriError(f"bad payment URI {uri!r}: fragments ('#') are not allowed")
    if rest.startswith("pay-"):
        rest = rest[len("pay-") :]
    elif re.match(r"[A-Za-z0-9]+-0x", rest):
        prefix = rest.split("-", 1)[0]
        raise PaymentUriError(f"unsupported prefix {prefix + '-'!r}: only 'pay-' is known")

    path, has_query, query = rest.partition("?")
    path, has_function, function = path.partition("/")
    target_text, has_chain, chain_text = path.partition("@")

    if not target_text:
        raise PaymentUriError(f"missing target address in {uri!r}")
    target = _parse_target(unquote(target_text, errors="strict"), "target address")

    chain_id: int | None = None
    if has_chain:
        if not _CHAIN_ID_RE.fullmatch(chain_text):
            raise PaymentUriError(f"bad chain id {chain_text!r}: expected decimal digits")
        if len(chain_text.lstrip("0")) > _UINT256_DIGITS:
            raise PaymentUriError(f"bad chain id {chain_text[:20]}...: expected 1 to 2**256 - 1")
        chain_id = int(chain_text)
        _check_chain_id(chain_id)

    if has_query and not query:
        raise PaymentUriError(f"empty query in {uri!r}: drop the '?' or add parameters")
    params = _split_params(query) if has_query else {}

    numbers = {
        key: parse_number(raw, what=key) for key, raw in params.items() if key in _NUMERIC_KEYS
    }
    gas_limit, gas_price = numbers.get("gasLimit"), numbers.get("gasPrice")

    if not has_function:
        unknown = sorted(set(params) - _NUMERIC_KEYS)
        if unknown:
            raise PaymentUriError(
                f"unknown parameter {unknown[0]!r} in an ether payment: "
                "expected value, gas, gasLimit or gasPrice"
            )
        return EtherPaymentRequest(
            recipient=target,
            value=numbers.get("value"),
            chain_id=chain_id,
            gas_limit=gas_limit,
            gas_price=gas_price,
        )

    if function != "transfer":
        raise PaymentUriError(f"unknown function {function!r}: only ERC-20 'transfer' is supported")
    if "value" in params:
        raise PaymentUriError("'value' is not allowed with transfer: it would send ether")
    unknown = sorted(set(params) - _NUMERIC_KEYS - {"address", "uint256"})
    if unknown:
        raise PaymentUriError(
            f"unknown parameter {unknown[0]!r} in a transfer: "
            "expected address, uint256, gas, gasLimit or gasPrice"
        )
    if "address" not in params:
        raise PaymentUriError("missing parameter 'address': a transfer needs the recipient")
    amount = parse_number(params["uint256"], what="uint256") if "uint256" in params else None
    return TokenPaymentRequest(
        token=target,
        recipient=_parse_target(params["address"], "recipient address"),
        amount=amount,
        chain_id=chain_id,
        gas_limit=gas_limit,
        gas_price=gas_price,
    )
