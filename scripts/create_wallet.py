"""Create a MultiCoinWallet through the WalletFactory, with an initial list of coins.

    ape run create_wallet --network ethereum:sepolia:node --account customer \\
        --coin ETH --coin CPE --coin 0xSOMETOKEN [--salt my-wallet] [--customer alice]

The address is a CREATE2 prediction from the owner, the initial coin list (in order) and the
salt, printed first: it can receive coins before the wallet exists, and nobody can deploy
another wallet there first. Then the wallet is deployed and its holdings()
shown (every allocated coin with its balance, in one call). Coins are symbols the
exchange knows on this chain, or token addresses; ETH is address(0). With --customer, the
wallet and its coins are recorded for that customer. Local default account: test account
5 (a customer), which also owns the wallet unless --owner is given.
"""

from __future__ import annotations

import click
from ape import chain, project

from coinpos.cli_support import ADDRESS
from scripts._shared import (
    Denomination,
    FlowCommand,
    amount_text,
    amounts_option,
    clean_errors,
    console,
    contract,
    db_option,
    deployment_of,
    pick_sender,
    print_tx,
    register_coins,
    sender_options,
    show,
    unit_of_work,
)


@click.command(cls=FlowCommand, help=__doc__)
@click.option("--coin", "coins", multiple=True, metavar="SYMBOL|ADDRESS", help="Coin to allocate.")
@click.option("--owner", type=ADDRESS, help="The wallet's owner (default: the sending account).")
@click.option("--salt", default="", help="Text or 0x bytes32 that picks the address (default: 0).")
@click.option("--customer", help="Record the wallet for this customer (login id).")
@sender_options
@db_option
@amounts_option
@clean_errors
def cli(ecosystem, network, coins, owner, salt, customer, account, yes, db_url):  # type: ignore[no-untyped-def]
    from coinpos.customers.service import get, record_wallet
    from coinpos.db.models import Coin
    from coinpos.validation import InvalidInputError
    from coinpos.wallets import coin_address, wallet_salt

    deployment = deployment_of(ecosystem, network)
    factory = contract(deployment, "WalletFactory")
    with unit_of_work(db_url) as uow:
        register_coins(uow, deployment)
        allocated = [coin_address(uow, coin, deployment.chain_id) for coin in coins]
        salt_bytes = wallet_salt(salt)
        if customer:
            get(uow, customer)
        sender = pick_sender(account, network, yes, "create a wallet", role="customer")
        owner = owner or str(sender.address)
        initial_coins = [a for a, _ in allocated]
        predicted = str(factory.predictAddress(owner, salt_bytes, initial_coins))
        console.print(f"predicted wallet address: {predicted}")
        if chain.provider.get_code(predicted):
            raise InvalidInputError(f"the wallet of {owner} for this salt exists at {predicted}")
        receipt = factory.createWallet(owner, salt_bytes, initial_coins, sender=sender)
        print_tx(str(receipt.txn_hash), "createWallet")
        if customer:
            ids = [coin_id for _, coin_id in allocated if coin_id is not None]
            record_wallet(uow, customer, deployment.chain_id, predicted, ids)
        known = {
            a.lower(): Denomination.of(uow.session.get(Coin, i))
            for a, i in allocated
            if i is not None
        }
    wallet = project.MultiCoinWallet.at(predicted)
    show(
        f"wallet {predicted} (owner {owner})",
        {
            # A token the exchange does not know has no symbol or decimals to show.
            str(h.coin): amount_text(h.balance, known[str(h.coin).lower()])
            if str(h.coin).lower() in known
            else f"{h.balance} base units"
            for h in wallet.holdings()
        },
    )
