"""A server started as `coinpos serve --network … --rpc …` does: the signer and the sender are
loaded from the network's deployment artifact and the operator key, for the escrow on anvil."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from coinpos import deployments
from coinpos.db.models import TrackerCursor
from coinpos.deployments import DeployedContract, Deployment
from coinpos.server.app import create_app
from coinpos.server.settings import ServerSettings
from coinpos.unit_of_work import UnitOfWork
from tests.chainops.conftest import Shop
from tests.server.conftest import bearer, store_with_keys
from tests.server.live import serving


def test_the_signer_and_the_sender_come_from_the_artifact_and_the_key(
    db_url: str,
    shop: Shop,
    escrow: Any,
    operator: Any,
    chain: Any,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deployment = Deployment("ethereum", "local", chain.chain_id)
    deployment.contracts["PaymentEscrow"] = DeployedContract(str(escrow.address), 0, "0x")
    deployments.save(deployment, deployments.artifact_path("ethereum", "local", tmp_path))
    monkeypatch.setenv("COINPOS_DEPLOYMENTS_DIR", str(tmp_path))
    monkeypatch.setenv("COINPOS_OPERATOR_KEY", operator.private_key)
    settings = ServerSettings(
        database_url=db_url, network="ethereum:local", rpc_url=chain.provider.uri
    )
    app = create_app(settings)
    assert app.state.issuer.qr_dir is None  # the server draws QR codes on request
    sender = app.state.sender
    assert sender.escrow.address == escrow.address
    assert sender.escrow.pool(shop.cpw.address).captured == 0  # it reads the chain
    keys = store_with_keys(shop.engine, store=shop.store)
    with serving(app) as url:
        answer = httpx.post(
            f"{url}/api/v1/stores/{keys.store.store_id}/invoices",
            json={"coin": "CPW", "amount": "1.50"},
            headers=bearer(keys.terminal),
        )
        ready = httpx.get(f"{url}/readyz").json()
        with UnitOfWork(shop.engine) as uow:
            head = chain.blocks.height
            uow.session.add(TrackerCursor(name="main", chain_id=chain.chain_id, last_block=head))
            uow.commit()
        caught_up = httpx.get(f"{url}/readyz")
    app.state.engine.dispose()
    assert caught_up.status_code == 200, caught_up.text
    assert answer.status_code == 201, answer.text
    payment = answer.json()["payment"]
    assert payment["escrow"] == escrow.address
    assert payment["operator_signature"].startswith("0x")
    checks = {c["name"]: c for c in ready["checks"]}
    assert checks["chain"]["ok"] is True
    assert checks["tracker"] == {
        "name": "tracker", "ok": False, "detail": "the tracker has not run"
    }  # fmt: skip
