"""`coinpos track` (read the chain, confirm, expire) and `coinpos notify` (deliver the outbox)."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

import click

from coinpos.cli_support import (
    AppContext,
    CommandError,
    emit,
    json_option,
    node_options,
    pass_app,
)
from coinpos.errors import CoinposError

if TYPE_CHECKING:
    from coinpos.tracker.config import ConfirmationRule

# The longest wait between two passes that failed on the node, in --follow mode.
MAX_BACKOFF_SECONDS = 60.0


def _rule(value: str | None) -> ConfirmationRule | None:
    from coinpos.tracker.config import ConfirmationRule
    from coinpos.tracker.errors import TrackerError

    if value is None:
        return None
    try:
        return ConfirmationRule.parse(value)
    except TrackerError as exc:
        raise CommandError(str(exc)) from None


@click.command()
@node_options("events are read", "the escrow's address and deployment block")
@click.option(
    "--confirmations",
    metavar="N|safe|finalized",
    help="Depth, or block tag, for validity (default: per network, see docs/TRACKER.md).",
)
@click.option(
    "--batch-blocks",
    type=click.IntRange(1),
    default=2_000,
    show_default=True,
    help="Blocks per eth_getLogs range.",
)
@click.option(
    "--rpc-batch-size",
    type=click.IntRange(1),
    default=100,
    show_default=True,
    help="Calls per JSON-RPC batch (blocks, receipts, balances); providers cap it.",
)
@click.option(
    "--start-block",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Where a new cursor starts.",
)
@click.option(
    "--deadline-hours",
    type=click.FloatRange(min=0, min_open=True),
    default=24.0,
    show_default=True,
    help="Pending entries older than this are cancelled.",
)
@click.option("--follow", is_flag=True, help="Keep running, one pass every --interval seconds.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=2.0,
    show_default=True,
    help="Seconds between passes with --follow.",
)
@json_option
@pass_app
def track(
    app: AppContext, rpc_url: str, escrow: str | None, network_choice: str | None,
    confirmations: str | None, batch_blocks: int, rpc_batch_size: int, start_block: int,
    deadline_hours: float,
    follow: bool, interval: float, as_json: bool,
) -> None:  # fmt: skip
    """Read new blocks, record payments, confirm them at depth, cancel overdue entries."""
    from datetime import timedelta

    if network_choice and escrow is None:
        escrow, start_block = _escrow_of(network_choice, start_block, rpc_url)

    from coinpos.tracker.config import TrackerConfig
    from coinpos.tracker.factory import open_tracker

    config = TrackerConfig(
        escrow=escrow,
        rule=_rule(confirmations),
        batch_blocks=batch_blocks,
        rpc_batch_size=rpc_batch_size,
        start_block=start_block,
        pending_deadline=timedelta(hours=deadline_hours),
    )
    tracker = open_tracker(app.engine, rpc_url, config)
    if not follow:
        emit([_run(tracker, as_json)], as_json, "coinpos track", single=True)
        return
    from coinpos.tracker.errors import TrackerError

    failures = 0
    while True:
        try:
            summary = _run(tracker, as_json)
        except TrackerError as exc:
            # The stall is on the cursor row for `coinpos status`; keep trying, backing off.
            failures += 1
            wait = min(interval * 2 ** (failures - 1), MAX_BACKOFF_SECONDS)
            click.echo(f"coinpos track: {exc}; retrying in {wait:.0f} s", err=True)
            time.sleep(wait)
            continue
        failures = 0
        emit([summary], as_json, "coinpos track", single=True)
        time.sleep(interval)


def _escrow_of(network_choice: str, start_block: int, rpc_url: str) -> tuple[str, int]:
    """The escrow's address and, for a new cursor, its deployment block, from the artifact,
    refused when the node at `rpc_url` serves another chain than the artifact's."""
    from coinpos import deployments
    from coinpos.tracker.chain import ChainReader
    from coinpos.tracker.rpc import JsonRpcClient

    ecosystem, _, network = network_choice.partition(":")
    network = network.partition(":")[0]
    if not ecosystem or not network:
        raise CommandError(f"--network {network_choice!r} must be ECOSYSTEM:NETWORK")
    try:
        record = deployments.load(deployments.artifact_path(ecosystem, network))
        escrow = record.contracts["PaymentEscrow"]
        deployments.check_chain(record, ChainReader(JsonRpcClient(rpc_url)).chain_id())
    except KeyError:
        raise CommandError(f"no PaymentEscrow in the {network_choice} deployment") from None
    except CoinposError as exc:
        raise CommandError(str(exc)) from None
    return escrow.address, start_block or escrow.block


def _run(tracker: Any, as_json: bool) -> dict[str, Any]:
    """One pass; while it catches up, a progress bar on stderr, only for a person watching
    (stderr a terminal), so --json, pipes and logs get nothing but the summary."""
    if as_json or not sys.stderr.isatty():
        return dict(tracker.run_once().as_dict())
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("catching up"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("blocks"),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("scan", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return dict(tracker.run_once(progress).as_dict())


@click.command()
@click.option(
    "--webhook-url",
    envvar="COINPOS_WEBHOOK_URL",
    metavar="URL",
    help="Also POST the staff outbox (alerts, reorgs) here (default: $COINPOS_WEBHOOK_URL).",
)
@click.option(
    "--secret",
    envvar="COINPOS_WEBHOOK_SECRET",
    help="HMAC-SHA256 key of the staff outbox (default: $COINPOS_WEBHOOK_SECRET).",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(1),
    default=8,
    show_default=True,
    help="Deliveries tried before a notification is marked failed.",
)
@click.option(
    "--allow-private-webhooks",
    is_flag=True,
    envvar="COINPOS_ALLOW_PRIVATE_WEBHOOKS",
    help="Deliver store webhooks to loopback and private addresses too (tests, local receivers).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds a store endpoint has to answer.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Store webhook deliveries sent at once.",
)
@click.option("--follow", is_flag=True, help="Keep running, one pass every --interval seconds.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.05),
    default=1.0,
    show_default=True,
    help="Seconds between passes with --follow.",
)
@json_option
@pass_app
def notify(
    app: AppContext, webhook_url: str | None, secret: str | None, max_attempts: int,
    allow_private_webhooks: bool, timeout: float, concurrency: int, follow: bool,
    interval: float, as_json: bool,
) -> None:  # fmt: skip
    """Deliver store webhooks (signed, retried for up to 3 days) and, with --webhook-url,
    the staff outbox."""
    from dataclasses import asdict

    from coinpos.tracker.webhook import Webhook
    from coinpos.tracker.webhook import deliver as deliver_outbox
    from coinpos.webhooks.delivery import DeliveryPolicy, deliver_due

    if (webhook_url is None) != (secret is None):
        raise CommandError("--webhook-url and --secret go together")
    staff = None if webhook_url is None else Webhook(webhook_url, secret or "", max_attempts)
    policy = DeliveryPolicy(
        allow_private=allow_private_webhooks, timeout=timeout, concurrency=concurrency
    )
    while True:
        store = deliver_due(app.engine, policy)
        summary: dict[str, Any] = asdict(store)
        if staff is not None:
            outbox = deliver_outbox(app.engine, staff)
            summary.update({f"outbox_{k}": v for k, v in asdict(outbox).items()})
        if not follow:
            emit([summary], as_json, "coinpos notify", single=True)
            return
        if store.claimed:
            emit([summary], as_json, "coinpos notify", single=True)
        # A full batch means more is due: go on at once.
        if store.claimed < policy.batch:
            time.sleep(interval)
