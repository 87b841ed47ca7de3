"""What every command group shares: the database from the root `--db` option, output as a
rich table or JSON, parameter types that refuse bad input before anything is opened, and
the one place where an error becomes a line on stderr.

Errors and exit codes (`one_line_error`):
- Bad input exits with 2 and one line `error: …`: a click usage error (missing argument,
  unknown option, malformed value, a negative number read as an option), a click file
  error, any CoinposError, a database URL or database coinpos cannot use, a number too
  large for the column or duration it fills, an ape account, network or configuration
  problem.
- A transaction the chain refused exits with 1 (the input was well-formed; the chain said
  no), one line `error: …`.
- Anything else is a bug, not bad input: one line `internal error: …` and exit code 1, so a
  script can tell it from a refusal. COINPOS_DEBUG=1 lets the traceback through instead.

Every group and command below the root is hardened when it is added (`harden`): a group
becomes a CoinposGroup (no subcommand is an error naming the subcommands, not a help page
with exit 0), a number must be written in ASCII digits (int() and Decimal() read full-width
and other scripts' digits), and a prompt is refused when there is no terminal to ask on.
A new command inherits all of it by being added to a group.
"""

from __future__ import annotations

import copy
import json
import os
import re
import sys
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
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
    prefix = "error"

    def show(self, file: Any = None) -> None:
        click.echo(f"{self.prefix}: {self.format_message()}", err=True)


class ChainRefusal(CommandError):
    """A well-formed request the chain refused (a revert): one line, exit code 1."""

    exit_code = 1


class InternalError(CommandError):
    """An unexpected exception (a bug): one line, exit code 1; COINPOS_DEBUG=1 shows it."""

    exit_code = 1
    prefix = "internal error"


# What click parses as an unknown option but a user meant as a (negative) number.
_NEGATIVE_NUMBER = re.compile(r"-[\d.,_]+")
DEBUG_ENV = "COINPOS_DEBUG"


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def _ape_error(exc: Exception) -> click.ClickException | None:
    """ape's exceptions, if ape is loaded: a refused transaction, or a setup problem."""
    ape_exceptions = sys.modules.get("ape.exceptions")
    if ape_exceptions is None or not isinstance(exc, ape_exceptions.ApeException):
        return None
    refused = (
        ape_exceptions.ContractLogicError,
        ape_exceptions.TransactionError,
        ape_exceptions.VirtualMachineError,
    )
    message = _first_line(str(exc)) or type(exc).__name__
    if isinstance(exc, refused):
        return ChainRefusal(f"the chain refused the transaction: {message}")
    return CommandError(message)


def one_line_error(exc: Exception) -> click.ClickException:
    """The one-line form of any exception raised while parsing or running a command."""
    if isinstance(exc, CommandError):
        return exc
    if isinstance(exc, click.NoSuchOption) and _NEGATIVE_NUMBER.fullmatch(exc.option_name):
        return CommandError(f"{exc.option_name} is a negative number, which is not accepted here")
    if isinstance(exc, click.ClickException):
        # Usage errors, bad parameters and click's file errors: all bad input.
        return CommandError(_first_line(exc.format_message()))
    if isinstance(exc, CoinposError):
        return CommandError(_first_line(str(exc)) or type(exc).__name__)
    from_ape = _ape_error(exc)
    if from_ape is not None:
        return from_ape
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.DBAPIError):
        # The database refused: not reachable, not a database, or no schema yet.
        first = _first_line(str(exc.orig) if exc.orig else str(exc))
        return CommandError(f"database error: {first} (has `coinpos db upgrade` been run?)")
    if isinstance(exc, OverflowError):
        # A number given beyond what a column or a duration holds (an id, seconds).
        return CommandError(f"a number given is too large ({_first_line(str(exc))})")
    if os.environ.get(DEBUG_ENV) == "1":
        raise exc
    detail = _first_line(str(exc))
    return InternalError(f"{type(exc).__name__}{': ' + detail if detail else ''}")


