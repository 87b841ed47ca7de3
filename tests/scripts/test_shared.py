"""The scripts' shared sender choice on the local network: the test account of each role."""

from __future__ import annotations

from typing import Any

import click
import pytest

from scripts._shared import pick_sender


@pytest.mark.parametrize(
    ("role", "index"), [("admin", 0), ("operator", 1), ("minter", 2), ("customer", 5)]
)
def test_pick_sender__local_network__defaults_to_the_roles_test_account(
    networks: Any, accounts: Any, role: str, index: int
) -> None:
    network = networks.provider.network
    assert network.is_local
    chosen = pick_sender(None, network, yes=False, action="test", role=role)
    assert chosen.address == accounts[index].address


def test_pick_sender__named_account__is_used_as_given(networks: Any, accounts: Any) -> None:
    chosen = pick_sender(accounts[7], networks.provider.network, False, "test", role="customer")
    assert chosen.address == accounts[7].address


def test_pick_sender__remote_network_without_account__is_a_usage_error(networks: Any) -> None:
    sepolia = networks.ethereum.sepolia
    assert not sepolia.is_local
    with pytest.raises(click.UsageError, match="--account ALIAS"):
        pick_sender(None, sepolia, yes=True, action="test", role="operator")


def test_amounts__whole_coins_by_default__base_units_on_request() -> None:
    from click.testing import CliRunner

    from scripts._shared import Denomination, amount_text, amounts_option

    @click.command()
    @amounts_option
    def shows() -> None:
        click.echo(amount_text(1250, Denomination(2, "CPE")))

    assert CliRunner().invoke(shows, []).output.strip() == "12.50 CPE"
    assert CliRunner().invoke(shows, ["--base-units"]).output.strip() == "1250 base units of CPE"
