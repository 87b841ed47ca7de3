"""`coinpos customers ...`: register, update, set-password, unregister, list, show,
login-check, add-account."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import click

from coinpos.cli_support import ADDRESS, DATE, AppContext, emit, json_option, pass_app, unit_of_work

if TYPE_CHECKING:
    from coinpos.db.models import Customer

CUSTOMER_TYPES = ("individual", "business")
LIST_COLUMNS = ("login_id", "name", "type", "country", "email", "active")
# `update --clear NAME`: the option's name → the customer field it empties.
CLEARABLE = {
    "phone": "phone",
    "email": "email",
    "device": "device_type",
    "bank": "bank_name",
    "account-number": "bank_account_number",
    "location": "location",
    "group": "affiliated_group",
}


def _row(customer: Customer) -> dict[str, Any]:
    return {
        "login_id": customer.login_id,
        "name": customer.name,
        "type": customer.customer_type,
        "language": customer.language,
        "country": customer.country_code,
        "phone": customer.phone,
        "email": customer.email,
        "device": customer.device_type,
        "subscribed_on": customer.subscribed_on,
        "bank": customer.bank_name,
        "account_number": customer.bank_account_number,
        "latitude_e6": customer.latitude_e6,
        "longitude_e6": customer.longitude_e6,
        "group": customer.affiliated_group,
        "active": customer.active,
    }


def _degrees_e6(value: str | None, name: str) -> int | None:
    """Decimal degrees → integer microdegrees, refusing more than 6 places."""
    if value is None:
        return None
    from coinpos.money import MoneyError, to_base_units
    from coinpos.validation import InvalidInputError, ascii_number

    try:
        degrees = Decimal(ascii_number(value, name).strip())
    except InvalidInputError as exc:
        raise click.BadParameter(str(exc), param_hint=name) from None
    except ArithmeticError:
        degrees = Decimal("NaN")
    try:
        if not degrees.is_finite():
            raise ArithmeticError
        return to_base_units(degrees, 6)
    except (ArithmeticError, MoneyError):
        raise click.BadParameter(
            f"{value!r} is not decimal degrees with at most 6 places", param_hint=name
        ) from None


@click.group()
def customers() -> None:
    """Customers of the exchange."""


@customers.command()
@click.argument("login_id")
@click.option("--name", required=True, help="Full name.")
@click.option(
    "--type",
    "customer_type",
    type=click.Choice(CUSTOMER_TYPES),
    default="individual",
    show_default=True,
    help="Customer type.",
)
@click.option("--language", required=True, help="Language tag, e.g. ko or en-US.")
@click.option("--country", required=True, help="ISO 3166 alpha-2 code, e.g. KR.")
@click.option("--phone", help="Phone number, e.g. +82-10-1234-5678.")
@click.option("--email", help="E-mail address.")
@click.option("--device", help="Device type, e.g. android, ios, pos.")
@click.option("--subscribed-on", type=DATE, help="YYYY-MM-DD (default: today).")
@click.option("--bank", help="Bank name, for fiat payments.")
@click.option("--account-number", help="Bank account number.")
@click.option("--lat", help="Latitude in decimal degrees.")
@click.option("--lon", help="Longitude in decimal degrees.")
@click.option("--group", "affiliated_group", help="Affiliated group.")
@click.password_option("--password", help="Prompted when not given.")
@json_option
@pass_app
def register(
    app: AppContext,
    login_id: str,
    name: str,
    customer_type: str,
    language: str,
    country: str,
    phone: str | None,
    email: str | None,
    device: str | None,
    subscribed_on: date | None,
    bank: str | None,
    account_number: str | None,
    lat: str | None,
    lon: str | None,
    affiliated_group: str | None,
    password: str,
    as_json: bool,
) -> None:
    """Register a customer."""
    from coinpos.customers.service import NewCustomer
    from coinpos.customers.service import register as register_customer
    from coinpos.db.models import CustomerType

    details = NewCustomer(
        login_id=login_id,
        name=name,
        customer_type=CustomerType(customer_type),
        language=language,
        country_code=country,
        phone=phone,
        email=email,
        device_type=device,
        subscribed_on=subscribed_on,
        bank_name=bank,
        bank_account_number=account_number,
        latitude_e6=_degrees_e6(lat, "--lat"),
        longitude_e6=_degrees_e6(lon, "--lon"),
        affiliated_group=affiliated_group,
    )
    with unit_of_work(app) as uow:
        customer = register_customer(uow, details, password)
        emit([_row(customer)], as_json, "registered", single=True)


@customers.command()
@click.argument("login_id")
@click.option("--name", help="Full name.")
@click.option("--type", "customer_type", type=click.Choice(CUSTOMER_TYPES), help="Customer type.")
@click.option("--language", help="Language tag, e.g. ko or en-US.")
@click.option("--country", help="ISO 3166 alpha-2 code, e.g. KR.")
@click.option("--phone", help="Phone number.")
@click.option("--email", help="E-mail address.")
@click.option("--device", help="Device type, e.g. android, ios, pos.")
@click.option("--bank", help="Bank name.")
@click.option("--account-number", help="Bank account number.")
@click.option("--lat", help="Latitude in decimal degrees (with --lon).")
@click.option("--lon", help="Longitude in decimal degrees (with --lat).")
@click.option("--group", "affiliated_group", help="Affiliated group.")
@click.option(
    "--clear",
    "cleared",
    multiple=True,
    type=click.Choice(tuple(CLEARABLE)),
    help="Empty this optional field (repeatable).",
)
@json_option
@pass_app
def update(
    app: AppContext,
    login_id: str,
    name: str | None,
    customer_type: str | None,
    language: str | None,
    country: str | None,
    phone: str | None,
    email: str | None,
    device: str | None,
    bank: str | None,
    account_number: str | None,
    lat: str | None,
    lon: str | None,
    affiliated_group: str | None,
    cleared: tuple[str, ...],
    as_json: bool,
) -> None:
    """Change a customer's details.

    Every field is checked as at registration, and one bad field changes nothing. The
    password changes only with set-password.
    """
    from coinpos.customers.service import update as update_customer

    given = {
        "name": name,
        "customer_type": customer_type,
        "language": language,
        "country_code": country,
        "phone": phone,
        "email": email,
        "device_type": device,
        "bank_name": bank,
        "bank_account_number": account_number,
        "latitude_e6": _degrees_e6(lat, "--lat"),
        "longitude_e6": _degrees_e6(lon, "--lon"),
        "affiliated_group": affiliated_group,
    }
    changes: dict[str, object] = {k: v for k, v in given.items() if v is not None}
    with unit_of_work(app) as uow:
        customer = update_customer(
            uow, login_id, changes, tuple(CLEARABLE[name] for name in cleared)
        )
        emit([_row(customer)], as_json, "updated", single=True)


@customers.command("set-password")
@click.argument("login_id")
@click.password_option("--password", help="Prompted (twice) when not given.")
@pass_app
def set_password(app: AppContext, login_id: str, password: str) -> None:
    """Replace a customer's password.

    Only its argon2id hash is stored.
    """
    from coinpos.customers.service import set_password as set_customer_password

    with unit_of_work(app) as uow:
        set_customer_password(uow, login_id, password)
    click.echo(f"password of {login_id} changed")


@customers.command()
@click.argument("login_id")
@pass_app
def unregister(app: AppContext, login_id: str) -> None:
    """Deactivate a customer (their history is kept)."""
    from coinpos.customers.service import unregister as unregister_customer

    with unit_of_work(app) as uow:
        unregister_customer(uow, login_id)
    click.echo(f"customer {login_id} unregistered")


@customers.command("list")
@click.option("--all", "include_inactive", is_flag=True, help="Include unregistered customers.")
@json_option
@pass_app
def list_(app: AppContext, include_inactive: bool, as_json: bool) -> None:
    """List customers."""
    from coinpos.customers.service import list_customers

    with unit_of_work(app) as uow:
        rows = [_row(c) for c in list_customers(uow, include_inactive)]
    emit(rows, as_json, "customers", columns=LIST_COLUMNS, whole={"login_id"})


@customers.command()
@click.argument("login_id")
@json_option
@pass_app
def show(app: AppContext, login_id: str, as_json: bool) -> None:
    """Show one customer with their accounts."""
    from coinpos.customers.service import accounts_of, get

    with unit_of_work(app) as uow:
        row = _row(get(uow, login_id))
        row["accounts"] = ", ".join(
            f"{a.account_code}={a.address}" for a in accounts_of(uow, login_id)
        )
    emit([row], as_json, f"customer {login_id}", single=True)


@customers.command("login-check")
@click.argument("login_id")
@click.option("--password", prompt=True, hide_input=True, help="Prompted when not given.")
@pass_app
def login_check(app: AppContext, login_id: str, password: str) -> None:
    """Check a login id and password; exit code 1 when refused."""
    from coinpos.customers.service import check_login

    with unit_of_work(app) as uow:
        accepted = check_login(uow, login_id, password)
    click.echo("login accepted" if accepted else "login refused")
    if not accepted:
        sys.exit(1)


@customers.command("add-account")
@click.argument("login_id")
@click.argument("address", type=ADDRESS)
@click.argument("account_code")
@pass_app
def add_account(app: AppContext, login_id: str, address: str, account_code: str) -> None:
    """Attach an address to a customer under an account code."""
    from coinpos.customers.service import add_account as add

    with unit_of_work(app) as uow:
        account = add(uow, login_id, address, account_code)
    click.echo(f"account {account.account_code} {account.address} added to {login_id}")