@contextmanager
def _one_line_errors() -> Iterator[None]:
    try:
        yield
    except (click.exceptions.Exit, click.Abort):
        raise
    except Exception as exc:
        mapped = one_line_error(exc)
        if mapped is exc:
            raise
        raise mapped from None


# No integer in coinpos is wider than a uint256 (amounts in base units, ids, block numbers).
MAX_INTEGER = 2**256 - 1


class AsciiNumber(click.ParamType):
    """Mixed into click's number types by `harden`: a number is written in ASCII digits, and
    an integer fits in a uint256."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            from coinpos.validation import ascii_number

            try:
                ascii_number(value, "value")
            except CoinposError as exc:
                self.fail(str(exc), param, ctx)
        converted = super().convert(value, param, ctx)
        if isinstance(converted, int) and abs(converted) > MAX_INTEGER:
            self.fail(f"{value!r} is too large (more than a uint256)", param, ctx)
        return converted


_ASCII_NUMBER_TYPES: dict[type, type] = {}


def _ascii_number_type(number: click.ParamType) -> click.ParamType:
    if isinstance(number, AsciiNumber):
        return number
    base = type(number)
    checked = _ASCII_NUMBER_TYPES.setdefault(
        base, type(f"Ascii{base.__name__}", (AsciiNumber, base), {})
    )
    copied = copy.copy(number)
    copied.__class__ = checked
    return copied


class TerminalPromptOption(click.Option):
    """An option that prompts only on a terminal; without one, a missing value is refused."""

    def prompt_for_value(self, ctx: click.Context) -> Any:
        if not click.get_text_stream("stdin").isatty():
            raise click.UsageError(
                f"missing {self.opts[-1]}: there is no terminal to ask on, so pass it"
            )
        return super().prompt_for_value(ctx)


def harden(command: click.Command) -> click.Command:
    """Gives a command (and, for a group, every command below it) the rules shared by all."""
    if type(command) is click.Group:
        command.__class__ = CoinposGroup
    for param in command.params:
        if isinstance(param.type, click.types._NumberParamTypeBase):
            param.type = _ascii_number_type(param.type)
        if isinstance(param, click.Option) and param.prompt and type(param) is click.Option:
            param.__class__ = TerminalPromptOption
    if isinstance(command, click.Group):
        for child in command.commands.values():
            harden(child)
    return command


class OneLineUsageErrors:
    """Mixed into a click command or group: every error while parsing or running it is one
    line on stderr (see `one_line_error`), and its parameters are hardened."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        harden(self)  # type: ignore[arg-type]

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        with _one_line_errors():
            return super().make_context(info_name, args, parent, **extra)  # type: ignore[misc,no-any-return]

    def invoke(self, ctx: click.Context) -> Any:
        with _one_line_errors():
            return super().invoke(ctx)  # type: ignore[misc]


