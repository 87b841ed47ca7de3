"""Customer devices over real HTTP: log in and out, throttling, their information, wallets
read on anvil with fiat values, history and rate history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from eth_utils import keccak
from sqlalchemy import Engine, func, select, update

from coinpos.customers import sessions
from coinpos.customers.service import add_account, record_wallet
from coinpos.db.models import Customer, CustomerSession, Invoice, InvoiceStatus, LoginFailure
from coinpos.db.types import utcnow
from coinpos.invoices.service import NewInvoice, issue_invoice
from coinpos.rates.service import set_rate
from coinpos.server.app import create_app
from coinpos.server.settings import ServerSettings
from coinpos.stores.service import add_coin
from coinpos.unit_of_work import UnitOfWork
from tests.chainops.conftest import Shop
from tests.contracts.wallet.conftest import factory  # noqa: F401
from tests.offchain.factories import PASSWORD, make_customer
from tests.server.conftest import bearer
from tests.server.live import serving

pytestmark = pytest.mark.usefixtures("engine")


def _login(
    client: httpx.Client, login_id: str = "minji", password: str = PASSWORD
) -> httpx.Response:
    return client.post("/api/v1/sessions", json={"login_id": login_id, "password": password})


@pytest.fixture
def minji(engine: Engine) -> Customer:
    return make_customer(engine)


@pytest.mark.postgres
def test_login_gives_a_token_that_reads_the_customer_and_never_the_hash(
    client: httpx.Client, minji: Customer, engine: Engine
) -> None:
    answer = _login(client)
    assert answer.status_code == 201
    token = answer.json()["token"]
    me = client.get("/api/v1/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.json()["login_id"] == "minji" and me.json()["email"] == "minji@example.com"
    assert minji.password_hash not in me.text and "argon2" not in me.text
    assert "password" not in me.text
    with UnitOfWork(engine) as uow:
        stored = uow.session.scalars(select(CustomerSession.token_hash)).one()
    assert token not in stored  # only a digest is kept


def test_unknown_login_ids_and_wrong_passwords_get_the_same_answer(
    client: httpx.Client, minji: Customer
) -> None:
    wrong = _login(client, password="not the password")
    unknown = _login(client, login_id="nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_logout_revokes_the_token(client: httpx.Client, minji: Customer) -> None:
    token = _login(client).json()["token"]
    assert client.delete("/api/v1/sessions/current", headers=bearer(token)).status_code == 204
    after = client.get("/api/v1/me", headers=bearer(token))
    assert after.status_code == 401
    assert after.headers["www-authenticate"] == "Bearer"


def test_an_expired_session_is_refused(
    client: httpx.Client, minji: Customer, engine: Engine
) -> None:
    token = _login(client).json()["token"]
    with UnitOfWork(engine) as uow:
        uow.session.execute(
            update(CustomerSession).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        uow.commit()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


@pytest.mark.postgres
def test_repeated_failures_are_throttled_per_login_id(
    client: httpx.Client, minji: Customer, engine: Engine
) -> None:
    for _ in range(5):
        assert _login(client, password="guess").status_code == 401
    throttled = _login(client)  # even the right password waits
    assert throttled.status_code == 429
    assert 0 < int(throttled.headers["retry-after"]) <= 15 * 60
    assert throttled.headers["content-type"] == "application/problem+json"
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(LoginFailure)) == 5


def test_repeated_failures_are_throttled_per_client_address(db_url: str, minji: Customer) -> None:
    app = create_app(ServerSettings(database_url=db_url, login_failures_per_client=3))
    with serving(app) as url, httpx.Client(base_url=url) as client:
        for name in ("a", "b", "c"):
            assert _login(client, login_id=name).status_code == 401
        assert _login(client).status_code == 429  # another login id, the same address
    app.state.engine.dispose()


def test_history_lists_invoices_the_customer_paid(
    client: httpx.Client, minji: Customer, shop: Shop, issuer: Any, customer: Any
) -> None:
    with UnitOfWork(shop.engine) as uow:
        add_account(uow, "minji", str(customer.address), "main")
    with UnitOfWork(shop.engine) as uow:
        request = NewInvoice(shop.store.store_id, "CPW", amount=450, payer=str(customer.address))
        paid = issue_invoice(uow, request, issuer)
    with UnitOfWork(shop.engine) as uow:
        issue_invoice(uow, NewInvoice(shop.store.store_id, "CPW", amount=999), issuer)
    with UnitOfWork(shop.engine) as uow:
        uow.session.execute(update(Invoice).values(status=InvoiceStatus.SETTLED, amount_paid=450))
        uow.commit()
    token = _login(client).json()["token"]
    [entry] = client.get("/api/v1/me/history", headers=bearer(token)).json()["entries"]
    assert entry["kind"] == "invoice_paid" and entry["reference"] == paid.invoice_hash
    assert entry["coin"] == "CPW" and entry["amount"] == "4.50"


def test_rate_history_newest_first(client: httpx.Client, minji: Customer, engine: Engine) -> None:
    now = utcnow()
    with UnitOfWork(engine) as uow:
        add_coin(uow, "CPW", 31337, 2, "0x" + "22" * 20)
        uow.commit()
    for hours, rate in ((2, "1290"), (1, "1300.5")):
        with UnitOfWork(engine) as uow:
            set_rate(uow, "CPW", "KRW", Decimal(rate), now - timedelta(hours=hours))
    token = _login(client).json()["token"]
    answer = client.get("/api/v1/rates/CPW/KRW", headers=bearer(token)).json()
    assert [r["rate"] for r in answer["rates"]] == ["1300.5", "1290"]
    assert client.get("/api/v1/rates/CPW/KRW", headers=bearer("nope")).status_code == 401


@pytest.fixture
def wallet_server(db_url: str, chain: Any) -> Iterator[str]:
    app = create_app(ServerSettings(database_url=db_url, rpc_url=chain.provider.uri))
    with serving(app) as url:
        yield url
    app.state.engine.dispose()


def test_wallets_show_every_coin_read_on_chain_with_its_fiat_value(
    wallet_server: str,
    minji: Customer,
    shop: Shop,
    factory: Any,  # noqa: F811
    project: Any,
    emoney: Any,
    minter: Any,
    customer: Any,
    stranger: Any,
) -> None:
    salt = keccak(text="minji-wallet")
    zero = "0x" + "00" * 20
    coins = [emoney.address, zero]
    factory.createWallet(customer, salt, coins, sender=stranger)
    wallet = project.MultiCoinWallet.at(factory.predictAddress(customer, salt, coins))
    emoney.mint(wallet.address, 12_345, b"\x01" * 32, sender=minter)
    stranger.transfer(wallet.address, 3 * 10**17)
    with UnitOfWork(shop.engine) as uow:
        record_wallet(uow, "minji", 31337, str(wallet.address), [shop.cpw.id, shop.eth.id])
    with UnitOfWork(shop.engine) as uow:
        set_rate(uow, "CPW", "KRW", Decimal("1000"))
    with httpx.Client(base_url=wallet_server) as client:
        token = _login(client).json()["token"]
        answer = client.get("/api/v1/me/wallets", params={"fiat": "KRW"}, headers=bearer(token))
        assert answer.status_code == 200, answer.text
        [found] = answer.json()["wallets"]
        one = client.get(
            f"/api/v1/me/wallets/{wallet.address}", params={"fiat": "KRW"}, headers=bearer(token)
        )
        other = client.get(
            f"/api/v1/me/wallets/{stranger.address}", params={"fiat": "KRW"}, headers=bearer(token)
        )
    assert found["address"] == wallet.address
    cpw, eth = found["holdings"]
    assert (cpw["coin"], cpw["balance"], cpw["amount"]) == ("CPW", "12345", "123.45")
    assert cpw["fiat_value"]["value"] == "123450"
    assert (eth["coin"], eth["balance"], eth["amount"]) == (
        "ETH",
        str(3 * 10**17),
        "0.300000000000000000",
    )
    assert eth["fiat_value"] is None  # no ETH/KRW rate: no value rather than a guess
    assert one.json() == found
    assert other.status_code == 404


def _fail_from(engine: Engine, client: str, policy: sessions.LoginPolicy) -> type[Exception]:
    try:
        with UnitOfWork(engine) as uow:
            sessions.login(uow, "nobody", "guess", client, policy)
    except (sessions.LoginRefusedError, sessions.LoginThrottledError) as exc:
        return type(exc)
    raise AssertionError("a wrong password logged in")


def test_the_client_throttle_counts_an_ipv6_network_as_one_client(engine: Engine) -> None:
    # One host holds a whole /64: counting each address would let it guess forever.
    policy = sessions.LoginPolicy(per_login=1000, per_client=3)
    for host in ("1", "2", "3"):
        assert _fail_from(engine, f"2001:db8:1:2::{host}", policy) is sessions.LoginRefusedError
    assert _fail_from(engine, "2001:db8:1:2:ffff::9", policy) is sessions.LoginThrottledError
    # Positive control: another /64 is another client.
    assert _fail_from(engine, "2001:db8:1:3::1", policy) is sessions.LoginRefusedError


def test_the_client_throttle_reads_an_ipv4_mapped_address_as_ipv4(engine: Engine) -> None:
    policy = sessions.LoginPolicy(per_login=1000, per_client=2)
    assert _fail_from(engine, "192.0.2.7", policy) is sessions.LoginRefusedError
    assert _fail_from(engine, "::ffff:192.0.2.7", policy) is sessions.LoginRefusedError
    assert _fail_from(engine, "::FFFF:c000:207", policy) is sessions.LoginThrottledError
    assert _fail_from(engine, "192.0.2.8", policy) is sessions.LoginRefusedError
