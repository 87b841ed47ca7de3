"""A separately started anvil that plays a remote network, reached by URL through ape's
`node` provider as the custom network `ethereum:devnet` (chain id 424242, ape-config.yaml).

The e2e tests drive it with the README's own commands (`ape run ...`), in subprocesses,
with an imported, passphrase-protected ape account: nothing there assumes the local
provider or chain id 31337.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from web3 import HTTPProvider, Web3

ROOT = Path(__file__).resolve().parents[2]
ANVIL = ROOT / "node_modules" / ".bin" / "anvil"
DEVNET_CHAIN_ID = 424242
DEPLOYER_ALIAS = "deployer"
PASSPHRASE = "devnet-passphrase"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Devnet:
    url: str
    web3: Web3
    # alias -> address of every imported, funded ape account
    accounts: dict[str, str]
    env: dict[str, str]

    @property
    def deployer(self) -> str:
        return self.accounts[DEPLOYER_ALIAS]

    def ape(self, *args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
        """Runs an `ape` command against the devnet, as a user would from the shell."""
        return self.run("ape", *args, timeout=timeout)

    def run(self, program: str, *args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
        """Runs a program of the environment (`ape`, `coinpos`) with the devnet's settings."""
        return subprocess.run(
            [str(ROOT / ".venv" / "bin" / program), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )


def _import_account(data_folder: Path, alias: str) -> str:
    """What `ape accounts import ALIAS` writes: an encrypted keyfile in the data folder."""
    key = "0x" + secrets.token_hex(32)
    keyfile = Account.encrypt(key, PASSPHRASE)
    folder = data_folder / "accounts"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{alias}.json").write_text(json.dumps(keyfile))
    return str(Account.from_key(key).address)


def _share_installed_dependencies(data_folder: Path) -> None:
    """Points the temporary ape data folder at the dependencies ape already installed.

    With a folder of its own, each `ape run` would install OpenZeppelin again and recompile,
    rewriting the project's build while other ape processes read it.
    """
    installed = Path(os.environ.get("APE_DATA_FOLDER", Path.home() / ".ape")) / "packages"
    if installed.is_dir():
        (data_folder / "packages").symlink_to(installed, target_is_directory=True)


@contextmanager
def running_devnet(
    tmp: Path, aliases: tuple[str, ...] = (DEPLOYER_ALIAS,), block_time: str = "1"
) -> Iterator[Devnet]:
    """anvil with its own chain id, and an imported ape account per alias, each funded.

    `block_time` is anvil's interval between blocks in seconds (fractions allowed).
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    node = subprocess.Popen(
        [
            str(ANVIL),
            "--chain-id",
            str(DEVNET_CHAIN_ID),
            "--port",
            str(port),
            "--block-time",
            block_time,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        web3 = Web3(HTTPProvider(url))
        for _ in range(100):
            if web3.is_connected():
                break
            time.sleep(0.1)
        data_folder = tmp / "ape-data"
        imported = {alias: _import_account(data_folder, alias) for alias in aliases}
        _share_installed_dependencies(data_folder)
        for address in imported.values():
            web3.provider.make_request("anvil_setBalance", [address, hex(10**21)])  # type: ignore[arg-type]
        env = {
            **os.environ,
            **{f"APE_ACCOUNTS_{alias}_PASSPHRASE": PASSPHRASE for alias in aliases},
            "APE_DATA_FOLDER": str(data_folder),
            # The worktree's package and scripts (in CI these are the installed ones).
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
            "COINPOS_DEVNET_RPC_URL": url,
            "COINPOS_DEPLOYMENTS_DIR": str(tmp / "deployments"),
            "COINPOS_DATABASE_URL": f"sqlite:///{tmp / 'coinpos.db'}",
            "PATH": os.pathsep.join(
                [str(ROOT / ".venv" / "bin"), str(ANVIL.parent), os.environ["PATH"]]
            ),
        }
        yield Devnet(url=url, web3=web3, accounts=imported, env=env)
    finally:
        node.terminate()
        node.wait(timeout=10)
