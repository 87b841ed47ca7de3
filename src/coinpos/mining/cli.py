"""`coinpos mining`: campaigns, claim checks and rewards, for exchange staff.

The network always comes from `--network` (for example `ethereum:local:foundry`), and the
GeoRewards address from `deployments/<ecosystem>-<network>.json`. Input is checked before
anything is written; a bad value is a one-line error with exit code 2. ape and the chain are
imported lazily, so `--help` stays fast.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from eth_utils.address import is_address, to_checksum_address
from eth_utils.crypto import keccak

from coinpos.cli_support import OUTPUT_PATH, TEXT_FILE, CoinposGroup
from coinpos.mining.errors import MiningError
from coinpos.validation import ascii_digits

DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


@dataclass(frozen=True)
class Target:
    """Where to act: the network choice and the deployment artifact for it."""

    choice: str
    ecosystem: str
    network: str
    deployments: Path | None

    def deployment(self) -> Any:
        from coinpos import deployments

        return deployments.load(
            deployments.artifact_path(self.ecosystem, self.network, self.deployments)
        )

    @contextmanager
    def connected(self) -> Iterator[Any]:
        """Connects to the network; yields the GeoRewards contract, checked against the chain."""
        from ape import chain, networks

        from coinpos import deployments
        from coinpos.mining.chain import CONTRACT_NAME, geo_at

        deployment = self.deployment()
        active = networks.active_provider
        # Inside `ape run --network ...` or `ape test`, reuse the live connection to that network.
        reuse = active is not None and active.is_connected and active.network_choice == self.choice
        with nullcontext() if reuse else networks.parse_network_choice(self.choice):
            deployments.check_chain(deployment, int(chain.chain_id))
            yield geo_at(deployment.address(CONTRACT_NAME))


def _network(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    parts = value.split(":")
    if len(parts) < 2 or not all(parts[:2]):
        raise click.BadParameter("expected ecosystem:network[:provider], e.g. ethereum:sepolia")
    return value


def network_options(f: Any) -> Any:
    f = click.option(
        "--deployments",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Folder of deployment artifacts (default: deployments/ or COINPOS_DEPLOYMENTS_DIR).",
    )(f)
    return click.option(
        "--network", "network_choice", required=True, callback=_network,
        help="ape network choice, e.g. ethereum:local:foundry.",
    )(f)  # fmt: skip


def _target(network_choice: str, deployments: Path | None) -> Target:
    ecosystem, network = network_choice.split(":")[:2]
    return Target(network_choice, ecosystem, network, deployments)


def db_option(f: Any) -> Any:
    return click.option(
        "--db", "db_url", default=None,
        help="Database URL (default: COINPOS_DATABASE_URL or SQLite under .coinpos/).",
    )(f)  # fmt: skip


def _engine(db_url: str | None) -> Any:
    from coinpos.db.engine import make_engine
    from coinpos.db.migrate import upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    return engine


def _account(alias: str) -> Any:
    """An ape account by alias; `TEST::<n>` picks ape's n-th test account."""
    from ape import accounts

    if alias.startswith("TEST::"):
        index = alias.removeprefix("TEST::")
        if not ascii_digits(index):
            raise MiningError(f"bad test account {alias!r}: expected TEST::<index>")
        return accounts.test_accounts[int(index)]
    try:
        return accounts.load(alias)
    except Exception as exc:
        raise MiningError(f"no ape account {alias!r}: {exc}") from None


@contextmanager
def _reverts_as_errors(action: str) -> Iterator[None]:
    """A transaction the contract refuses is the user's error: one line, exit code 2."""
    from ape.exceptions import ContractLogicError

    try:
        yield
    except ContractLogicError as exc:
        raise MiningError(f"{action} reverted: {type(exc).__name__}({exc})") from None


def _confirm(target: Target, action: str, yes: bool) -> None:
    if yes or target.network == "local":
        return
    click.confirm(f"{action} on {target.choice}?", abort=True)


