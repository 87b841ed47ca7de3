from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, func, select

from coinpos.customers.service import (
    CustomerError,
    NewCustomer,
    UnknownCustomerError,
    accounts_of,
    add_account,
    check_login,
    get,
    list_customers,
    register,
    unregister,
)
from coinpos.db.models import Customer, CustomerType
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError
from tests.offchain.factories import PASSWORD, make_customer

ADDRESS = "0x52908400098527886E0F7030069857D2E4169EE7"


def _details(**changes: object) -> NewCustomer:
    base = NewCustomer(
        login_id="jisoo",
        name="Park Jisoo",
        customer_type=CustomerType.BUSINESS,
        language="ko",
        country_code="KR",
    )
    return NewCustomer(**(vars(base) | changes))  # type: ignore[arg-type]


@pytest.mark.postgres
def test_register__stores_an_argon2_hash_not_the_password(engine: Engine) -> None:
    make_customer(engine)
    with UnitOfWork(engine) as uow:
        customer = get(uow, "minji")
        assert customer.password_hash.startswith("$argon2id$")
        assert PASSWORD not in customer.password_hash
        assert customer.subscribed_on == date.today()
        assert (customer.latitude_e6, customer.longitude_e6) == (37_497_942, 127_027_621)


def test_register__taken_login_id__is_refused(engine: Engine) -> None:
    make_customer(engine)
    with pytest.raises(CustomerError, match="already taken"):
        make_customer(engine)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"login_id": "A!"}, "login id"),
        ({"country_code": "Korea"}, "country code"),
        ({"email": "not-an-email"}, "e-mail"),
        ({"latitude_e6": 91_000_000, "longitude_e6": 0}, "latitude"),
        ({"latitude_e6": 1}, "go together"),
        ({"language": "Korean"}, "language"),
    ],
)
def test_register__bad_field__writes_nothing(
    engine: Engine, changes: dict[str, object], message: str
) -> None:
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInputError, match=message):
        register(uow, _details(**changes), PASSWORD)
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Customer)) == 0


def test_register__short_password__is_refused(engine: Engine) -> None:
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInputError, match="password"):
        register(uow, _details(), "short")


def test_check_login__right_and_wrong_password(engine: Engine) -> None:
    make_customer(engine)
    with UnitOfWork(engine) as uow:
        assert check_login(uow, "minji", PASSWORD)
        assert not check_login(uow, "minji", PASSWORD + "x")
        assert not check_login(uow, "nobody", PASSWORD)


@pytest.mark.postgres
def test_unregister__deactivates_and_blocks_login(engine: Engine) -> None:
    make_customer(engine)
    make_customer(engine, "yuna")
    with UnitOfWork(engine) as uow:
        unregister(uow, "minji")
    with UnitOfWork(engine) as uow:
        assert not check_login(uow, "minji", PASSWORD)
        assert [c.login_id for c in list_customers(uow)] == ["yuna"]
        assert [c.login_id for c in list_customers(uow, include_inactive=True)] == [
            "minji",
            "yuna",
        ]
        assert get(uow, "minji").unregistered_at is not None
        with pytest.raises(CustomerError, match="already unregistered"):
            unregister(uow, "minji")


def test_unregister__unknown_customer__says_so(engine: Engine) -> None:
    with UnitOfWork(engine) as uow, pytest.raises(UnknownCustomerError, match="ghost"):
        unregister(uow, "ghost")


def test_add_account__checksums_and_refuses_a_reused_address(engine: Engine) -> None:
    make_customer(engine)
    make_customer(engine, "yuna")
    with UnitOfWork(engine) as uow:
        add_account(uow, "minji", ADDRESS.lower(), "MAIN")
        with pytest.raises(CustomerError, match="already belongs"):
            add_account(uow, "yuna", ADDRESS, "MAIN")
        assert [a.address for a in accounts_of(uow, "minji")] == [ADDRESS]


def test_add_account__bad_checksum__is_refused(engine: Engine) -> None:
    make_customer(engine)
    bad = ADDRESS[:-1] + "e"
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInputError, match="checksum"):
        add_account(uow, "minji", bad, "MAIN")


@pytest.mark.postgres
def test_update__changes_the_fields_given__clears_the_ones_named(engine: Engine) -> None:
    from coinpos.customers.service import update

    make_customer(engine)
    with UnitOfWork(engine) as uow:
        before = get(uow, "minji").password_hash
        update(uow, "minji", {"phone": "+82 10 1234 5678", "language": "en-US"}, ("location",))
    with UnitOfWork(engine) as uow:
        customer = get(uow, "minji")
        assert (customer.phone, customer.language, customer.email) == (
            "+82 10 1234 5678",
            "en-US",
            "minji@example.com",
        )
        assert (customer.latitude_e6, customer.longitude_e6) == (None, None)
        assert customer.password_hash == before


@pytest.mark.parametrize(
    ("changes", "clear", "message"),
    [
        ({"email": "not-an-address", "name": "Kim M"}, (), "is not an address"),
        ({"latitude_e6": 95_000_000}, (), "beyond ±90°"),
        ({"password_hash": "x"}, (), "cannot change password_hash"),
        ({"login_id": "other"}, (), "cannot change login_id"),
        ({}, ("name",), "cannot clear name"),
        ({"email": "a@b.co"}, ("email",), "given and cleared"),
        ({}, (), "nothing to change"),
        ({"customer_type": "robot"}, (), "customer type must be one of"),
        ({"bank_name": "B" * 101}, (), "longer than 100"),
    ],
)
def test_update__bad_change__changes_nothing(
    engine: Engine, changes: dict[str, object], clear: tuple[str, ...], message: str
) -> None:
    from coinpos.customers.service import update

    make_customer(engine)
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInputError, match=message):
        update(uow, "minji", changes, clear)
    with UnitOfWork(engine) as uow:
        customer = get(uow, "minji")
        assert (customer.name, customer.email, customer.latitude_e6) == (
            "Kim Minji",
            "minji@example.com",
            37_497_942,
        )


def test_update_and_set_password__unregistered_customer__are_refused(engine: Engine) -> None:
    from coinpos.customers.service import set_password, update

    make_customer(engine)
    with UnitOfWork(engine) as uow:
        unregister(uow, "minji")
        with pytest.raises(CustomerError, match="unregistered"):
            update(uow, "minji", {"email": "new@example.com"})
        with pytest.raises(CustomerError, match="unregistered"):
            set_password(uow, "minji", "a long new password")


def test_set_password__new_one_logs_in__short_one_refused(engine: Engine) -> None:
    from coinpos.customers.service import set_password

    make_customer(engine)
    with UnitOfWork(engine) as uow:
        with pytest.raises(InvalidInputError, match="at least"):
            set_password(uow, "minji", "short")
        assert check_login(uow, "minji", PASSWORD)
        set_password(uow, "minji", "a long new password")
    with UnitOfWork(engine) as uow:
        assert not check_login(uow, "minji", PASSWORD)
        assert check_login(uow, "minji", "a long new password")
