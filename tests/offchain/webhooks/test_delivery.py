"""The notifier against a real receiver on 127.0.0.1, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from coinpos.db.models import DeliveryStatus, Store, WebhookDelivery
from coinpos.db.types import utcnow
from coinpos.unit_of_work import UnitOfWork
from coinpos.webhooks import service
from coinpos.webhooks.delivery import DeliveryPolicy, PassResult, deliver_due
from coinpos.webhooks.events import NewEvent, publish
from coinpos.webhooks.signing import SignatureVerificationError, verify_signature
from tests.offchain.webhooks.conftest import register
from tests.offchain.webhooks.receiver import Receiver

FAST = DeliveryPolicy(allow_private=True, timeout=5, first_backoff=timedelta(seconds=10))


def _events(engine: Engine, store_id: str, count: int, kind: str = "invoice.settled") -> None:
    with Session(engine) as session:
        publish(
            session,
            [NewEvent(f"k{i}", store_id, kind, {"invoice": {"id": i}}) for i in range(count)],
            utcnow(),
        )
        session.commit()


def _deliveries(engine: Engine) -> list[WebhookDelivery]:
    with Session(engine) as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


@pytest.mark.postgres
def test_delivery__signed_with_event_and_delivery_ids__verifies_with_the_secret(
    engine: Engine, store: Store, receiver: Receiver
) -> None:
    _, secret = register(engine, store.store_id, receiver.url)
    _events(engine, store.store_id, 1)
    result = deliver_due(engine, FAST)
    assert (result.claimed, result.delivered) == (1, 1)
    [got] = receiver.received
    [row] = _deliveries(engine)
    assert row.status is DeliveryStatus.DELIVERED and row.attempts == 1
    verify_signature(secret, got.headers["Coinpos-Signature"], got.body)
    with pytest.raises(SignatureVerificationError):
        verify_signature(secret, got.headers["Coinpos-Signature"], got.body.replace(b"1", b"2"))
    assert got.headers["Coinpos-Delivery-Id"] == str(row.id)
    assert got.headers["Coinpos-Event-Id"] == str(row.event_id)
    assert got.headers["Coinpos-Redelivery"] == "false"
    document = json.loads(got.body)
    assert (document["id"], document["type"]) == (row.event_id, "invoice.settled")
    assert document["data"] == {"invoice": {"id": 0}}
    assert deliver_due(engine, FAST).claimed == 0  # delivered once, not again


@pytest.mark.postgres
@pytest.mark.parametrize("first_status", [500, 503, 408, 429])
def test_retryable_status__backs_off__then_delivered(
    engine: Engine, store: Store, first_status: int
) -> None:
    receiver = Receiver(lambda _r, n: first_status if n == 1 else 200)
    try:
        register(engine, store.store_id, receiver.url)
        _events(engine, store.store_id, 1)
        now = utcnow()
        assert deliver_due(engine, FAST, now).retrying == 1
        [row] = _deliveries(engine)
        assert row.status is DeliveryStatus.PENDING and row.last_response_status == first_status
        assert deliver_due(engine, FAST, now + timedelta(seconds=9)).claimed == 0  # backing off
        assert deliver_due(engine, FAST, now + timedelta(seconds=11)).delivered == 1
        [row] = _deliveries(engine)
        assert row.status is DeliveryStatus.DELIVERED and row.attempts == 2
        assert len(receiver.received) == 2
    finally:
        receiver.stop()


@pytest.mark.parametrize("status", [400, 401, 404, 410, 302])
def test_other_4xx_and_redirects__fail_at_once_without_retry(
    engine: Engine, store: Store, status: int
) -> None:
    receiver = Receiver(lambda _r, _n: status)
    try:
        register(engine, store.store_id, receiver.url)
        _events(engine, store.store_id, 1)
        assert deliver_due(engine, FAST).failed == 1
        assert deliver_due(engine, FAST, utcnow() + timedelta(days=1)).claimed == 0
        [row] = _deliveries(engine)
        assert row.status is DeliveryStatus.FAILED and row.last_response_status == status
        assert len(receiver.received) == 1
    finally:
        receiver.stop()


def test_network_error__retried_with_doubling_backoff__gives_up_after_the_window(
    engine: Engine, store: Store
) -> None:
    # Nothing listens on port 9: every attempt fails to connect.
    register(engine, store.store_id, "http://127.0.0.1:9/hook")
    _events(engine, store.store_id, 1)
    policy = DeliveryPolicy(
        allow_private=True, timeout=1, first_backoff=timedelta(hours=1),
        max_backoff=timedelta(hours=16), retry_window=timedelta(days=3),
    )  # fmt: skip
    start = _deliveries(engine)[0].created_at
    now, gaps = start, []
    while True:
        result = deliver_due(engine, policy, now)
        [row] = _deliveries(engine)
        if result.failed:
            break
        assert result.retrying == 1 and "ConnectionRefusedError" in (row.last_error or "")
        gaps.append(row.next_attempt_at - now)
        now = row.next_attempt_at
    assert [g.total_seconds() / 3600 for g in gaps] == [1, 2, 4, 8, 16, 16, 16]
    assert row.status is DeliveryStatus.FAILED and row.attempts == 8
    assert now - start <= timedelta(days=3)


def test_private_address_at_delivery__refused_without_the_allowance(
    engine: Engine, store: Store, receiver: Receiver
) -> None:
    register(engine, store.store_id, receiver.url)  # registered while allowed
    _events(engine, store.store_id, 1)
    assert deliver_due(engine, DeliveryPolicy(allow_private=False)).failed == 1
    [row] = _deliveries(engine)
    assert "non-global address" in (row.last_error or "") and receiver.received == []


def test_rotation__deliveries_carry_both_signatures_during_the_grace(
    engine: Engine, store: Store, receiver: Receiver
) -> None:
    view, old = register(engine, store.store_id, receiver.url)
    with UnitOfWork(engine) as uow:
        _, new = service.rotate_secret(uow, store.store_id, view.endpoint.id, timedelta(hours=1))
    _events(engine, store.store_id, 1)
    deliver_due(engine, FAST)
    with UnitOfWork(engine) as uow:
        [first] = service.list_deliveries(uow, store.store_id)
        service.redeliver(uow, store.store_id, first.delivery.id)
    deliver_due(engine, FAST, utcnow() + timedelta(hours=2))  # past the grace
    during, after = receiver.received
    assert during.headers["Coinpos-Signature"].count("v1=") == 2
    for secret in (old, new):
        verify_signature(secret, during.headers["Coinpos-Signature"], during.body)
    assert after.headers["Coinpos-Signature"].count("v1=") == 1
    assert after.headers["Coinpos-Redelivery"] == "true"
    assert after.headers["Coinpos-Event-Id"] == during.headers["Coinpos-Event-Id"]
    with pytest.raises(SignatureVerificationError):
        verify_signature(old, after.headers["Coinpos-Signature"], after.body, tolerance=10**9)


@pytest.mark.postgres
def test_two_workers_at_once__deliver_each_delivery_exactly_once(
    engine: Engine, store: Store
) -> None:
    receiver = Receiver(delay=0.02)
    try:
        register(engine, store.store_id, receiver.url)
        _events(engine, store.store_id, 60)
        policy = DeliveryPolicy(allow_private=True, timeout=5, batch=10, concurrency=4)

        def work() -> None:
            while deliver_due(engine, policy).claimed:
                pass

        workers = [threading.Thread(target=work) for _ in range(2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=120)
        counts = receiver.by_delivery()
        assert len(counts) == 60 and set(counts.values()) == {1}
        assert {d.status for d in _deliveries(engine)} == {DeliveryStatus.DELIVERED}
    finally:
        receiver.stop()


def test_expired_claim__is_taken_by_another_worker__the_stale_one_records_nothing(
    engine: Engine, store: Store
) -> None:
    """The control for the test above: without a live claim a second worker does send the
    same delivery again, and the duplicate count sees it."""
    gate = threading.Event()
    receiver = Receiver(lambda _r, n: (gate.wait(10), 204)[1] if n == 1 else 204)
    try:
        register(engine, store.store_id, receiver.url)
        _events(engine, store.store_id, 1)
        policy = DeliveryPolicy(allow_private=True, timeout=5, batch=1, concurrency=1)
        stale: list[PassResult] = []
        first = threading.Thread(target=lambda: stale.append(deliver_due(engine, policy)))
        first.start()
        while not receiver.received:
            threading.Event().wait(0.01)
        later = utcnow() + policy.lease + timedelta(seconds=1)
        assert deliver_due(engine, policy, later).delivered == 1
        gate.set()
        first.join(timeout=30)
        assert receiver.by_delivery() == {str(_deliveries(engine)[0].id): 2}
        assert stale[0].lost_claims == 1
    finally:
        receiver.stop()
