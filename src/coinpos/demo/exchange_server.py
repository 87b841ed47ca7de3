"""The exchange server of the story's POS chapters, as a deployment runs it: `coinpos serve`
and `coinpos notify --follow` as real processes on the demo's database and chain, a webhook
receiver on 127.0.0.1 (a store's endpoint), and the POS terminal's and the store manager's
HTTP clients with their API keys.

The tracker is not one of these processes: the story runs its passes itself, between the
blocks it mines, so each chapter shows what one pass changed (and chapter 6 can move the
tracker's clock a day on). The server learns of what a pass wrote through the database, as
it does from `coinpos track --follow`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from coinpos import deployments
from coinpos.apikeys.service import issue_key
from coinpos.db.models import KeyRole
from coinpos.demo.context import DemoContext
from coinpos.demo.processes import free_port, running, wait_until_serving
from coinpos.demo.receiver import Receiver
from coinpos.unit_of_work import UnitOfWork

# Where the server's and the notifier's logs (the access log's JSON lines among them) go,
# under the demo's state folder, so they never mix with the story.
SERVER_LOG = "demo-server.log"
NOTIFIER_LOG = "demo-notify.log"


@dataclass(frozen=True)
class StoreClients:
    """A store's two HTTP clients: the POS terminal's key (role terminal) and the store
    manager's (role manager)."""

    store_id: str
    terminal: httpx.Client
    manager: httpx.Client

    @property
    def store_path(self) -> str:
        return f"/api/v1/stores/{self.store_id}"


@dataclass(frozen=True)
class ExchangeServer:
    url: str
    receiver: Receiver
    log: Path
    process: subprocess.Popen[bytes]
    stack: ExitStack

    def clients(self, ctx: DemoContext, store_id: str, terminal_code: str) -> StoreClients:
        """Waits for the server, issues the terminal's and the manager's keys as `coinpos
        terminals issue-key` does, and opens a client with each (closed with the server)."""
        wait_until_serving(self.url, self.process, self.log)
        with UnitOfWork(ctx.engine) as uow:
            terminal_key = issue_key(uow, store_id, terminal_code, KeyRole.TERMINAL).key
        with UnitOfWork(ctx.engine) as uow:
            manager_key = issue_key(uow, store_id, terminal_code, KeyRole.MANAGER).key
        return StoreClients(
            store_id,
            self.stack.enter_context(_client(self.url, terminal_key)),
            self.stack.enter_context(_client(self.url, manager_key)),
        )


def _client(url: str, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=httpx.Timeout(30)
    )


@contextmanager
def exchange_server(ctx: DemoContext, state_dir: Path) -> Iterator[ExchangeServer]:
    """Starts the server and the notifier on the demo's chain and database (the server comes
    up while the story goes on: `clients` waits for it), and stops everything it started
    when the block ends, however it ends."""
    # The server reads the escrow from `<ecosystem>-<network>.json`: the demo's artifact is
    # given to it under that name in a folder of its own, so a local chain's is never touched.
    ecosystem, network = ctx.deployment.ecosystem, ctx.deployment.network
    artifacts = state_dir / "demo-deployments"
    deployments.save(ctx.deployment, deployments.artifact_path(ecosystem, network, artifacts))
    rpc = str(ctx.chain.provider.uri)
    db_url = ctx.engine.url.render_as_string(hide_password=False)
    # The operator is one of the local chain's public test accounts (the deploy granted it
    # the role); the server signs invoices and sends settlements with it.
    env = {
        "COINPOS_DEPLOYMENTS_DIR": str(artifacts),
        "COINPOS_OPERATOR_KEY": str(ctx.cast.operator.private_key),
    }
    port = free_port()
    serve = [
        "serve", "--port", str(port), "--network", f"{ecosystem}:{network}:{rpc}", "--rpc", rpc,
        "--allow-private-webhooks",
    ]  # fmt: skip
    notify = ["notify", "--follow", "--interval", "0.2", "--allow-private-webhooks"]
    with ExitStack() as stack:
        receiver = Receiver()
        stack.callback(receiver.stop)
        log = state_dir / SERVER_LOG
        process = stack.enter_context(running(serve, db_url, log, env))
        stack.enter_context(running(notify, db_url, state_dir / NOTIFIER_LOG, env))
        yield ExchangeServer(f"http://127.0.0.1:{port}", receiver, log, process, stack)
