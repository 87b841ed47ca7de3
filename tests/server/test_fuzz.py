"""Schemathesis fuzzes the committed OpenAPI document against the server on a real port,
authenticated with a terminal key of a real store: no 5xx, every answer conforms to the
document, and no rejected (4xx) request writes anything."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine, func, select

from coinpos.catalogue.service import add_item
from coinpos.chainops.escrow import forwarder_code
from coinpos.chainops.keys import LocalKey
from coinpos.db.engine import make_engine
from coinpos.db.migrate import upgrade
from coinpos.db.models import (
    CatalogueItem,
    IdempotencyRecord,
    Invoice,
    InvoiceLine,
    Notification,
    Settlement,
    TransactionLogEntry,
)
from coinpos.invoices.service import Issuer, NewInvoice, issue_invoice
from coinpos.invoices.terms import EscrowDomain
from coinpos.rates.service import set_rate
from coinpos.server.app import create_app
from coinpos.server.settings import ServerSettings
from coinpos.stores.service import add_coin
from coinpos.unit_of_work import UnitOfWork
from tests.server.conftest import StoreKeys, store_with_keys
from tests.server.live import serving

DOCUMENT = json.loads((Path(__file__).parents[2] / "docs" / "openapi.json").read_text())
# The coverage phase: boundary and invalid values of every parameter, header and body field,
# deterministic. Random generation (the fuzzing phase) adds few requests for much time here
# (3 examples per operation: +56 requests, +45 s), and stateful runs are left out too.
PHASES = {
    "coverage": {"enabled": True},
    "fuzzing": {"enabled": False},
    "stateful": {"enabled": False},
}
# Server-sent event streams stay open until their invoice reaches a final state: not a
# request and an answer (tests/server/test_invoice_stream.py covers them).
schema = schemathesis.openapi.from_dict(
    DOCUMENT, config=schemathesis.Config.from_dict({"phases": PHASES})
).exclude(path_regex=r"/events$")
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    content_type_conformance,
    status_code_conformance,
]
REQUESTS: list[int] = []


class Fuzzed:
    def __init__(self, url: str, engine: Engine, keys: StoreKeys, invoice: str) -> None:
        self.url, self.engine, self.keys, self.invoice = url, engine, keys, invoice

    def footprint(self) -> tuple[int, ...]:
        """Row counts (and the stock) that a rejected request must leave as they were."""
        with UnitOfWork(self.engine) as uow:
            counts = [
                uow.session.scalar(select(func.count()).select_from(model))
                for model in (
                    Invoice, InvoiceLine, IdempotencyRecord, Settlement, TransactionLogEntry,
                    Notification,
                )
            ]  # fmt: skip
            stock = uow.session.scalar(select(func.sum(CatalogueItem.stock)))
        return (*(int(c or 0) for c in counts), int(stock or 0))


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    from ape import project

    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'coinpos.db'}"
    engine = make_engine(url)
    upgrade(engine)
    keys = store_with_keys(engine)
    with UnitOfWork(engine) as uow:
        add_coin(uow, "CPW", 31337, 2, "0x" + "11" * 20)
    with UnitOfWork(engine) as uow:
        add_item(uow, keys.store.store_id, "LATTE", "Cafe latte", "CPW", 450, 1000)
    with UnitOfWork(engine) as uow:
        set_rate(uow, "CPW", "KRW", Decimal("1300"))
    issuer = Issuer(
        EscrowDomain(31337, "0x" + "22" * 20),
        forwarder_code(project),
        LocalKey("0x" + "33" * 32),
        qr_dir=None,
    )
    with UnitOfWork(engine) as uow:
        invoice = issue_invoice(uow, NewInvoice(keys.store.store_id, "CPW", amount=900), issuer)
    app = create_app(ServerSettings(database_url=url, issuer=issuer))
    with serving(app) as base:
        yield Fuzzed(base, engine, keys, invoice.invoice_hash)
    print(f"\nschemathesis made {sum(REQUESTS)} requests")
    app.state.engine.dispose()
    engine.dispose()


@schema.parametrize()
@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_fuzzed_requests_get_documented_answers_and_rejected_ones_write_nothing(
    case: Any, fuzzed: Fuzzed
) -> None:
    parameters = case.path_parameters or {}
    if "store_id" in parameters:
        parameters["store_id"] = fuzzed.keys.store.store_id
    if "invoice_id" in parameters and parameters["invoice_id"][-1] in "02468ace":
        parameters["invoice_id"] = fuzzed.invoice
    before = fuzzed.footprint()
    response = case.call(
        base_url=fuzzed.url, headers={"Authorization": f"Bearer {fuzzed.keys.terminal}"}
    )
    REQUESTS.append(1)
    case.validate_response(response, checks=CHECKS)
    if 400 <= response.status_code < 500:
        assert fuzzed.footprint() == before, f"{case.method} {case.path} wrote on a refusal"
