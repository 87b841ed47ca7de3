"""A node that refuses large log queries: the tracker halves the range until it is accepted,
and sends a range's log queries together, in one JSON-RPC batch."""

from __future__ import annotations

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from coinpos.db.models import Invoice
from coinpos.tracker import chain
from tests.offchain.tracker.conftest import UNIT, Shop

MAX_BLOCKS = 4


class RefusingNode:
    """Forwards JSON-RPC to anvil, refusing eth_getLogs over more than `max_blocks` blocks
    with the error wording public providers use, and filters naming more than
    `max_addresses` addresses as they do. Counts the HTTP requests carrying eth_getLogs."""

    def __init__(
        self, upstream: str, max_blocks: int = MAX_BLOCKS, max_addresses: int | None = None
    ) -> None:
        self.refused = 0
        self.max_blocks = max_blocks
        self.max_addresses = max_addresses
        self.too_wide = 0
        # For each HTTP request that carried eth_getLogs: how many it carried.
        self.log_requests: list[int] = []
        node = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                calls = body if isinstance(body, list) else [body]
                logs = sum(1 for c in calls if c["method"] == "eth_getLogs")
                if logs:
                    node.log_requests.append(logs)
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
            if int(query["toBlock"], 16) - int(query["fromBlock"], 16) + 1 > self.max_blocks:
                self.refused += 1
                error = {"code": -32005, "message": "query returned more than 10000 results"}
                return {"jsonrpc": "2.0", "id": request["id"], "error": error}
            named = query["topics"][2] if len(query["topics"]) > 2 else []
            if self.max_addresses is not None and len(named) > self.max_addresses:
                # Not a "too many results" wording: the tracker must never send such a filter.
                self.too_wide += 1
                error = {"code": -32602, "message": "filter names too many addresses"}
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


ADDRESSES_PER_QUERY = 2


def _two_token_shop(shop: Shop) -> list[Invoice]:
    """Five paid invoices in each of two tokens (three 2-address filters per token)."""
    second = shop.add_token("TWO")
    invoices = [shop.invoice(UNIT * (n + 1)) for n in range(5)]
    invoices += [shop.invoice(UNIT * (n + 1), coin_id=second) for n in range(5)]
    for invoice in invoices:
        shop.pay(invoice, invoice.amount)
    shop.anvil.mine(2)
    return invoices


def test_a_range_s_log_queries_go_out_in_one_batch(shop: Shop) -> None:
    invoices = _two_token_shop(shop)
    node = RefusingNode(shop.anvil.url, max_blocks=10_000, max_addresses=ADDRESSES_PER_QUERY)
    try:
        tracker = shop.tracker(
            batch_blocks=10_000, addresses_per_query=ADDRESSES_PER_QUERY, url=node.url
        )
        summary = tracker.run_once()
    finally:
        node.server.shutdown()

    # 2 tokens x 3 address chunks + the escrow's query, all in one HTTP request.
    assert node.log_requests == [7]
    assert (node.refused, node.too_wide) == (0, 0)
    assert (summary.recorded, summary.confirmed) == (10, 10)
    for invoice in invoices:
        assert shop.valid_total(invoice) == shop.on_chain(invoice) == invoice.amount


def test_a_query_refused_inside_the_batch__is_split_and_retried_in_the_next(shop: Shop) -> None:
    invoices = _two_token_shop(shop)
    node = RefusingNode(shop.anvil.url, max_addresses=ADDRESSES_PER_QUERY)
    try:
        tracker = shop.tracker(
            batch_blocks=10_000, addresses_per_query=ADDRESSES_PER_QUERY, url=node.url
        )
        summary = tracker.run_once()
    finally:
        node.server.shutdown()

    assert node.refused > 0
    assert node.too_wide == 0
    # The first request carries all 7 queries; each later one the halves of all the queries
    # it refused, together, rather than one request per half.
    assert node.log_requests[0] == 7
    assert len(node.log_requests) < sum(node.log_requests)
    assert max(node.log_requests[1:]) > 1
    assert (summary.recorded, summary.confirmed) == (10, 10)
    for invoice in invoices:
        assert shop.valid_total(invoice) == shop.on_chain(invoice) == invoice.amount


def test_a_batch_of_log_queries_stays_within_the_request_size_cap(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoices = _two_token_shop(shop)
    # Two 2-address filters per request: the node's body cap, scaled down to this test.
    monkeypatch.setattr(chain, "LOG_BATCH_ADDRESSES", 2 * ADDRESSES_PER_QUERY)
    node = RefusingNode(shop.anvil.url, max_blocks=10_000, max_addresses=ADDRESSES_PER_QUERY)
    try:
        tracker = shop.tracker(
            batch_blocks=10_000, addresses_per_query=ADDRESSES_PER_QUERY, url=node.url
        )
        summary = tracker.run_once()
    finally:
        node.server.shutdown()

    # Six 2-address filters two by two, then the escrow's query (seven topics) alone.
    assert node.log_requests == [2, 2, 2, 1]
    assert (summary.recorded, summary.confirmed) == (10, 10)
    for invoice in invoices:
        assert shop.valid_total(invoice) == shop.on_chain(invoice) == invoice.amount
