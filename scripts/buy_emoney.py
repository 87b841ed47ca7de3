"""The exchange mints e-money to a customer's wallet against a recorded fiat payment.

    ape run buy_emoney --network ethereum:sepolia:node --account minter \\
        --customer alice --to 0xWALLET --amount 100.00 --fiat USD --bank-reference BANK-0001

The e-money is pegged 1:1 to the currency in deployments/params.yaml (`emoney.fiat`, USD
by default); a payment in another currency, or with more places than the coin has, is
refused. The bank reference is the idempotency key: the deposit is recorded before the
mint, the mint carries keccak256(reference), and a reference already paid out is refused
with nothing minted. Re-running after a crash finds the earlier mint by its `Issued` event.
Local default account: test account 2 (the minter).
"""

from __future__ import annotations

import click

from coinpos.cli_support import ADDRESS, AMOUNT, FIAT
from scripts._shared import (
    Denomination,
    FlowCommand,
    amount_text,
    amounts_option,
    clean_errors,
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
@click.option("--customer", required=True, help="The customer's login id.")
@click.option("--to", "wallet", type=ADDRESS, required=True, help="Wallet to credit.")
@click.option("--amount", type=AMOUNT, required=True, help="Fiat received, e.g. 100.00.")
@click.option("--fiat", type=FIAT, help="Currency received (default: the e-money's peg).")
@click.option("--bank-reference", required=True, help="The bank payment's reference (unique).")
@sender_options
@db_option
@amounts_option
@clean_errors
def cli(ecosystem, network, customer, wallet, amount, fiat, bank_reference, account, yes, db_url):  # type: ignore[no-untyped-def]
    from coinpos.deployer import load_params
    from coinpos.issuance.chain import ApeMinter
    from coinpos.issuance.service import DEFAULT_PEG, FiatPayment, buy_emoney, emoney_amount
    from coinpos.stores.service import get_coin

    deployment = deployment_of(ecosystem, network)
    peg = load_params(f"{ecosystem.name}:{network.name}")["emoney"].get("fiat", DEFAULT_PEG)
    emoney = contract(deployment, "EMoney")
    payment = FiatPayment(customer, wallet, fiat or peg, amount, bank_reference)
    with unit_of_work(db_url) as uow:
        register_coins(uow, deployment)
        coin = get_coin(uow, str(emoney.symbol()), deployment.chain_id)
        # Input is checked before the minter unlocks or is asked to confirm.
        emoney_amount(payment.amount, payment.fiat, peg, coin.decimals)
        sender = pick_sender(account, network, yes, "mint e-money", role="minter")
        minter = ApeMinter(emoney, sender, deployment.contracts["EMoney"].block)
        deposit = buy_emoney(uow, payment, coin, peg, minter)
        denomination = Denomination.of(coin)
        rows = {
            "bank reference": deposit.bank_reference,
            "mint reference": deposit.mint_reference,
            "paid": f"{deposit.fiat_amount} {deposit.fiat}",
            "minted": amount_text(deposit.amount, coin),
            "to": deposit.wallet_address,
            "status": deposit.status.value,
            "tx": deposit.tx_hash,
        }
    print_tx(str(rows["tx"]), "mint")
    rows["balance now"] = amount_text(emoney.balanceOf(wallet), denomination)
    show("e-money bought", rows)
