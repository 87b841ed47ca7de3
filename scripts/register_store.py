"""Register a store with its POS terminals and catalogue, in the exchange's database.

    ape run register_store --network ethereum:local:http://127.0.0.1:8545 \\
        --name "Corner Cafe" --fiat USD --terminal POS-1=Counter --terminal POS-2=Terrace \\
        --catalogue catalogue.yaml

Nothing goes on chain: a store is never an address there, only the random bytes32 id this
prints, which invoices carry. The network is needed for the coins catalogue prices are in
(ETH and the deployed e-money are registered for that chain). The catalogue file is YAML
or JSON; see coinpos.stores.registration. All is written at once, or nothing.
"""

from __future__ import annotations

from pathlib import Path

import click

from coinpos.cli_support import FIAT
from scripts._shared import (
    FlowCommand,
    clean_errors,
    console,
    db_option,
    deployment_of,
    register_coins,
    show,
    unit_of_work,
)


def _terminal(value: str) -> tuple[str, str]:
    code, _, label = value.partition("=")
    return code, label or code


@click.command(cls=FlowCommand, help=__doc__)
@click.option("--name", help="The store's name (or `name` in the catalogue file).")
@click.option("--fiat", type=FIAT, help="Currency it is paid out in (or `fiat` in the file).")
@click.option("--terminal", "terminals", multiple=True, metavar="CODE[=LABEL]")
@click.option(
    "--catalogue",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML or JSON file with terminals and items (and optionally name and fiat).",
)
@db_option
@clean_errors
def cli(ecosystem, network, name, fiat, terminals, catalogue, db_url):  # type: ignore[no-untyped-def]
    from coinpos.catalogue.service import list_items
    from coinpos.stores.registration import (
        StoreSpec,
        items_of,
        read_store_file,
        register_store,
        terminals_of,
    )
    from coinpos.stores.service import list_terminals
    from coinpos.validation import InvalidInputError

    raw = read_store_file(catalogue) if catalogue else {}
    spec = StoreSpec(
        name=name or str(raw.get("name") or ""),
        fiat=fiat or str(raw.get("fiat") or ""),
        terminals=tuple(_terminal(t) for t in terminals) + terminals_of(raw.get("terminals", [])),
        items=items_of(raw.get("items", [])),
        bank_name=raw.get("bank_name"),
        bank_account_number=raw.get("bank_account_number"),
    )
    if not spec.name or not spec.fiat:
        raise InvalidInputError("a store needs --name and --fiat (or name and fiat in the file)")
    deployment = deployment_of(ecosystem, network)
    with unit_of_work(db_url) as uow:
        register_coins(uow, deployment)
        store = register_store(uow, spec, deployment.chain_id)
        codes = [t.code for t in list_terminals(uow, store.store_id)]
        items = [f"{i.sku} x{i.stock}" for i in list_items(uow, store.store_id)]
        shown = {
            "store id": store.store_id,
            "name": store.name,
            "fiat": store.fiat,
            "terminals": ", ".join(codes) or "(none)",
            "catalogue": ", ".join(items) or "(none)",
        }
    show("store registered (off chain only)", shown)
    console.print(f"store id: {shown['store id']}")
