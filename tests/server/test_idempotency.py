"""`Idempotency-Key` on creating POSTs, over real HTTP and a real database: the first answer
is replayed, another body is refused, concurrent duplicates run once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select, update

from coinpos.apikeys.service import revoke_key
from coinpos.db.models import IdempotencyRecord, Invoice
from coinpos.db.types import utcnow
from coinpos.rates.service import set_rate
from coinpos.unit_of_work import UnitOfWork
from tests.chainops.conftest import Shop
from tests.server.conftest import StoreKeys, bearer, store_with_keys

BODY = {"coin": "CPW", "amount": "12.50"}


@pytest.fixture
def keys(shop: Shop) -> StoreKeys:
    with UnitOfWork(shop.engine) as uow:
        set_rate(uow, "CPW", "KRW", Decimal("1300"))
    return store_with_keys(shop.engine, store=shop.store)


def _invoices(shop: Shop) -> int:
    with UnitOfWork(shop.engine) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Invoice)) or 0)


def _post(url: str, key: str, body: dict[str, str], idempotency_key: str | None) -> httpx.Response:
    headers = bearer(key)
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return httpx.post(url, json=body, headers=headers, timeout=30)


def _url(pos_server: str, keys: StoreKeys) -> str:
    return f"{pos_server}/api/v1/stores/{keys.store.store_id}/invoices"


@pytest.mark.postgres
def test_a_retry_with_the_same_key_replays_the_first_answer(
    pos_server: str, keys: StoreKeys, shop: Shop
) -> None:
    url = _url(pos_server, keys)
    first = _post(url, keys.terminal, BODY, "k-1")
    again = _post(url, keys.terminal, BODY, "k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert _invoices(shop) == 1


def test_the_same_key_with_another_body_is_refused(
    pos_server: str, keys: StoreKeys, shop: Shop
) -> None:
    url = _url(pos_server, keys)
    assert _post(url, keys.terminal, BODY, "k-2").status_code == 201
    other = _post(url, keys.terminal, {"coin": "CPW", "amount": "99"}, "k-2")
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"
    assert "used with another request" in other.json()["detail"]
    assert _invoices(shop) == 1


def test_keys_are_per_principal(pos_server: str, keys: StoreKeys, shop: Shop) -> None:
    url = _url(pos_server, keys)
    mine = _post(url, keys.terminal, BODY, "shared")
    theirs = _post(url, keys.manager, BODY, "shared")
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert _invoices(shop) == 2


def test_a_refused_request_is_not_stored(pos_server: str, keys: StoreKeys, shop: Shop) -> None:
    url = _url(pos_server, keys)
    bad = _post(url, keys.terminal, {"coin": "CPW", "amount": "1.234"}, "k-3")
    assert bad.status_code == 422
    assert _post(url, keys.terminal, BODY, "k-3").status_code == 201
    with UnitOfWork(shop.engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1


def test_keys_expire_after_the_retention(pos_server: str, keys: StoreKeys, shop: Shop) -> None:
    url = _url(pos_server, keys)
    assert _post(url, keys.terminal, BODY, "k-4").status_code == 201
    with UnitOfWork(shop.engine) as uow:
        uow.session.execute(
            update(IdempotencyRecord).values(created_at=utcnow() - timedelta(hours=24, seconds=1))
        )
        uow.commit()
    assert _post(url, keys.terminal, {"coin": "CPW", "amount": "5"}, "k-4").status_code == 201
    assert _invoices(shop) == 2


def _burst(url: str, key: str, idempotency_key: str | None, n: int = 8) -> list[httpx.Response]:
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: _post(url, key, BODY, idempotency_key), range(n)))


@pytest.mark.postgres
def test_concurrent_duplicates_run_once(pos_server: str, keys: StoreKeys, shop: Shop) -> None:
    answers = _burst(_url(pos_server, keys), keys.terminal, "burst")
    assert {a.status_code for a in answers} <= {201, 409}
    created = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(created) == 1
    assert _invoices(shop) == 1


def test_positive_control_without_a_key_duplicates_do_run(
    pos_server: str, keys: StoreKeys, shop: Shop
) -> None:
    # The same burst without the header: every request runs, so the check above can fail.
    answers = _burst(_url(pos_server, keys), keys.terminal, None)
    assert [a.status_code for a in answers] == [201] * 8
    assert _invoices(shop) == 8


def test_a_revoked_key_replays_nothing(pos_server: str, keys: StoreKeys, shop: Shop) -> None:
    url = _url(pos_server, keys)
    assert _post(url, keys.terminal, BODY, "k-revoked").status_code == 201
    # Positive control: while the key is valid, the retry is replayed.
    assert _post(url, keys.terminal, BODY, "k-revoked").headers["idempotent-replayed"] == "true"
    with UnitOfWork(shop.engine) as uow:
        revoke_key(uow, keys.terminal.split("_")[1])
    again = _post(url, keys.terminal, BODY, "k-revoked")
    assert again.status_code == 401
    assert "idempotent-replayed" not in again.headers
    assert again.headers["content-type"] == "application/problem+json"


def test_two_spellings_of_one_credential_are_one_principal(
    pos_server: str, keys: StoreKeys, shop: Shop
) -> None:
    url = _url(pos_server, keys)
    first = _post(url, keys.terminal, BODY, "k-spelling")
    headers = {"Authorization": f"bearer {keys.terminal}", "Idempotency-Key": "k-spelling"}
    again = httpx.post(url, json=BODY, headers=headers, timeout=30)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert _invoices(shop) == 1
