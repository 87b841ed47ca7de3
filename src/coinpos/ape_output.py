"""ape's log lines off stdout: stdout carries a command's output (a table, JSON, a hash).

ape logs through click.echo, and its handler looks the stream up by a key it never
matches, so every level (its errors too) lands on stdout: `--json` output then starts with
"INFO: Connecting to ...", and a refused command prints that notice before its one-line
error. `route_ape_logs()` installs, on ape's logger, a filter that drops the connection
notice and writes every other record to stderr. It imports nothing from ape (the "ape"
logger is a plain `logging` logger, configured by ape when it loads), so it can run
before ape is imported, and is idempotent.
"""

from __future__ import annotations

import logging

import click

APE_LOGGER = "ape"
# What ape says when it connects or disconnects; the command's own output says what it did.
CONNECTION_NOTICES = ("Connecting to ", "Disconnecting from ")


class _ToStderr(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.startswith(CONNECTION_NOTICES):
            click.echo(f"{record.levelname}: {message}", err=True)
        return False  # ape's own handler would write it to stdout


def route_ape_logs() -> None:
    logger = logging.getLogger(APE_LOGGER)
    if not any(isinstance(f, _ToStderr) for f in logger.filters):
        logger.addFilter(_ToStderr())
