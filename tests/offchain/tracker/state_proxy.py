"""A JSON-RPC proxy on 127.0.0.1 in front of anvil that behaves like an ordinary full node:
it keeps state for the newest 128 blocks only, and refuses state reads at older blocks with
geth's error. Everything else passes through, batches included. It can also be told to
refuse one method outright, as a node with a method disabled does.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from coinpos.tracker.rpc import JsonRpcClient

RECENT_STATE = 128
# Where each state method takes its block: the index of the parameter.
STATE_METHODS = {
    "eth_getBalance": 1,
    "eth_call": 1,
    "eth_getCode": 1,
    "eth_getTransactionCount": 1,
    "eth_getStorageAt": 2,
}


class StateProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.refused_method: str | None = None
        self.refusals = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                reply = proxy.answer(body)
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, body: Any) -> Any:
        with self._lock:
            client = JsonRpcClient(self.upstream)
            try:
                calls = body if isinstance(body, list) else [body]
                head = int(client.call("eth_blockNumber"), 16)
                refused = {c["id"]: self._refusal(c, head) for c in calls}
                passed = [c for c in calls if refused[c["id"]] is None]
                replies = {r["id"]: r for r in (client._post(passed) if passed else [])}
            finally:
                client.close()
        out = [replies[c["id"]] if refused[c["id"]] is None else refused[c["id"]] for c in calls]
        return out if isinstance(body, list) else out[0]

    def _refusal(self, call: dict[str, Any], head: int) -> dict[str, Any] | None:
        method, params = call["method"], call.get("params", [])
        if method == self.refused_method:
            return self._error(call, -32601, f"the method {method} does not exist/is not available")
        position = STATE_METHODS.get(method)
        if position is None or len(params) <= position:
            return None
        block = params[position]
        if not isinstance(block, str) or not block.startswith("0x"):
            return None  # a tag: latest, pending, safe, finalized
        if int(block, 16) >= head - RECENT_STATE:
            return None
        message = f"missing trie node {'0' * 64} (path ) state is not available"
        return self._error(call, -32000, message)

    def _error(self, call: dict[str, Any], code: int, message: str) -> dict[str, Any]:
        self.refusals += 1
        return {"jsonrpc": "2.0", "id": call["id"], "error": {"code": code, "message": message}}
