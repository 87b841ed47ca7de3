"""Every command of `coinpos`, walked from its click tree, refuses every class of bad input
the same way: exit code 2, exactly one line on stderr, nothing on stdout, no traceback, and
nothing written (the SQLite dump and the workspace listing are byte-identical after).

A command with no entry in TABLE fails `test_every_command_has_bad_input_cases`, so a new
command cannot be missed. Most classes are derived from the command's own parameters
(every number gets a malformed, a negative and a full-width value; every file read gets a
binary file; every file written gets a missing folder); the table gives a valid invocation
to vary, and the names that do not exist. The positive control runs the same check on
deliberately broken commands, and must see each of them fail.

The commands run in-process through click's CliRunner (stdout and stderr apart), against a
real SQLite file, from a workspace folder as the working directory. No case reaches a
chain: every refusal comes before a connection (that ordering is part of what is tested).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from coinpos.cli import cli
from coinpos.cli_support import AMOUNT, AsciiNumber, CoinposGroup, OutputFile, OutputPath, TextFile
from coinpos.errors import CoinposError

ESCROW = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
# anvil's well-known test account 1: signs the workspace's invoice, holds nothing anywhere.
TEST_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
TOKEN = "0x" + "11" * 20
NO_STORE = "0x" + "00" * 32
PAYER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
NETWORK = ("--network", "ethereum:local")
NO_NETWORK = ("--network", "ethereum:nosuch")
ALIAS = "nosuchalias"
ACTION = "0x" + "ab" * 32
# A well-formed claim request and signed claim (never checked against a chain here).
FIX = {
    "campaign_id": 1, "recipient": PAYER, "action_id": ACTION, "lat": "37.5", "lon": "127.0",
    "accuracy_m": 5, "timestamp": 1_764_000_000,
}  # fmt: skip
SIGNED = {
    "chain_id": 31337, "contract": ESCROW, "signer": PAYER, "signature": "0x" + "00" * 65,
    "attestation": {
        "campaign_id": 1, "recipient": PAYER, "lat_e6": 37_500_000, "lon_e6": 127_000_000,
        "action_id": ACTION, "claim_id": "0x" + "cd" * 32, "deadline": 1_764_000_000,
    },
}  # fmt: skip
# Environment variables a command reads as defaults: unset, so each case says what it means.
CLEARED_ENV = (
    "COINPOS_DATABASE_URL",
    "COINPOS_OPERATOR_KEY",
    "COINPOS_RPC_URL",
    "COINPOS_ESCROW_ADDRESS",
    "COINPOS_WEBHOOK_URL",
    "COINPOS_WEBHOOK_SECRET",
    "COINPOS_ORACLE_KEY",
    "COINPOS_DEBUG",
)


@dataclass(frozen=True)
class Entry:
    """How to call one command validly, and what does not exist for it.

    Values may use {store}, {invoice}, {files} and {db}. `unknown` lists whole invocations
    (after the command's name) naming an id, name or network that does not exist, each
    with a fragment its message must contain.
    """

    positionals: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    unknown: tuple[tuple[tuple[str, ...], str], ...] = ()
    # Numbers checked by a callback rather than by their type; and those that may be < 0.
    numbers: tuple[str, ...] = ()
    signed: tuple[str, ...] = ()
    # Where the database comes from: the root --db, the command's own --db, or nowhere.
    database: str = "root"
    # A command that creates its database by design (db upgrade, the mining commands).
    creates_database: bool = False


ADD_ACCOUNT = ("minji", PAYER, "SPARE")
REGISTER = ("--name", "Kim", "--language", "ko", "--country", "KR", "--password", "pw pw pw")
MINING_DB = ("--db", "sqlite:///{db}")
CAMPAIGN = (
    "--account", "TEST::0", "--token", TOKEN, "--lat", "37.5", "--lon", "127.0", "--radius", "100",
    "--action", "visit", "--reward", "10", "--budget", "100", "--duration", "7d",
)  # fmt: skip

TABLE: dict[str, Entry] = {
    "db upgrade": Entry(creates_database=True),
    "config show": Entry(database="none"),
    "status": Entry(),
    "customers register": Entry(
        ("newcomer",),
        REGISTER,
        numbers=("lat", "lon"),
        signed=("lat", "lon"),
        unknown=((("minji", *REGISTER), "minji"),),
    ),
    "customers unregister": Entry(("minji",), unknown=((("nobody",), "nobody"),)),
    "customers list": Entry(),
    "customers update": Entry(
        ("minji",),
        ("--name", "Kim M"),
        unknown=((("nobody", "--name", "X"), "nobody"),),
        numbers=("lat", "lon"),
        signed=("lat", "lon"),
    ),
    "customers set-password": Entry(
        ("minji",),
        ("--password", "a new secret"),
        unknown=((("nobody", "--password", "a new secret"), "nobody"),),
    ),
    "customers show": Entry(("minji",), unknown=((("nobody",), "nobody"),)),
    # An unknown login id is refused like a wrong password (exit 1), never told apart.
    "customers login-check": Entry(("minji",), ("--password", "pw")),
    "customers add-account": Entry(ADD_ACCOUNT, unknown=((("nobody", PAYER, "SPARE"), "nobody"),)),
    "stores create": Entry(
        ("Second Cafe",), ("--fiat", "KRW"), unknown=((("X", "--fiat", "XYZ"), "XYZ"),)
    ),
    "stores list": Entry(),
    "stores deactivate": Entry(("{store}",), unknown=(((NO_STORE,), NO_STORE),)),
    "stores reactivate": Entry(("{store}",), unknown=(((NO_STORE,), NO_STORE),)),
    "terminals deactivate": Entry(
        ("{store}", "POS-1"),
        unknown=(((NO_STORE, "POS-1"), NO_STORE), (("{store}", "POS-9"), "POS-9")),
    ),
    "terminals reactivate": Entry(
        ("{store}", "POS-1"),
        unknown=(((NO_STORE, "POS-1"), NO_STORE), (("{store}", "POS-9"), "POS-9")),
    ),
    "catalogue add": Entry(
        ("{store}", "LATTE"),
        ("--name", "Latte", "--price", "4.50", "--coin", "CPW"),
        unknown=(
            ((NO_STORE, "LATTE", "--name", "L", "--price", "1", "--coin", "CPW"), NO_STORE),
            (("{store}", "LATTE", "--name", "L", "--price", "1", "--coin", "DOGE"), "DOGE"),
        ),
    ),
    "catalogue update": Entry(
        ("{store}", "LATTE"),
        ("--price", "5"),
        unknown=((("{store}", "NOSUCH", "--price", "5"), "NOSUCH"),),
    ),
    "catalogue remove": Entry(("{store}", "LATTE"), unknown=((("{store}", "NOSUCH"), "NOSUCH"),)),
    "catalogue list": Entry(("{store}",), unknown=(((NO_STORE,), NO_STORE),)),
    "stores show": Entry(("{store}",), unknown=(((NO_STORE,), NO_STORE),)),
    "terminals add": Entry(
        ("{store}", "POS-2"),
        ("--label", "Back"),
        unknown=(
            ((NO_STORE, "POS-2", "--label", "Back"), NO_STORE),
            (("{store}", "POS-1", "--label", "Again"), "POS-1"),
        ),
    ),
    "terminals list": Entry(("{store}",), unknown=(((NO_STORE,), NO_STORE),)),
    "terminals issue-key": Entry(
        ("{store}", "POS-1"),
        unknown=(((NO_STORE, "POS-1"), NO_STORE), (("{store}", "POS-9"), "POS-9")),
    ),
    "terminals revoke-key": Entry(
        ("cpk_000000000000",), unknown=((("cpk_000000000000",), "cpk_000000000000"),)
    ),
    "terminals keys": Entry(("{store}",), unknown=(((NO_STORE,), NO_STORE),)),
    "serve": Entry(options=("--port", "0"), unknown=((NO_NETWORK, "nosuch"),)),
    "coins add": Entry(
        ("NEW",),
        ("--chain-id", "31337", "--decimals", "2"),
        unknown=(((("CPW", "--chain-id", "31337", "--decimals", "2")), "CPW"),),
    ),
    "coins list": Entry(),
    "rates set": Entry(("CPW", "KRW", "1000"), unknown=((("DOGE", "KRW", "100"), "DOGE"),)),
    "rates import": Entry(("{files}/rates.csv",), unknown=((("{files}/doge.csv",), "DOGE"),)),
    "rates show": Entry(("CPW", "KRW"), unknown=((("DOGE", "KRW"), "DOGE"),)),
    "settle request": Entry(
        ("{store}", "CPW"),
        ("--amount", "1", "--key", "s-1"),
        unknown=(
            ((NO_STORE, "CPW", "--amount", "1", "--key", "s-1"), NO_STORE),
            (("{store}", "DOGE", "--amount", "1", "--key", "s-1"), "DOGE"),
            (("{store}", "CPW", "--amount", "1", "--key", "s-1", *NO_NETWORK), "nosuch"),
        ),
    ),
    "settle send": Entry(options=NETWORK, unknown=((NO_NETWORK, "nosuch"),)),
    "payouts list": Entry(unknown=((("--status", "lost"), "lost"),)),
    "payouts export": Entry(options=("-o", "payouts.csv")),
    "payouts mark-paid": Entry(("1",), unknown=((("999",), "999"),)),
    "invoices create": Entry(
        ("{store}", "CPW"),
        ("--amount", "1.50", *NETWORK),
        unknown=(
            ((NO_STORE, "CPW", "--amount", "1", *NETWORK), NO_STORE),
            (("{store}", "DOGE", "--amount", "1", *NETWORK), "DOGE"),
            (("{store}", "CPW", "--amount", "1", *NO_NETWORK), "nosuch"),
        ),
    ),
    "invoices show": Entry(("{invoice}",), unknown=((("999",), "999"),)),
    "invoices prove": Entry(("{invoice}",), unknown=((("999",), "999"),)),
    "invoices list": Entry(
        unknown=((("--store", NO_STORE), NO_STORE), (("--status", "Lost"), "Lost"))
    ),
    "ops capture": Entry(("{invoice}",), NETWORK, unknown=((("999", *NETWORK), "999"),)),
    "ops capture-many": Entry(
        ("{invoice}",),
        ("--key", "b-1", *NETWORK),
        unknown=((("999", "--key", "b", *NETWORK), "999"),),
    ),
    "ops void": Entry(("{invoice}",), NETWORK, unknown=((("999", *NETWORK), "999"),)),
    "ops refund": Entry(
        ("{invoice}",),
        ("--amount", "0.01", "--key", "r-1", *NETWORK),
        unknown=((("999", "--amount", "1", "--key", "r", *NETWORK), "999"),),
    ),
    "ops sweep": Entry(
        ("{invoice}",),
        ("--key", "w-1", *NETWORK),
        unknown=((("999", "--key", "w", *NETWORK), "999"),),
    ),
    "ops recover": Entry(
        ("{invoice}", TOKEN),
        ("--transfer", f"{PAYER}:5:0x{'ab' * 32}:3", "--key", "rec-1", *NETWORK),
        unknown=(
            (
                ("999", TOKEN, "--transfer", f"{PAYER}:5:0x{'ab' * 32}", "--key", "k", *NETWORK),
                "999",
            ),
        ),
    ),
    "ops bump": Entry(("capture:1",), NETWORK, unknown=((("k", *NO_NETWORK), "nosuch"),)),
    "reports sales": Entry(("{store}",), unknown=(((NO_STORE,), NO_STORE),)),
    "track": Entry(
        options=("--rpc", "http://127.0.0.1:9"),
        unknown=((("--rpc", "http://127.0.0.1:9", *NO_NETWORK), "nosuch"),),
    ),
    "notify": Entry(
        options=("--webhook-url", "http://127.0.0.1:9/hook", "--secret", "s"),
        unknown=(),
    ),
    "reconcile": Entry(
        options=("--rpc", "http://127.0.0.1:9", "--escrow", ESCROW),
        unknown=((("--rpc", "http://127.0.0.1:9", *NO_NETWORK), "nosuch"),),
    ),
    "mining create-campaign": Entry(
        options=(*NETWORK, *MINING_DB, *CAMPAIGN),
        unknown=(((*NO_NETWORK, *MINING_DB, *CAMPAIGN), "nosuch"),),
        numbers=("lat", "lon"),
        signed=("lat", "lon"),
        database="own",
        creates_database=True,
    ),
    "mining top-up": Entry(
        ("1", "10"),
        (*NETWORK, "--account", "TEST::0"),
        unknown=((("1", "10", *NO_NETWORK, "--account", "TEST::0"), "nosuch"),),
        database="none",
    ),
    "mining register-campaign": Entry(
        ("1",),
        (*NETWORK, *MINING_DB),
        unknown=((("1", *NO_NETWORK, *MINING_DB), "nosuch"),),
        database="own",
        creates_database=True,
    ),
    "mining campaigns": Entry(options=NETWORK, unknown=((NO_NETWORK, "nosuch"),), database="none"),
    "mining check-claim": Entry(
        ("{files}/fix.json",),
        (*NETWORK, *MINING_DB, "--oracle-account", "TEST::3"),
        unknown=(
            (
                ("{files}/fix.json", *NO_NETWORK, *MINING_DB, "--oracle-account", "TEST::3"),
                "nosuch",
            ),
        ),
        database="own",
        creates_database=True,
    ),
    "mining submit-claim": Entry(
        ("{files}/signed.json",),
        (*NETWORK, *MINING_DB, "--account", "TEST::0"),
        unknown=(
            (("{files}/signed.json", *NO_NETWORK, *MINING_DB, "--account", "TEST::0"), "nosuch"),
        ),
        database="own",
        creates_database=True,
    ),
    "mining rewards": Entry(
        (PAYER,),
        (*NETWORK, *MINING_DB),
        unknown=((((PAYER, *NO_NETWORK, *MINING_DB)), "nosuch"),),
        database="own",
        creates_database=True,
    ),
}

# Each class of bad value, and what its one line must say.
BAD_NUMBERS = {"malformed number": "12x", "negative number": "-5", "full-width digits": "１２"}
TOO_LARGE = str(2**256)
EXPECTED = {
    "missing required argument": ("Missing", "missing"),
    "unknown option": ("No such option",),
    "malformed number": ("is not", "not a", "neither"),
    "negative number": ("negative", "not in the range"),
    "full-width digits": ("ASCII",),
    "number too large": ("too large", "not in the range"),
    "bad --db URL": ("database",),
    "missing SQLite folder": ("no database at",),
    "output folder": ("does not exist", "is not writable", "is a file"),
    "binary file": ("not a UTF-8 text file",),
    "unknown account alias": (ALIAS,),
    "prompt without a terminal": ("no terminal",),
}
BAD_URLS = ("foo://bar", "not a url", "")
ALIAS_OPTIONS = {"operator_alias", "account_alias", "oracle_account"}


@dataclass(frozen=True)
class Case:
    command: str
    kind: str
    args: tuple[str, ...]
    expected: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.command}: {self.kind}: {' '.join(self.args)}"


def leaf_commands(group: click.Group = cli, prefix: str = "") -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            found |= leaf_commands(command, f"{path} ")
        else:
            found[path] = command
    return found


def _is_number(param: click.Parameter, entry: Entry) -> bool:
    return (
        isinstance(param.type, click.types._NumberParamTypeBase)
        or param.type is AMOUNT
        or (param.name or "") in entry.numbers
    )


def _with_value(
    command: click.Command, entry: Entry, param: click.Parameter, value: str
) -> tuple[str, ...]:
    """The valid invocation with `value` for `param` (an argument replaced, an option added
    last, which click takes over an earlier one)."""
    if isinstance(param, click.Argument):
        arguments = [p for p in command.params if isinstance(p, click.Argument)]
        positionals = list(entry.positionals)
        positionals[arguments.index(param)] = value
        return (*positionals, *entry.options)
    return (*entry.positionals, *entry.options, param.opts[0], value)


def _db_args(
    entry: Entry, url: str, rest: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(root args, command args) giving `url` as the database the command uses."""
    if entry.database == "own":
        return (), (*rest, "--db", url)
    return ("--db", url), rest


def cases_of(path: str, command: click.Command, entry: Entry) -> list[Case]:
    words = tuple(path.split())
    valid = (*entry.positionals, *entry.options)
    found: list[Case] = []

    def add(kind: str, args: tuple[str, ...], root: tuple[str, ...] | None = None) -> None:
        prefix = ("--db", "sqlite:///{db}") if root is None else root
        expected = EXPECTED.get(kind, ())
        found.append(Case(path, kind, (*prefix, *words, *args), expected))

    if any(p.required for p in command.params):
        add("missing required argument", ())
    add("unknown option", (*valid, "--no-such-option"))
    for param in command.params:
        if _is_number(param, entry):
            for kind, value in BAD_NUMBERS.items():
                if kind == "negative number" and param.name in entry.signed:
                    continue
                add(kind, _with_value(command, entry, param, value))
            if isinstance(param.type, click.types.IntParamType):
                add("number too large", _with_value(command, entry, param, TOO_LARGE))
        if isinstance(param.type, TextFile):
            add("binary file", _with_value(command, entry, param, "{files}/binary.dat"))
        if isinstance(param.type, OutputFile | OutputPath):
            folder = getattr(param.type, "folder", False)
            where = "{files}/a_file/qr" if folder else "{ws}/nowhere/out.csv"
            add("output folder", _with_value(command, entry, param, where))
        if param.name in ALIAS_OPTIONS:
            # An alias is used only with a network: give one if the valid call has none.
            network = () if "--network" in valid else NETWORK
            add("unknown account alias", (*_with_value(command, entry, param, ALIAS), *network))
        if isinstance(param, click.Option) and param.prompt:
            without = tuple(a for a in valid if a != param.opts[0])
            given = valid[valid.index(param.opts[0]) + 1] if param.opts[0] in valid else None
            add("prompt without a terminal", tuple(a for a in without if a != given))
    for url in BAD_URLS:
        root, args = _db_args(entry, url, valid)
        add("bad --db URL", args, root)
        if entry.database == "own":
            # The root option is checked for every command, even one with its own.
            add("bad --db URL", valid, ("--db", url))
    if entry.database != "none" and not entry.creates_database:
        root, args = _db_args(entry, "sqlite:///{ws}/nowhere/coinpos.db", valid)
        add("missing SQLite folder", args, root)
    for args, fragment in entry.unknown:
        found.append(
            Case(path, "unknown id or name", ("--db", "sqlite:///{db}", *words, *args), (fragment,))
        )
    return found


def all_cases() -> list[Case]:
    commands = leaf_commands()
    return [
        case
        for path, command in commands.items()
        if path in TABLE
        for case in cases_of(path, command, TABLE[path])
    ]


# --- the workspace: a populated database and the files commands read ---------------------


@dataclass
class Workspace:
    root: Path
    store: str
    invoice: str

    @property
    def db(self) -> Path:
        return self.root / "db" / "coinpos.db"

    @property
    def files(self) -> Path:
        return self.root / "files"

    def expand(self, value: str) -> str:
        return value.format(
            store=self.store, invoice=self.invoice, files=self.files, db=self.db, ws=self.root
        )

    def invoke(self, args: tuple[str, ...], command: click.Command = cli) -> Result:
        env: dict[str, str | None] = dict.fromkeys(CLEARED_ENV)
        env["COINPOS_DEPLOYMENTS_DIR"] = str(self.root / "deployments")
        with contextlib.chdir(self.root):
            return CliRunner(mix_stderr=False).invoke(
                command, [self.expand(a) for a in args], env=env
            )

    def dump(self) -> str:
        with contextlib.closing(sqlite3.connect(self.db)) as conn:
            return "\n".join(conn.iterdump())

    def listing(self) -> list[tuple[str, str]]:
        """Every path under the workspace with its content's hash (the database's own side
        files, which SQLite manages, left out: the dump covers the database)."""
        shown = []
        for path in sorted(self.root.rglob("*")):
            if path.name.startswith("coinpos.db"):
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
            shown.append((str(path.relative_to(self.root)), digest))
        return shown


def _populate(root: Path) -> Workspace:
    from coinpos.chainops.keys import LocalKey
    from coinpos.customers.service import NewCustomer, add_account, register
    from coinpos.db.engine import make_engine
    from coinpos.db.migrate import upgrade
    from coinpos.db.models import CustomerType
    from coinpos.invoices.service import Issuer, NewInvoice, issue_invoice
    from coinpos.invoices.terms import EscrowDomain
    from coinpos.rates.service import set_rate
    from coinpos.stores.service import add_coin, add_terminal, create_store
    from coinpos.unit_of_work import UnitOfWork

    (root / "db").mkdir(parents=True)
    (root / "deployments").mkdir()
    (root / "deployments" / "ethereum-local.json").write_text(
        '{"ecosystem": "ethereum", "network": "local", "chain_id": 31337, "contracts": '
        f'{{"PaymentEscrow": {{"address": "{ESCROW}", "block": 1, "tx_hash": "0x00"}}}}}}'
    )
    files = root / "files"
    files.mkdir()
    (files / "binary.dat").write_bytes(bytes(range(256)) * 8)
    (files / "a_file").write_text("a file, not a folder\n")
    (files / "rates.csv").write_text(
        "coin,fiat,rate,observed_at\nCPW,KRW,1001,2026-01-01T00:00:00Z\n"
    )
    (files / "doge.csv").write_text(
        "coin,fiat,rate,observed_at\nDOGE,KRW,100,2026-01-01T00:00:00Z\n"
    )
    (files / "fix.json").write_text(json.dumps(FIX))
    (files / "signed.json").write_text(json.dumps(SIGNED))
    engine = make_engine(f"sqlite:///{root / 'db' / 'coinpos.db'}")
    upgrade(engine)
    with UnitOfWork(engine) as uow:
        store = create_store(uow, "Gangnam Cafe", "KRW", "Hana Bank", "123")
        add_terminal(uow, store.store_id, "POS-1", "Front")
        add_coin(uow, "CPW", 31337, 2, TOKEN)
        set_rate(uow, "CPW", "KRW", Decimal(1000))
        register(
            uow,
            NewCustomer(
                login_id="minji", name="Kim Minji", customer_type=CustomerType.INDIVIDUAL,
                language="ko", country_code="KR",
            ),
            "pw pw pw",
        )  # fmt: skip
        add_account(uow, "minji", PAYER, "MAIN")
        issuer = Issuer(
            EscrowDomain(31337, ESCROW), bytes.fromhex("6000"), LocalKey(TEST_KEY), root / "qr"
        )
        invoice = issue_invoice(
            uow,
            NewInvoice(
                store_id=store.store_id, coin="CPW", amount=1250, pay_window=timedelta(minutes=15)
            ),
            issuer,
        )
        uow.commit()
    engine.dispose()
    return Workspace(root, store.store_id, invoice.invoice_hash)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return _populate(tmp_path_factory.mktemp("bad-input"))


def check_refused(workspace: Workspace, case: Case, command: click.Command = cli) -> Result:
    """The property: exit 2, one line on stderr saying why, nothing else, nothing written
    (nor the process's environment changed)."""
    dump, listing, environment = workspace.dump(), workspace.listing(), dict(os.environ)
    result = workspace.invoke(case.args, command)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    detail = f"{case.id}\nstdout: {result.stdout!r}\nstderr: {result.stderr!r}"
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{detail}\nraised {result.exception!r}"
    )
    assert "Traceback" not in result.stderr, detail
    assert result.exit_code == 2, detail
    assert len(lines) == 1 and lines[0].startswith("error: "), detail
    assert result.stdout == "", detail
    if case.expected:
        assert any(f in lines[0] for f in map(workspace.expand, case.expected)), detail
    assert workspace.dump() == dump, f"{detail}\nthe database changed"
    assert workspace.listing() == listing, f"{detail}\nthe workspace changed"
    assert dict(os.environ) == environment, f"{detail}\nthe environment changed"
    return result


