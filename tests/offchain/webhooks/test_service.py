from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from coinpos.db.models import (
    DeliveryStatus,
    Store,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookSubscription,
)
from coinpos.db.types import utcnow
from coinpos.unit_of_work import UnitOfWork
from coinpos.validation import InvalidInputError
from coinpos.webhooks import service
from coinpos.webhooks.destinations import InvalidWebhookUrlError
from coinpos.webhooks.events import NewEvent, publish
from tests.offchain.factories import make_store
from tests.offchain.webhooks.conftest import register


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _publish(engine: Engine, store_id: str, kind: str, key: str) -> int:
    with Session(engine) as session:
        stored = publish(session, [NewEvent(key, store_id, kind, {"n": key})], utcnow())
        session.commit()
    return stored


def test_create_endpoint__shows_the_secret_once_and_stores_it_to_sign(
    engine: Engine, store: Store
) -> None:
    view, secret = register(engine, store.store_id, "http://127.0.0.1:9/h", ("invoice.settled",))
    assert secret.startswith("whsec_") and len(secret) == 54
    assert view.events == ("invoice.settled",)
    with UnitOfWork(engine) as uow:
        [listed] = service.list_endpoints(uow, store.store_id)
        assert listed.endpoint.secret == secret  # recoverable: the notifier signs with it


@pytest.mark.parametrize(
    ("url", "events", "error"),
    [
        ("http://127.0.0.1/h", ["invoice.settled"], InvalidWebhookUrlError),
        ("ftp://93.184.215.14/h", ["invoice.settled"], InvalidWebhookUrlError),
        ("https://93.184.215.14/h", [], InvalidInputError),
        ("https://93.184.215.14/h", ["invoice.paid"], InvalidInputError),
    ],
)
def test_create_endpoint__bad_input__refused_and_nothing_written(
    engine: Engine, store: Store, url: str, events: list[str], error: type[Exception]
) -> None:
    with UnitOfWork(engine) as uow, pytest.raises(error):
        service.create_endpoint(uow, store.store_id, url, events, allow_private=False)
    assert _count(engine, WebhookEndpoint) == _count(engine, WebhookSubscription) == 0


def test_another_stores_endpoint_and_delivery__are_unknown(engine: Engine, store: Store) -> None:
    other = make_store(engine, "Busan Books")
    view, _ = register(engine, store.store_id, "http://127.0.0.1:9/h")
    _publish(engine, store.store_id, "invoice.settled", "k1")
    with UnitOfWork(engine) as uow:
        [mine] = service.list_deliveries(uow, store.store_id)
        # The control: the owner sees both.
        assert service.get_endpoint(uow, store.store_id, view.endpoint.id)
        assert service.get_delivery(uow, store.store_id, mine.delivery.id)
        assert service.list_endpoints(uow, other.store_id) == []
        assert service.list_deliveries(uow, other.store_id) == []
        for call in (
            lambda: service.get_endpoint(uow, other.store_id, view.endpoint.id),
            lambda: service.delete_endpoint(uow, other.store_id, view.endpoint.id),
            lambda: service.rotate_secret(uow, other.store_id, view.endpoint.id),
            lambda: service.get_delivery(uow, other.store_id, mine.delivery.id),
            lambda: service.redeliver(uow, other.store_id, mine.delivery.id),
        ):
            with pytest.raises(service.UnknownWebhookError):
                call()
    assert _count(engine, WebhookDelivery) == 1


def test_publish__one_delivery_per_subscribed_endpoint__none_for_the_rest(
    engine: Engine, store: Store
) -> None:
    register(engine, store.store_id, "http://127.0.0.1:9/a", ("invoice.settled",))
    register(engine, store.store_id, "http://127.0.0.1:9/b", ("invoice.settled", "invoice.expired"))
    register(engine, store.store_id, "http://127.0.0.1:9/c", ("payment.refunded",))
    assert _publish(engine, store.store_id, "invoice.settled", "s") == 1
    assert _publish(engine, store.store_id, "invoice.expired", "e") == 1
    # Nobody subscribes: no event stored. The same change again: no second event.
    assert _publish(engine, store.store_id, "invoice.invalid", "i") == 0
    assert _publish(engine, store.store_id, "invoice.settled", "s") == 0
    assert _count(engine, WebhookDelivery) == 3


def test_delete__stops_new_and_pending_deliveries__history_stays(
    engine: Engine, store: Store
) -> None:
    view, _ = register(engine, store.store_id, "http://127.0.0.1:9/h")
    _publish(engine, store.store_id, "invoice.settled", "before")
    with UnitOfWork(engine) as uow:
        service.delete_endpoint(uow, store.store_id, view.endpoint.id)
    assert _publish(engine, store.store_id, "invoice.settled", "after") == 0
    with UnitOfWork(engine) as uow:
        [old] = service.list_deliveries(uow, store.store_id)
        assert old.delivery.status is DeliveryStatus.FAILED
        assert service.list_endpoints(uow, store.store_id) == []
        with pytest.raises(service.UnknownWebhookError):
            service.redeliver(uow, store.store_id, old.delivery.id)


def test_redeliver__is_a_new_delivery_of_the_same_event_flagged_redelivery(
    engine: Engine, store: Store
) -> None:
    register(engine, store.store_id, "http://127.0.0.1:9/h")
    _publish(engine, store.store_id, "invoice.settled", "k")
    with UnitOfWork(engine) as uow:
        [first] = service.list_deliveries(uow, store.store_id)
        again = service.redeliver(uow, store.store_id, first.delivery.id)
        assert again.delivery.id != first.delivery.id
        assert again.delivery.event_id == first.delivery.event_id
        assert again.delivery.is_redelivery and not first.delivery.is_redelivery


def test_rotate__new_secret__old_one_kept_for_the_grace(engine: Engine, store: Store) -> None:
    view, old = register(engine, store.store_id, "http://127.0.0.1:9/h")
    with UnitOfWork(engine) as uow:
        rotated, new = service.rotate_secret(uow, store.store_id, view.endpoint.id)
        assert new != old and rotated.endpoint.secret == new
        assert rotated.endpoint.previous_secret == old
        assert rotated.endpoint.previous_secret_expires_at is not None
