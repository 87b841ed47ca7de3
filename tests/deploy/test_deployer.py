"""The deploy orchestration on a real local chain: first run, re-use, and its refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from coinpos import deployments
from coinpos.deployer import Deployer, deploy_all, load_params, resolve_roles
from coinpos.errors import DeploymentError

PARAMS = Path("deployments/params.yaml")
ZERO = "0x0000000000000000000000000000000000000000"


@pytest.fixture
def params() -> dict[str, Any]:
    return load_params("ethereum:local", PARAMS)


def _deploy(
    project: Any, chain: Any, admin: Any, accounts: Any, params: dict[str, Any], artifact: Path
) -> Any:
    return deploy_all(
        project, chain, admin, params, artifact, test_accounts=accounts, log=lambda _: None
    )


def test_deploy_all__records_every_contract_and_grants_roles(
    project: Any,
    chain: Any,
    admin: Any,
    minter: Any,
    accounts: Any,
    params: dict[str, Any],
    tmp_path: Path,
) -> None:
    artifact = tmp_path / "ethereum-local.json"
    deployment = _deploy(project, chain, admin, accounts, params, artifact)

    raw = json.loads(artifact.read_text())
    assert raw["chain_id"] == chain.chain_id
    assert set(raw["contracts"]) == {
        "EMoney", "GeoRewards", "PaymentEscrow", "PriceFeed:ETH/USD", "WalletFactory",
    }  # fmt: skip
    for name, record in raw["contracts"].items():
        receipt = chain.get_receipt(record["tx_hash"])
        assert receipt.block_number == record["block"]
        assert receipt.contract_address == record["address"], name

    emoney = project.EMoney.at(deployment.address("EMoney"))
    assert emoney.decimals() == params["emoney"]["decimals"]
    assert emoney.hasRole(emoney.MINTER_ROLE(), minter)
    assert emoney.hasRole(emoney.BURNER_ROLE(), minter)
    escrow = project.PaymentEscrow.at(deployment.address("PaymentEscrow"))
    assert escrow.hasRole(escrow.OPERATOR_ROLE(), accounts[1])
    assert escrow.treasury() == accounts[4]
    assert escrow.isTokenAllowed(emoney) and escrow.isTokenAllowed(ZERO)
    geo = project.GeoRewards.at(deployment.address("GeoRewards"))
    assert geo.hasRole(geo.CAMPAIGN_MANAGER_ROLE(), accounts[1])
    assert geo.hasRole(geo.ORACLE_ROLE(), accounts[3])
    feed = project.MockPriceFeed.at(deployment.address("PriceFeed:ETH/USD"))
    assert feed.latestRoundData()[1] == 3000_00000000


def test_deploy_all__second_run__reuses_without_sending(
    project: Any, chain: Any, admin: Any, accounts: Any, params: dict[str, Any], tmp_path: Path
) -> None:
    artifact = tmp_path / "ethereum-local.json"
    first = _deploy(project, chain, admin, accounts, params, artifact)
    nonce = admin.nonce
    second = _deploy(project, chain, admin, accounts, params, artifact)
    assert admin.nonce == nonce
    assert second.to_json() == first.to_json()


def test_deploy_all__recorded_address_without_code__redeploys(
    project: Any, chain: Any, admin: Any, accounts: Any, params: dict[str, Any], tmp_path: Path
) -> None:
    artifact = tmp_path / "ethereum-local.json"
    first = _deploy(project, chain, admin, accounts, params, artifact)
    raw = json.loads(artifact.read_text())
    raw["contracts"]["EMoney"]["address"] = "0x000000000000000000000000000000000000dEaD"
    artifact.write_text(json.dumps(raw))

    second = _deploy(project, chain, admin, accounts, params, artifact)
    assert second.address("EMoney") not in {
        first.address("EMoney"),
        raw["contracts"]["EMoney"]["address"],
    }
    assert len(chain.provider.get_code(second.address("EMoney"))) > 0
    assert second.address("PriceFeed:ETH/USD") == first.address("PriceFeed:ETH/USD")


def test_deploy_all__recorded_address_holding_another_contract__redeploys(
    project: Any, chain: Any, admin: Any, accounts: Any, params: dict[str, Any], tmp_path: Path
) -> None:
    # What a chain restarted from genesis looks like: the deployer's nonces put other
    # contracts at the recorded addresses.
    artifact = tmp_path / "ethereum-local.json"
    first = _deploy(project, chain, admin, accounts, params, artifact)
    raw = json.loads(artifact.read_text())
    emoney, geo = raw["contracts"]["EMoney"], raw["contracts"]["GeoRewards"]
    raw["contracts"]["EMoney"], raw["contracts"]["GeoRewards"] = (
        {**emoney, "address": geo["address"]},
        {**geo, "address": emoney["address"]},
    )
    artifact.write_text(json.dumps(raw))

    second = _deploy(project, chain, admin, accounts, params, artifact)
    assert second.address("EMoney") not in {first.address("EMoney"), first.address("GeoRewards")}
    assert project.EMoney.at(second.address("EMoney")).symbol() == params["emoney"]["symbol"]


def test_deployer__artifact_of_another_chain_on_a_remote_network__refuses(
    project: Any, chain: Any, admin: Any, tmp_path: Path
) -> None:
    artifact = tmp_path / "ethereum-sepolia.json"
    deployments.save(deployments.Deployment("ethereum", "sepolia", 11155111), artifact)
    deployer = Deployer(project, chain, admin, tmp_path / "unused.json", log=lambda _: None)
    deployer.artifact = artifact
    with pytest.raises(DeploymentError, match="chain id 11155111"):
        deployer._existing("ethereum", "sepolia", is_local=False)


def test_deployer__empty_artifact_of_another_chain_on_local__starts_fresh(
    project: Any, chain: Any, admin: Any, accounts: Any, params: dict[str, Any], tmp_path: Path
) -> None:
    artifact = tmp_path / "ethereum-local.json"
    deployments.save(deployments.Deployment("ethereum", "local", 999), artifact)
    deployment = _deploy(project, chain, admin, accounts, params, artifact)
    assert deployment.chain_id == chain.chain_id
    assert deployments.load(artifact).chain_id == chain.chain_id


def _self_run_artifact(path: Path) -> bytes:
    """What `ape run deploy` on a self-run `anvil --chain-id 1337` leaves behind."""
    recorded = deployments.Deployment("ethereum", "local", 1337)
    recorded.contracts["PaymentEscrow"] = deployments.DeployedContract(
        "0x" + "ab" * 20, 7, "0x" + "cd" * 32
    )
    deployments.save(recorded, path)
    return path.read_bytes()


def test_deployer__artifact_of_another_chain_on_local__refused_unless_replace(
    project: Any, chain: Any, admin: Any, accounts: Any, params: dict[str, Any], tmp_path: Path
) -> None:
    artifact = tmp_path / "ethereum-local.json"
    before = _self_run_artifact(artifact)
    with pytest.raises(DeploymentError, match=r"records chain id 1337 .*--replace"):
        _deploy(project, chain, admin, accounts, params, artifact)
    assert artifact.read_bytes() == before

    said: list[str] = []
    deployment = deploy_all(
        project, chain, admin, params, artifact, test_accounts=accounts, log=said.append,
        replace=True,
    )  # fmt: skip
    kept = tmp_path / "ethereum-local.chain-1337.json"
    assert kept.read_bytes() == before
    assert any(line.startswith("REPLACING") and str(kept) in line for line in said)
    assert deployments.load(artifact).chain_id == chain.chain_id == deployment.chain_id


def test_demo_artifact__beside_the_local_one__self_run_artifact_untouched(
    project: Any, chain: Any, admin: Any, accounts: Any, params: dict[str, Any], tmp_path: Path
) -> None:
    local = deployments.artifact_path("ethereum", "local", tmp_path)
    before = _self_run_artifact(local)
    demo = deployments.demo_artifact_path("ethereum", "local", tmp_path)
    assert demo != local

    deployment = _deploy(project, chain, admin, accounts, params, demo)
    assert local.read_bytes() == before
    assert deployments.load(demo).chain_id == chain.chain_id
    assert deployments.load(demo).address("PaymentEscrow") == deployment.address("PaymentEscrow")


def test_ensure_external__address_without_code__refuses(
    project: Any, chain: Any, admin: Any, tmp_path: Path
) -> None:
    deployer = Deployer(project, chain, admin, tmp_path / "a.json", log=lambda _: None)
    with pytest.raises(DeploymentError, match="no contract code"):
        deployer.ensure_external("PriceFeed:ETH/USD", "0x000000000000000000000000000000000000dEaD")
    with pytest.raises(DeploymentError, match="not a valid address"):
        deployer.ensure_external("PriceFeed:ETH/USD", "0x1234")


def test_resolve_roles__environment_overrides_params(
    monkeypatch: pytest.MonkeyPatch, accounts: Any, params: dict[str, Any]
) -> None:
    monkeypatch.setenv("COINPOS_TREASURY", "0x000000000000000000000000000000000000beef")
    roles = resolve_roles(params, accounts[0].address, accounts)
    assert roles.treasury == "0x000000000000000000000000000000000000bEEF"
    assert roles.operator == accounts[1].address
    assert roles.admin == accounts[0].address


def test_resolve_roles__invalid_address__refuses(accounts: Any) -> None:
    with pytest.raises(DeploymentError, match="oracle address 'nope'"):
        resolve_roles({"roles": {"oracle": "nope"}}, accounts[0].address, accounts)


def test_load_params__network_section_overrides_default() -> None:
    sepolia = load_params("ethereum:sepolia", PARAMS)
    assert sepolia["price_feeds"]["ETH/USD"]["address"].startswith("0x")
    assert sepolia["emoney"]["symbol"] == "CPE"
    assert load_params("ethereum:local", PARAMS)["roles"]["minter"] == "TEST::2"
