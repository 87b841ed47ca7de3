"""What every command group shares: the database from the root `--db` option, output as a
rich table or JSON, parameter types that refuse bad input before anything is opened, and
the mapping of CoinposError to a one-line message with exit code 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import click

from coinpos.errors import CoinposError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from coinpos.unit_of_work import UnitOfWork

F = TypeVar("F", bound=Callable[..., Any])


class CommandError(click.ClickException):
    """A refused command: one line on stderr, exit code 2, no traceback."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class OneLineUsageErrors:
    """Mixed into a click command or group: a usage error (a malformed option) is one line
    with exit code 2, not click's usage block."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)  # type: ignore[misc,no-any-return]
        except click.UsageError as exc:
            raise CommandError(exc.format_message()) from None


class CoinposGroup(OneLineUsageErrors, click.Group):
    """A group whose usage errors and CoinposErrors below it become one line, exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        from sqlalchemy.exc import OperationalError, ProgrammingError

        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise CommandError(exc.format_message()) from None
        except CoinposError as exc:
            raise CommandError(str(exc)) from None
        except (OperationalError, ProgrammingError) as exc:
            first = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
            raise CommandError(
                f"database error: {first} (has `coinpos db upgrade` been run?)"
            ) from None


@dataclass
class AppContext:
    db_url: str | None
    _engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from coinpos.db.engine import make_engine

            self._engine = make_engine(self.db_url)
        return self._engine


pass_app = click.make_pass_decorator(AppContext)


@contextmanager
def unit_of_work(app: AppContext) -> Iterator[UnitOfWork]:
    from coinpos.unit_of_work import UnitOfWork

    with UnitOfWork(app.engine) as uow:
        yield uow


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(
        func
    )


def _jsonable(value: Any) -> Any:
    from coinpos.money import CoinAmount

    if isinstance(value, CoinAmount):
        # Whole coins, exact; the base units are a field of their own beside it.
        return format(value.whole, "f")
    if isinstance(value, Decimal):
        # Strings keep every digit; a JSON number would be read back as a float.
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**53:
        return str(value)
    if hasattr(value, "value"):
        return value.value
    return value


def _cell(value: Any) -> Any:
    """A value as a table shows it: a coin amount as whole coins with its symbol."""
    from coinpos.money import CoinAmount

    return str(value) if isinstance(value, CoinAmount) else _jsonable(value)


def emit(rows: Sequence[dict[str, Any]], as_json: bool, title: str, single: bool = False) -> None:
    """Prints rows as a rich table (one record: two columns) or as JSON."""
    convert = _jsonable if as_json else _cell
    clean = [{k: convert(v) for k, v in row.items()} for row in rows]
    if as_json:
        click.echo(json.dumps(clean[0] if single else clean, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    if single:
        table.add_column("field")
        table.add_column("value")
        for key, value in clean[0].items():
            table.add_row(key, "" if value is None else str(value))
    else:
        for key in clean[0] if clean else ["(none)"]:
            table.add_column(key)
        for row in clean:
            table.add_row(*("" if v is None else str(v) for v in row.values()))
    Console().print(table)


class _Converting(click.ParamType):
    """A parameter type backed by a coinpos validator; its error becomes a usage error."""

    def __init__(self, name: str, convert: Callable[[str], Any]) -> None:
        self.name = name
        self._convert = convert

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return self._convert(value)
        except CoinposError as exc:
            self.fail(str(exc), param, ctx)


def _address(value: str) -> str:
    from coinpos.validation import address

    return address(value)


def _store_id(value: str) -> str:
    from coinpos.validation import bytes32

    return bytes32(value, "store id")


def _amount(value: str) -> Decimal:
    from coinpos.money import parse_decimal

    return parse_decimal(value)


def _date(value: str) -> date:
    from coinpos.validation import iso_date

    return iso_date(value)


def _timestamp(value: str) -> datetime:
    from coinpos.validation import aware_datetime

    return aware_datetime(value)


def _symbol(value: str) -> str:
    from coinpos.validation import coin_symbol

    return coin_symbol(value)


def _fiat(value: str) -> str:
    from coinpos.money import fiat_places

    fiat_places(value)
    return value


ADDRESS = _Converting("address", _address)
STORE_ID = _Converting("store_id", _store_id)
AMOUNT = _Converting("amount", _amount)
DATE = _Converting("date", _date)
TIMESTAMP = _Converting("timestamp", _timestamp)
SYMBOL = _Converting("coin", _symbol)
FIAT = _Converting("fiat", _fiat)
