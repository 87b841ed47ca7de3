"""What every command group shares: the database from the root `--db` option, output as a
rich table or JSON, parameter types that refuse bad input before anything is opened, and
the mapping of CoinposError to a one-line message with exit code 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
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


def emit(
    rows: Sequence[dict[str, Any]],
    as_json: bool,
    title: str,
    single: bool = False,
    columns: Sequence[str] | None = None,
    whole: Collection[str] = (),
    short: Mapping[str, Mapping[str, str]] | None = None,
) -> None:
    """Prints rows as JSON (every field), or for people: a rich table of `columns` (all
    fields when None) where the `whole` columns (ids staff copy) are never wrapped or cut,
    or for one record (`single`) one `field  value` line each, which no width cuts.
    `short` maps a column's ids to the unique prefixes a table prints instead."""
    clean = [{k: _jsonable(v) for k, v in row.items()} for row in rows]
    if as_json:
        click.echo(json.dumps(clean[0] if single else clean, indent=2))
        return
    if single:
        record = clean[0]
        width = max(map(len, record), default=0)
        click.echo(title)
        for key, value in record.items():
            click.echo(f"  {key.ljust(width)}  {'' if value is None else value}")
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    shown = list(columns) if columns is not None else list(clean[0]) if clean else []
    table = Table(title=title)
    cells = [[_cell(row[key], (short or {}).get(key, {})) for key in shown] for row in clean]
    for n, key in enumerate(shown or ["(none)"]):
        if key in whole:
            longest = max([len(key)] + [len(line[n]) for line in cells])
            table.add_column(key, no_wrap=True, min_width=longest)
        else:
            # Folded, not cut short with "…": a narrow table still shows every character.
            table.add_column(key, overflow="fold")
    for line in cells:
        # Text, not str: a name such as "Cafe [Seoul]" is shown as written, not as markup.
        table.add_row(*(Text(cell) for cell in line))
    Console().print(table)


def _cell(value: Any, short: Mapping[str, str]) -> str:
    if value is None:
        return ""
    return short.get(str(value), str(value))


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


def _store_ref(value: str) -> str:
    from coinpos.stores.service import check_store_ref

    return check_store_ref(value)


def _amount(value: str) -> Decimal:
    from coinpos.money import parse_decimal

    return parse_decimal(value)


def _date(value: str) -> date:
    from coinpos.validation import iso_date

    return iso_date(value)


def _timestamp(value: str) -> datetime:
    from coinpos.validation import aware_datetime

    return aware_datetime(value)


def _moment(value: str) -> datetime:
    from coinpos.validation import date_or_datetime

    return date_or_datetime(value)


def _symbol(value: str) -> str:
    from coinpos.validation import coin_symbol

    return coin_symbol(value)


def _fiat(value: str) -> str:
    from coinpos.money import fiat_places

    fiat_places(value)
    return value


ADDRESS = _Converting("address", _address)
# A store as staff name it: its id, a unique prefix of the id, or its name (the command
# resolves it with coinpos.stores.service.resolve_store).
STORE = _Converting("store", _store_ref)
AMOUNT = _Converting("amount", _amount)
DATE = _Converting("date", _date)
TIMESTAMP = _Converting("timestamp", _timestamp)
MOMENT = _Converting("date_or_time", _moment)
SYMBOL = _Converting("coin", _symbol)
FIAT = _Converting("fiat", _fiat)