@dataclass(frozen=True)
class Action:
    """A campaign's action as given: its bytes32 id, and the name it hashes when named."""

    action_id: bytes
    name: str | None


def _action(_ctx: click.Context, _param: click.Parameter, value: str) -> Action:
    if value.startswith("0x"):
        try:
            raw = bytes.fromhex(value[2:])
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise click.BadParameter(f"{value!r} is not a 0x-prefixed bytes32")
        return Action(raw, None)
    return Action(keccak(text=_keepable_name(value)), value)


def _action_name(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    return None if value is None else _keepable_name(value)


def _keepable_name(value: str) -> str:
    """A name the oracle can keep, checked before anything is written or connected to."""
    from coinpos.mining.oracle import check_action_name

    try:
        check_action_name(value)
    except MiningError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def _address(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not is_address(value):
        raise click.BadParameter(f"{value!r} is not an address")
    return str(to_checksum_address(value))


def _degrees(limit: int) -> Any:
    def convert(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
        if not value.isascii():
            raise click.BadParameter(f"{value!r} is not written in ASCII digits 0-9")
        try:
            degrees = Decimal(value)
        except ArithmeticError:
            raise click.BadParameter(f"{value!r} is not a number of degrees") from None
        if not degrees.is_finite() or abs(degrees) > limit:
            raise click.BadParameter(f"{value} is outside ±{limit}°")
        return int((degrees * 1_000_000).to_integral_value())

    return convert


def _when(_ctx: click.Context, _param: click.Parameter, value: str | None) -> int | None:
    if value is None:
        return None
    if ascii_digits(value):
        return int(value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither unix seconds nor ISO 8601") from None
    return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp())


def _duration(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
    unit = value[-1:]
    if unit not in DURATION_UNITS or not ascii_digits(value[:-1]) or int(value[:-1]) == 0:
        raise click.BadParameter(f"{value!r} is not a duration like 90m, 12h or 7d")
    return int(value[:-1]) * DURATION_UNITS[unit]


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))


@click.group(cls=CoinposGroup)
def mining() -> None:
    """Location mining: GeoRewards campaigns, oracle claim checks, rewards."""


@mining.command("create-campaign")
@network_options
@db_option
@click.option("--account", "account_alias", required=True, help="ape account alias of the manager.")
@click.option("--token", required=True, callback=_address, help="Reward token address.")
@click.option("--lat", required=True, callback=_degrees(90), help="Centre latitude, degrees.")
@click.option("--lon", required=True, callback=_degrees(180), help="Centre longitude, degrees.")
@click.option("--radius", type=click.IntRange(1, 50_000), required=True, help="Metres.")
@click.option(
    "--action", required=True, callback=_action,
    help="Action id: 0x-prefixed bytes32, or a name hashed with keccak256 (the name is kept).",
)  # fmt: skip
@click.option("--reward", type=click.IntRange(min=1), required=True, help="Per claim, base units.")
@click.option(
    "--mode", type=click.Choice(["everyone", "first-come"]), default="everyone",
    show_default=True, help="Who is paid: everyone, or the first --max-claims to come.",
)  # fmt: skip
@click.option("--max-claims", type=click.IntRange(0, 2**32 - 1), default=0, help="First-come cap.")
@click.option("--start", callback=_when, default=None, help="Unix seconds or ISO 8601 (now).")
@click.option("--duration", callback=_duration, default="7d", help="How long it runs, e.g. 7d.")
@click.option("--budget", type=click.IntRange(min=0), required=True, help="Base units to pull.")
@click.option(
    "--max-accuracy", type=click.FloatRange(min=0, min_open=True), default=25.0,
    help="Worst fix accuracy the oracle accepts, metres.",
)  # fmt: skip
@click.option("--yes", is_flag=True, help="Do not ask before sending to a live network.")
def create_campaign(
    network_choice: str, deployments: Path | None, db_url: str | None, account_alias: str,
    token: str, lat: int, lon: int, radius: int, action: Action, reward: int, mode: str,
    max_claims: int, start: int | None, duration: int, budget: int, max_accuracy: float,
    yes: bool,
) -> None:  # fmt: skip
    """Create a campaign, fund it from the manager's account, and register it with the oracle."""
    from coinpos.mining.chain import CampaignSpec, Mode, read_campaign
    from coinpos.mining.chain import create_campaign as create

    chosen = Mode.FIRST_COME if mode == "first-come" else Mode.EVERYONE
    if (chosen is Mode.FIRST_COME) != (max_claims > 0):
        raise click.BadParameter(
            "first-come needs --max-claims above 0; everyone takes none", param_hint="--max-claims"
        )
    target = _target(network_choice, deployments)
    sender = _account(account_alias)  # before connecting: a wrong alias is input
    engine = _engine(db_url)
    with target.connected() as geo:
        from ape import Contract, chain

        begin = chain.pending_timestamp if start is None else start
        spec = CampaignSpec(
            lat, lon, radius, action.action_id, token, reward, chosen, max_claims, begin,
            begin + duration,
        )  # fmt: skip
        _confirm(target, f"create a campaign funded with {budget} base units", yes)
        erc20 = Contract(token, contract_type=_erc20_type())
        with _reverts_as_errors("create-campaign"):
            campaign_id = create(geo, erc20, spec, budget, sender)
        state = read_campaign(geo, campaign_id)
        oracle = _oracle(engine, chain.chain_id, geo)
        oracle.register_campaign(state.terms(max_accuracy), action.name)
    click.echo(f"campaign {campaign_id} created with budget {state.budget}")


@mining.command("top-up")
@network_options
@click.argument("campaign_id", type=click.IntRange(min=1))
@click.argument("amount", type=click.IntRange(min=1))
@click.option("--account", "account_alias", required=True, help="ape alias of the funder.")
@click.option("--yes", is_flag=True, help="Do not ask before sending to a live network.")
def top_up(
    network_choice: str, deployments: Path | None, campaign_id: int, amount: int,
    account_alias: str, yes: bool,
) -> None:  # fmt: skip
    """Add AMOUNT base units to a running campaign's budget, from the funder's account."""
    from coinpos.mining.chain import read_campaign
    from coinpos.mining.chain import top_up as add

    target = _target(network_choice, deployments)
    sender = _account(account_alias)  # before connecting: a wrong alias is input
    with target.connected() as geo:
        from ape import Contract

        state = read_campaign(geo, campaign_id)
        _confirm(target, f"top up campaign {campaign_id} with {amount} base units", yes)
        erc20 = Contract(state.spec.token, contract_type=_erc20_type())
        with _reverts_as_errors("top-up"):
            budget = add(geo, erc20, campaign_id, amount, sender)
    click.echo(f"campaign {campaign_id} budget is now {budget}")


@mining.command("register-campaign")
@network_options
@db_option
@click.argument("campaign_id", type=click.IntRange(min=1))
@click.option(
    "--max-accuracy", type=click.FloatRange(min=0, min_open=True), default=25.0,
    show_default=True, help="Worst fix accuracy the oracle accepts, metres.",
)  # fmt: skip
@click.option(
    "--action-name", callback=_action_name, default=None,
    help="The name the campaign's action id is the keccak256 of, shown to shoppers.",
)  # fmt: skip
def register_campaign(
    network_choice: str, deployments: Path | None, db_url: str | None, campaign_id: int,
    max_accuracy: float, action_name: str | None,
) -> None:  # fmt: skip
    """Register an existing on-chain campaign with the oracle (idempotent; a name is added)."""
    from coinpos.mining.chain import read_campaign

    target = _target(network_choice, deployments)
    engine = _engine(db_url)
    with target.connected() as geo:
        from ape import chain

        state = read_campaign(geo, campaign_id)
        oracle = _oracle(engine, chain.chain_id, geo)
        oracle.register_campaign(state.terms(max_accuracy), action_name)
    click.echo(f"campaign {campaign_id} registered")


@mining.command("campaigns")
@network_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def campaigns(network_choice: str, deployments: Path | None, as_json: bool) -> None:
    """List campaigns with their remaining budgets."""
    from coinpos.mining.chain import list_campaigns

    with _target(network_choice, deployments).connected() as geo:
        states = list_campaigns(geo)
    if as_json:
        _echo_json([_state_json(s) for s in states])
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"GeoRewards campaigns on {network_choice}")
    for column in ("id", "place", "radius m", "mode", "reward", "claims", "budget", "window"):
        table.add_column(column)
    for s in states:
        p = s.spec
        cap = f"first-come ≤{p.max_claims}" if p.max_claims else "everyone"
        window = f"{_iso(p.start)} → {_iso(p.end)}"
        table.add_row(
            str(s.campaign_id), f"{p.lat_e6 / 1e6:.6f}, {p.lon_e6 / 1e6:.6f}", str(p.radius_m),
            cap + (" (paused)" if s.paused else ""), str(p.reward_per_claim), str(s.claims),
            str(s.budget), window,
        )  # fmt: skip
    Console().print(table)


@mining.command("check-claim")
@network_options
@db_option
@click.argument("fix_file", type=TEXT_FILE)
@click.option(
    "--oracle-account",
    default=None,
    help="ape alias of the oracle key (or set COINPOS_ORACLE_KEY).",
)
@click.option(
    "--max-speed-kmh", type=click.FloatRange(min=0, min_open=True), default=300.0,
    show_default=True, help="Fastest travel since the last fix that is believed, km/h.",
)  # fmt: skip
@click.option("--out", type=OUTPUT_PATH, default=None,
              help="Write the signed claim here (default: print it).")  # fmt: skip
def check_claim(
    network_choice: str, deployments: Path | None, db_url: str | None, fix_file: Path,
    oracle_account: str | None, max_speed_kmh: float, out: Path | None,
) -> None:  # fmt: skip
    """Check a claim request (JSON fix) and sign it if the oracle approves.

    Exit code 1 on a rejection, with the reason; 2 on bad input.
    """
    from coinpos.mining.fixes import ClaimRequest
    from coinpos.mining.oracle import ClaimOracle, OraclePolicy

    request = ClaimRequest.from_file(fix_file)
    signer = _signer(oracle_account)
    deployment = _target(network_choice, deployments).deployment()
    from coinpos.mining.chain import CONTRACT_NAME

    oracle = ClaimOracle(
        _engine(db_url),
        chain_id=deployment.chain_id,
        contract=deployment.address(CONTRACT_NAME),
        signer=signer,
        policy=OraclePolicy(max_speed_kmh=max_speed_kmh),
    )
    decision = oracle.check_claim(request)
    if not decision.approved:
        assert decision.reason is not None
        click.echo(f"rejected: {decision.reason.value}: {decision.detail}", err=True)
        raise click.exceptions.Exit(1)
    signed = oracle.signed_claim(decision).to_json()
    if out is None:
        _echo_json(signed)
    else:
        out.write_text(json.dumps(signed, indent=2) + "\n")
        click.echo(f"approved: signed claim written to {out}")


@mining.command("submit-claim")
@network_options
@db_option
@click.argument("signed_file", type=TEXT_FILE)
@click.option("--account", "account_alias", required=True, help="ape alias of the submitter.")
@click.option("--yes", is_flag=True, help="Do not ask before sending to a live network.")
def submit_claim(
    network_choice: str, deployments: Path | None, db_url: str | None, signed_file: Path,
    account_alias: str, yes: bool,
) -> None:  # fmt: skip
    """Submit a signed claim; the reward goes to its recipient, whoever submits."""
    from coinpos.mining.chain import submit_claim as submit
    from coinpos.mining.signing import SignedClaim, SignedClaimError

    try:
        signed = SignedClaim.from_json(json.loads(signed_file.read_text()))
    except OSError as exc:
        raise MiningError(f"cannot read {signed_file}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise SignedClaimError(f"{signed_file} is not valid JSON: {exc.msg}") from None
    target = _target(network_choice, deployments)
    sender = _account(account_alias)  # before connecting: a wrong alias is input
    engine = _engine(db_url)
    with target.connected() as geo:
        from ape import chain

        if chain.chain_id != signed.chain_id:
            raise MiningError(f"the claim is for chain {signed.chain_id}, not {chain.chain_id}")
        _confirm(target, f"submit claim {signed.attestation.claim_id.hex()}", yes)
        with _reverts_as_errors("claim"):
            tx_hash = submit(geo, signed, sender)
        oracle = _oracle(engine, chain.chain_id, geo)
        oracle.mark_submitted(signed.attestation.claim_id, tx_hash)
    click.echo(f"claimed: {signed.attestation.recipient} in tx {tx_hash}")


@mining.command("rewards")
@network_options
@db_option
@click.argument("address", callback=_address)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def rewards(
    network_choice: str, deployments: Path | None, db_url: str | None, address: str,
    as_json: bool,
) -> None:  # fmt: skip
    """Show a user's rewards paid on chain and the oracle's record of their claims."""
    from coinpos.mining.chain import CONTRACT_NAME, rewards_of

    target = _target(network_choice, deployments)
    engine = _engine(db_url)
    with target.connected() as geo:
        from ape import chain

        paid = rewards_of(geo, address, target.deployment().contracts[CONTRACT_NAME].block)
        records = _oracle(engine, chain.chain_id, geo).claims_of(address)
    if as_json:
        _echo_json({
            "paid": [r.__dict__ for r in paid],
            "claims": [
                {**r.__dict__, "status": r.status.value,
                 "rejection": r.rejection.value if r.rejection else None}
                for r in records
            ],
        })  # fmt: skip
        return
    click.echo(f"{address}: {len(paid)} reward(s), {sum(r.amount for r in paid)} base units")
    for r in paid:
        click.echo(f"  campaign {r.campaign_id}: {r.amount} (block {r.block}, {r.tx_hash})")
    for c in records:
        reason = f" ({c.rejection.value}: {c.detail})" if c.rejection else ""
        click.echo(f"  oracle: campaign {c.campaign_id} {c.status.value}{reason}")


def _signer(alias: str | None) -> Any:
    from coinpos.mining.signing import ORACLE_KEY_ENV, ApeAccountSigner, LocalKeySigner

    if alias:
        return ApeAccountSigner(_account(alias))
    if os.environ.get(ORACLE_KEY_ENV):
        return LocalKeySigner.from_env()
    raise MiningError(f"no oracle key: pass --oracle-account or set {ORACLE_KEY_ENV}")


def _oracle(engine: Any, chain_id: int, geo: Any) -> Any:
    """The oracle's records for this deployment, for commands that register or read, not sign."""
    from coinpos.mining.oracle import ClaimOracle

    return ClaimOracle(engine, chain_id=chain_id, contract=str(geo.address))


def _erc20_type() -> Any:
    from ape import project

    return project.EMoney.contract_type


def _state_json(s: Any) -> dict[str, Any]:
    p = s.spec
    return {
        "campaign_id": s.campaign_id, "lat_e6": p.lat_e6, "lon_e6": p.lon_e6,
        "radius_m": p.radius_m, "action_id": "0x" + p.action_id.hex(), "token": p.token,
        "reward_per_claim": p.reward_per_claim, "mode": p.mode.name.lower(),
        "max_claims": p.max_claims, "start": p.start, "end": p.end, "budget": s.budget,
        "claims": s.claims, "paused": s.paused,
    }  # fmt: skip


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M")
