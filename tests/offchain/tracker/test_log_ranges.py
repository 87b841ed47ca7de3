"""A node that refuses large log queries: the tracker halves the range until it is accepted."""

from __future__ import annotations

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.offchain.tracker.conftest import UNIT, Shop

MAX_BLOCKS = 4


class RefusingNode:
    """Forwards JSON-RPC to anvil, refusing eth_getLogs over more than MAX_BLOCKS blocks with
    the error wording public providers use."""

    def __init__(self, upstream: str) -> None:
        self.refused = 0
        node = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                reply = (
                    [node.answer(r) for r in body] if isinstance(body, list) else node.answer(body)
                )
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.upstream = upstream
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, request: dict[str, Any]) -> Any:
        if request["method"] == "eth_getLogs":
            query = request["params"][0]
            if int(query["toBlock"], 16) - int(query["fromBlock"], 16) + 1 > MAX_BLOCKS:
                self.refused += 1
                error = {"code": -32005, "message": "query returned more than 10000 results"}
                return {"jsonrpc": "2.0", "id": request["id"], "error": error}
        forwarded = urllib.request.Request(
            self.upstream, json.dumps(request).encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(forwarded) as response:
            return json.loads(response.read())


def test_log_query_refused_as_too_large__is_split_until_accepted(shop: Shop) -> None:
    invoices = [shop.invoice(UNIT * (n + 1)) for n in range(6)]
    for invoice in invoices:
        shop.pay(invoice, invoice.amount)
    shop.anvil.mine(2)
    node = RefusingNode(shop.anvil.url)
    try:
        summary = shop.tracker(batch_blocks=50, url=node.url).run_once()
    finally:
        node.server.shutdown()

    assert node.refused > 0
    assert (summary.recorded, summary.confirmed) == (6, 6)
    for invoice in invoices:
        assert shop.valid_total(invoice) == shop.on_chain(invoice) == invoice.amount