def test_every_command_has_bad_input_cases() -> None:
    commands = leaf_commands()
    missing = [path for path in commands if path not in TABLE]
    assert not missing, "; ".join(f"no bad-input cases for {path}" for path in missing)
    assert not set(TABLE) - set(commands), "table entries for commands that do not exist"


def test_every_group_and_number_inherits_the_shared_rules() -> None:
    def groups(group: click.Group) -> Iterator[click.Group]:
        yield group
        for command in group.commands.values():
            if isinstance(command, click.Group):
                yield from groups(command)

    assert all(isinstance(g, CoinposGroup) for g in groups(cli))
    for path, command in leaf_commands().items():
        for param in command.params:
            if isinstance(param.type, click.types._NumberParamTypeBase):
                assert isinstance(param.type, AsciiNumber), f"{path} {param.name}"


@pytest.mark.parametrize("case", all_cases(), ids=lambda case: case.id)
def test_bad_input__one_line_exit_2_nothing_written(workspace: Workspace, case: Case) -> None:
    check_refused(workspace, case)


# --- the positive control: the check finds each kind of break ----------------------------


def _broken_commands(workspace: Workspace) -> dict[str, Callable[[], None]]:
    def writes_then_fails() -> None:
        from coinpos.db.engine import make_engine
        from coinpos.stores.service import create_store
        from coinpos.unit_of_work import UnitOfWork

        engine = make_engine(f"sqlite:///{workspace.db}")
        with UnitOfWork(engine) as uow:
            create_store(uow, "Half Written", "KRW", None, None)
        engine.dispose()
        raise CoinposError("refused after writing")

    def two_lines() -> None:
        click.echo("warning: first", err=True)
        raise CoinposError("second")

    def prints_then_fails() -> None:
        click.echo("partial output")
        raise CoinposError("refused after printing")

    def creates_a_file() -> None:
        (workspace.root / "left-behind.txt").write_text("x")
        raise CoinposError("refused after writing a file")

    def exits_with_1() -> None:
        click.echo("error: refused", err=True)
        raise click.exceptions.Exit(1)

    def crashes() -> None:
        raise RuntimeError("a bug")

    return {
        "writes-then-fails": writes_then_fails,
        "two-lines": two_lines,
        "prints-then-fails": prints_then_fails,
        "creates-a-file": creates_a_file,
        "exits-with-1": exits_with_1,
        "crashes": crashes,
    }


