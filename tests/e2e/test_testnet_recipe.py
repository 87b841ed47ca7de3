"""The README's testnet recipe, proven on a devnet reached by URL through ape's node provider."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.devnet import DEPLOYER_ALIAS, DEVNET_CHAIN_ID, running_devnet

DEPLOY = ("run", "deploy", "--network", "ethereum:devnet:node", "--account", DEPLOYER_ALIAS)


def test_deploy__to_a_remote_node__writes_artifact_and_reuses_it(tmp_path: Path) -> None:
    with running_devnet(tmp_path, block_time="0.25") as devnet:
        first = devnet.ape(*DEPLOY, "--yes")
        assert first.returncode == 0, first.stdout + first.stderr
        artifact = tmp_path / "deployments" / "ethereum-devnet.json"
        recorded = json.loads(artifact.read_text())
        assert recorded["chain_id"] == DEVNET_CHAIN_ID
        assert recorded["network"] == "devnet"
        assert {"EMoney", "WalletFactory", "PriceFeed:ETH/USD"} <= set(recorded["contracts"])
        for record in recorded["contracts"].values():
            assert len(devnet.web3.eth.get_code(record["address"])) > 0
            receipt = devnet.web3.eth.get_transaction_receipt(record["tx_hash"])
            assert receipt["from"] == devnet.deployer
            assert receipt["blockNumber"] == record["block"]

        nonce = devnet.web3.eth.get_transaction_count(devnet.deployer)
        second = devnet.ape(*DEPLOY, "--yes")
        assert second.returncode == 0, second.stdout + second.stderr
        assert "re-used" in second.stdout
        assert devnet.web3.eth.get_transaction_count(devnet.deployer) == nonce
        assert json.loads(artifact.read_text()) == recorded


def test_deploy__remote_network_without_yes_and_no_answer__sends_nothing(tmp_path: Path) -> None:
    with running_devnet(tmp_path, block_time="0.25") as devnet:
        done = devnet.ape(*DEPLOY)
        assert done.returncode != 0
        assert "Aborted" in done.stdout + done.stderr
        assert devnet.web3.eth.get_transaction_count(devnet.deployer) == 0
        assert not (tmp_path / "deployments" / "ethereum-devnet.json").exists()


def test_deploy__remote_network_without_account__refuses(tmp_path: Path) -> None:
    with running_devnet(tmp_path, block_time="0.25") as devnet:
        done = devnet.ape("run", "deploy", "--network", "ethereum:devnet:node", "--yes")
        assert done.returncode == 2
        assert "--account ALIAS" in done.stdout + done.stderr
