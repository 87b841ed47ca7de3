"""Customer services: each call is one unit of work."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from coinpos.customers.passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password
from coinpos.db.models import Account, Customer, CustomerType, Wallet, WalletCoin
from coinpos.db.types import utcnow
from coinpos.errors import CoinposError
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError, address, non_empty

_LOGIN_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{2,63}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 -]{4,31}$")
_ACCOUNT_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
LATITUDE_E6_LIMIT = 90_000_000
LONGITUDE_E6_LIMIT = 180_000_000
# The column widths of the free-text fields, so a long value is refused, not cut.
_TEXT_LIMITS = {
    "device_type": 32,
    "bank_name": 100,
    "bank_account_number": 64,
    "affiliated_group": 100,
}
# What `update` may change: everything but the login id, the password and the history.
EDITABLE_FIELDS = (
    "name",
    "customer_type",
    "language",
    "country_code",
    "phone",
    "email",
    "device_type",
    "bank_name",
    "bank_account_number",
    "latitude_e6",
    "longitude_e6",
    "affiliated_group",
)
# Of those, the ones a customer may leave empty.
CLEARABLE_FIELDS = (
    "phone",
    "email",
    "device_type",
    "bank_name",
    "bank_account_number",
    "location",
    "affiliated_group",
)


class CustomerError(CoinposError):
    """A customer request that cannot be carried out."""


class UnknownCustomerError(CustomerError):
    def __init__(self, login_id: str) -> None:
        super().__init__(f"no customer with login id {login_id!r}")


@dataclass(frozen=True)
class NewCustomer:
    login_id: str
    name: str
    customer_type: CustomerType
    language: str
    country_code: str
    phone: str | None = None
    email: str | None = None
    device_type: str | None = None
    subscribed_on: date | None = None
    bank_name: str | None = None
    bank_account_number: str | None = None
    latitude_e6: int | None = None
    longitude_e6: int | None = None
    affiliated_group: str | None = None


def _check(details: NewCustomer, password: str) -> None:
    if not _LOGIN_ID.match(details.login_id):
        raise InvalidInputError(
            f"login id {details.login_id!r} must be 3-64 of a-z, 0-9, '.', '_' or '-'"
        )
    _check_password(password)
    _check_fields(vars(details))


def _check_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidInputError(f"password must be at least {MIN_LENGTH} characters")


def _check_fields(fields: dict[str, object]) -> None:
    """The rules for every field a customer record has, applied to those present."""
    name = fields.get("name")
    if isinstance(name, str):
        non_empty(name, "name", 200)
    language = fields.get("language")
    if isinstance(language, str) and not _LANGUAGE.match(language):
        raise InvalidInputError(f"language {language!r} is not a tag such as ko or en-US")
    country = fields.get("country_code")
    if isinstance(country, str) and not _COUNTRY.match(country):
        raise InvalidInputError(f"country code {country!r} is not ISO 3166 alpha-2")
    email = fields.get("email")
    if isinstance(email, str) and not _EMAIL.match(email):
        raise InvalidInputError(f"e-mail {email!r} is not an address")
    phone = fields.get("phone")
    if isinstance(phone, str) and not _PHONE.match(phone):
        raise InvalidInputError(f"phone {phone!r} is not a phone number")
    latitude, longitude = fields.get("latitude_e6"), fields.get("longitude_e6")
    if (latitude is None) != (longitude is None):
        raise InvalidInputError("latitude and longitude go together")
    if isinstance(latitude, int) and abs(latitude) > LATITUDE_E6_LIMIT:
        raise InvalidInputError(f"latitude {latitude} E6 is beyond ±90°")
    if isinstance(longitude, int) and abs(longitude) > LONGITUDE_E6_LIMIT:
        raise InvalidInputError(f"longitude {longitude} E6 is beyond ±180°")
    for field, limit in _TEXT_LIMITS.items():
        value = fields.get(field)
        if isinstance(value, str) and len(value) > limit:
            raise InvalidInputError(f"{field.replace('_', ' ')} is longer than {limit} characters")


def _find(uow: UnitOfWork, login_id: str) -> Customer | None:
    return uow.session.scalars(select(Customer).where(Customer.login_id == login_id)).one_or_none()


def get(uow: UnitOfWork, login_id: str) -> Customer:
    customer = _find(uow, login_id)
    if customer is None:
        raise UnknownCustomerError(login_id)
    return customer


def register(
    uow: UnitOfWork, details: NewCustomer, password: str, today: date | None = None
) -> Customer:
    _check(details, password)
    if _find(uow, details.login_id) is not None:
        raise CustomerError(f"login id {details.login_id!r} is already taken")
    fields = vars(details) | {"subscribed_on": details.subscribed_on or today or date.today()}
    customer = Customer(password_hash=hash_password(password), active=True, **fields)
    uow.session.add(customer)
    uow.commit()
    return customer


def update(
    uow: UnitOfWork,
    login_id: str,
    changes: dict[str, object],
    clear: tuple[str, ...] = (),
) -> Customer:
    """Changes the given fields of an active customer (EDITABLE_FIELDS; `clear` empties
    CLEARABLE_FIELDS, "location" being both coordinates), all checked together: one bad
    field changes nothing. The password has its own call, set_password."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInputError(f"cannot change {', '.join(sorted(unknown))} of a customer")
    not_clearable = set(clear) - set(CLEARABLE_FIELDS)
    if not_clearable:
        raise InvalidInputError(f"cannot clear {', '.join(sorted(not_clearable))}")
    cleared = {f: None for f in clear if f != "location"}
    if "location" in clear:
        cleared |= {"latitude_e6": None, "longitude_e6": None}
    both = set(cleared) & set(changes)
    if both:
        raise InvalidInputError(f"{', '.join(sorted(both))} given and cleared at once")
    if not changes and not cleared:
        raise InvalidInputError("nothing to change: give at least one field")
    customer = get(uow, login_id)
    if not customer.active:
        raise CustomerError(f"customer {login_id!r} is unregistered; their record stays as it was")
    merged = {field: getattr(customer, field) for field in EDITABLE_FIELDS} | changes | cleared
    if "customer_type" in changes:
        try:
            merged["customer_type"] = CustomerType(str(changes["customer_type"]))
        except ValueError:
            kinds = ", ".join(kind.value for kind in CustomerType)
            raise InvalidInputError(f"customer type must be one of {kinds}") from None
    _check_fields(merged)
    for field, value in merged.items():
        setattr(customer, field, value)
    uow.commit()
    return customer