@pytest.fixture
def broken_cli(workspace: Workspace) -> Iterator[click.Group]:
    group = CoinposGroup("broken")
    for name, body in _broken_commands(workspace).items():
        group.add_command(click.Command(name, callback=body))
    root = CoinposGroup("coinpos", params=[click.Option(["--db"])], callback=lambda db: None)
    root.add_command(group)
    yield root


@pytest.mark.parametrize(
    "name",
    [
        "writes-then-fails",
        "two-lines",
        "prints-then-fails",
        "creates-a-file",
        "exits-with-1",
        "crashes",
    ],
)
def test_positive_control__a_broken_command_fails_the_check(
    workspace: Workspace, broken_cli: click.Group, name: str
) -> None:
    case = Case("broken", "control", ("--db", "x", "broken", name), ())
    with pytest.raises(AssertionError):
        check_refused(workspace, case, broken_cli)


def test_positive_control__a_clean_refusal_passes_the_check(
    workspace: Workspace, broken_cli: click.Group
) -> None:
    group = broken_cli.commands["broken"]
    assert isinstance(group, click.Group)

    def refuses() -> None:
        raise CoinposError("refused cleanly")

    group.add_command(click.Command("refuses", callback=refuses))
    check_refused(
        workspace, Case("broken", "control", ("--db", "x", "broken", "refuses"), ()), broken_cli
    )


def case_counts() -> dict[str, int]:
    """Cases by class, for the report: `python -c 'from tests...test_bad_input import
    case_counts; print(case_counts())'`."""
    counts: dict[str, int] = {}
    for case in all_cases():
        counts[case.kind] = counts.get(case.kind, 0) + 1
    return counts
