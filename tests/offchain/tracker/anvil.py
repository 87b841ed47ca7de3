"""A real anvil the test owns: started on a free port, stopped, killed and restarted at will,
with its state kept in a file so the chain survives a restart.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.types import RPCEndpoint

from coinpos.tracker.rpc import JsonRpcClient

ROOT = Path(__file__).resolve().parents[3]
ANVIL = ROOT / "node_modules" / ".bin" / "anvil"
ARTIFACTS = ROOT / ".build" / "__local__.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Anvil:
    def __init__(self, state: Path | None = None) -> None:
        self.port = free_port()
        self.state = state
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        args = [str(ANVIL), "--port", str(self.port), "--silent", "--accounts", "10"]
        if self.state is not None:
            # --state loads the file if it exists; the state is also written every second, so
            # a SIGKILL loses at most the last second.
            args += ["--state", str(self.state), "--state-interval", "1"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = JsonRpcClient(self.url, timeout=2)
        for _ in range(200):
            try:
                client.call("eth_chainId")
                client.close()
                break
            except Exception:
                time.sleep(0.05)
        else:
            raise RuntimeError("anvil did not start")
        self.w3 = Web3(Web3.HTTPProvider(self.url))

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, sig)
            self.process.wait(timeout=30)
        self.process = None

    def rpc(self, method: str, *params: Any) -> Any:
        return self.w3.provider.make_request(RPCEndpoint(method), list(params)).get("result")

    def mine(self, blocks: int = 1) -> None:
        self.rpc("anvil_mine", hex(blocks))

    @property
    def accounts(self) -> list[str]:
        return list(self.w3.eth.accounts)

    def deploy(self, name: str, *args: Any) -> Any:
        artifact = contract_type(name)
        factory = self.w3.eth.contract(
            abi=artifact["abi"], bytecode=artifact["deploymentBytecode"]["bytecode"]
        )
        tx = factory.constructor(*args).transact({"from": self.accounts[0]})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])


def contract_type(name: str) -> dict[str, Any]:
    """The compiled contract from ape's build, compiling the project first if needed."""
    types = json.loads(ARTIFACTS.read_text())["contractTypes"] if ARTIFACTS.exists() else {}
    if name not in types:
        from ape import project

        project.load_contracts()
        types = json.loads(ARTIFACTS.read_text())["contractTypes"]
    return dict(types[name])