def set_password(uow: UnitOfWork, login_id: str, password: str) -> Customer:
    """Replaces an active customer's password hash (argon2id) with one of `password`."""
    _check_password(password)
    customer = get(uow, login_id)
    if not customer.active:
        raise CustomerError(f"customer {login_id!r} is unregistered")
    customer.password_hash = hash_password(password)
    uow.commit()
    return customer


def unregister(uow: UnitOfWork, login_id: str, now: datetime | None = None) -> Customer:
    """Deactivates a customer; their history stays for payments and payouts."""
    customer = get(uow, login_id)
    if not customer.active:
        raise CustomerError(f"customer {login_id!r} is already unregistered")
    customer.active = False
    customer.unregistered_at = now or utcnow()
    uow.commit()
    return customer


def list_customers(uow: UnitOfWork, include_inactive: bool = False) -> list[Customer]:
    query = select(Customer).order_by(Customer.login_id)
    if not include_inactive:
        query = query.where(Customer.active.is_(True))
    return list(uow.session.scalars(query))


def check_login(uow: UnitOfWork, login_id: str, password: str) -> bool:
    """True for an active customer with this password; upgrades an outdated hash in passing."""
    customer = _find(uow, login_id)
    if customer is None or not customer.active:
        return False
    if not verify_password(customer.password_hash, password):
        return False
    if needs_rehash(customer.password_hash):
        customer.password_hash = hash_password(password)
        uow.commit()
    return True


def add_account(uow: UnitOfWork, login_id: str, account_address: str, code: str) -> Account:
    customer = get(uow, login_id)
    checked = address(account_address)
    if not _ACCOUNT_CODE.match(code):
        raise InvalidInputError(f"account code {code!r} must be 1-32 of A-Z, a-z, 0-9, '_', '-'")
    taken = uow.session.scalars(select(Account).where(Account.address == checked)).one_or_none()
    if taken is not None:
        raise CustomerError(f"address {checked} already belongs to an account")
    account = Account(customer_id=customer.id, address=checked, account_code=code)
    uow.session.add(account)
    uow.commit()
    return account


def accounts_of(uow: UnitOfWork, login_id: str) -> list[Account]:
    customer = get(uow, login_id)
    return list(
        uow.session.scalars(
            select(Account).where(Account.customer_id == customer.id).order_by(Account.id)
        )
    )


def record_wallet(
    uow: UnitOfWork, login_id: str, chain_id: int, wallet_address: str, coin_ids: list[int]
) -> Wallet:
    """Records a customer's MultiCoinWallet and the coins allocated to it."""
    customer = get(uow, login_id)
    checked = address(wallet_address, "wallet")
    taken = uow.session.scalars(
        select(Wallet).where(Wallet.chain_id == chain_id, Wallet.address == checked)
    ).one_or_none()
    if taken is not None:
        raise CustomerError(f"wallet {checked} on chain {chain_id} is already recorded")
    wallet = Wallet(customer_id=customer.id, chain_id=chain_id, address=checked)
    uow.session.add(wallet)
    uow.session.flush()
    for coin_id in dict.fromkeys(coin_ids):
        uow.session.add(WalletCoin(wallet_id=wallet.id, coin_id=coin_id))
    uow.commit()
    return wallet
