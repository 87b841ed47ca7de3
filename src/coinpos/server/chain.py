"""The server's way to send the operator's transactions (settlements, refunds): a
TransactionSender over the node at `rpc_url`, for the escrow the network's artifact names.
Built once at start; None when the server has no network or node, and then the routes
that must send answer 503."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coinpos.server.problems import ProblemError
from coinpos.server.settings import ServerSettings

if TYPE_CHECKING:
    from fastapi import Request

    from coinpos.chainops.sender import TransactionSender


def load_sender(settings: ServerSettings) -> TransactionSender | None:
    if settings.sender is not None:
        return settings.sender
    if settings.network is None or settings.rpc_url is None:
        return None
    from web3 import HTTPProvider, Web3

    from coinpos.chainops.connect import ESCROW, _project, load_deployment
    from coinpos.chainops.escrow import Escrow, abi_of
    from coinpos.chainops.keys import load_operator_key
    from coinpos.chainops.sender import TransactionSender

    deployment = load_deployment(settings.network)
    record = deployment.contracts.get(ESCROW)
    escrow = Escrow(
        Web3(HTTPProvider(settings.rpc_url)),
        deployment.address(ESCROW),
        abi_of(_project().PaymentEscrow.contract_type),
        from_block=record.block if record else 0,
    )
    return TransactionSender(escrow, load_operator_key(settings.operator_alias))


def sender_of(request: Request) -> TransactionSender:
    sender: TransactionSender | None = request.app.state.sender
    if sender is None:
        raise ProblemError(
            503, "this server was started without a network and node: it cannot send",
            "not-configured",
        )  # fmt: skip
    return sender