class CoinposGroup(OneLineUsageErrors, click.Group):
    """A group whose errors below it become one line, and which needs a subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            names = ", ".join(self.list_commands(ctx))
            raise CommandError(f"{ctx.command_path} needs a command: {names}")
        return super().parse_args(ctx, args)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        super().add_command(harden(cmd), name)


@dataclass
class AppContext:
    db_url: str | None
    _engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        """The database, which must exist: a missing SQLite file is refused, not created."""
        if self._engine is None:
            from coinpos.db.engine import make_engine

            self._engine = make_engine(self.db_url, create=False)
        return self._engine

    def creating_engine(self) -> Engine:
        """The database, its SQLite file (and folder) created if missing: for `db upgrade`."""
        if self._engine is None:
            from coinpos.db.engine import make_engine

            self._engine = make_engine(self.db_url, create=True)
        return self._engine


pass_app = click.make_pass_decorator(AppContext)


@contextmanager
def unit_of_work(app: AppContext) -> Iterator[UnitOfWork]:
    from coinpos.unit_of_work import UnitOfWork

    with UnitOfWork(app.engine) as uow:
        yield uow


def node_options(reads: str, from_deployments: str) -> Callable[[F], F]:
    """--rpc, --escrow and --network for a command that reads the escrow: what it `reads`
    of it, and what it takes `from_deployments` with --network."""

    def decorate(func: F) -> F:
        for option in reversed(
            (
                click.option(
                    "--rpc", "rpc_url", envvar="COINPOS_RPC_URL", required=True,
                    metavar="URL", help="Node URL (default: $COINPOS_RPC_URL).",
                ),
                click.option(
                    "--escrow", type=ADDRESS, envvar="COINPOS_ESCROW_ADDRESS",
                    help=f"PaymentEscrow address whose {reads} (default: "
                    "$COINPOS_ESCROW_ADDRESS).",
                ),
                click.option(
                    "--network", "network_choice", metavar="ECOSYSTEM:NETWORK",
                    help=f"Read {from_deployments} from deployments/ for this network.",
                ),
            )
        ):  # fmt: skip
            func = option(func)
        return func

    return decorate


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


def _shown(value: Any) -> Any:
    """A value as a table shows it: a coin amount as whole coins with its symbol."""
    from coinpos.money import CoinAmount

    return str(value) if isinstance(value, CoinAmount) else _jsonable(value)


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
    convert = _jsonable if as_json else _shown
    clean = [{k: convert(v) for k, v in row.items()} for row in rows]
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
    cells = [[_text(row[key], (short or {}).get(key, {})) for key in shown] for row in clean]
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


def _text(value: Any, short: Mapping[str, str]) -> str:
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


def _database_url(value: str) -> str:
    from coinpos.db.engine import parse_database_url

    parse_database_url(value)
    return value


DATABASE_URL = _Converting("url", _database_url)


def _unwritable_folder(folder: Path) -> str | None:
    """Why files cannot be written in `folder` (which must exist), or None."""
    if not folder.is_dir():
        return f"folder {folder} does not exist" if not folder.exists() else f"{folder} is a file"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"folder {folder} is not writable"
    return None


class TextFile(click.Path):
    """A file to read as UTF-8 text: a missing, binary or undecodable file is refused."""

    def __init__(self) -> None:
        super().__init__(exists=True, dir_okay=False, readable=True, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = Path(os.fsdecode(super().convert(value, param, ctx)))
        data = path.read_bytes()
        try:
            if b"\0" in data:
                raise UnicodeError
            data.decode("utf-8")
        except UnicodeError:
            self.fail(f"{path} is not a UTF-8 text file", param, ctx)
        return path


class OutputFile(click.File):
    """A file to write ('-' for stdout), opened only when first written; its folder must exist
    and be writable, so a command refuses before it changes anything."""

    def __init__(self) -> None:
        super().__init__("w", encoding="utf-8", lazy=True)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str | Path) and str(value) != "-":
            path = Path(value)
            problem = f"{path} is a folder" if path.is_dir() else _unwritable_folder(path.parent)
            if problem:
                self.fail(problem, param, ctx)
        return super().convert(value, param, ctx)


class OutputPath(click.Path):
    """A path the command writes to: a file whose folder exists and is writable, or (with
    `folder=True`) a folder, created if missing under a writable existing one."""

    def __init__(self, folder: bool = False) -> None:
        super().__init__(file_okay=not folder, dir_okay=folder, path_type=Path)
        self.folder = folder

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = Path(os.fsdecode(super().convert(value, param, ctx)))
        if self.folder:
            existing = path
            while not existing.exists() and existing != existing.parent:
                existing = existing.parent
            problem = _unwritable_folder(existing)
        else:
            problem = _unwritable_folder(path.parent)
        if problem:
            self.fail(problem, param, ctx)
        return path


TEXT_FILE = TextFile()
OUTPUT_FILE = OutputFile()
OUTPUT_FOLDER = OutputPath(folder=True)
OUTPUT_PATH = OutputPath()
