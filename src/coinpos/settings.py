"""Settings of the staff CLI: a TOML file, the environment, and command-line flags.

Each setting has one environment variable, the one the code reads (`COINPOS_DATABASE_URL`
and so on). The file, `coinpos.toml` in the working directory or the one `--config`
names, holds the same settings under their short names:

    database_url = "postgresql+psycopg://coinpos@db.example/coinpos"
    rpc_url = "http://127.0.0.1:8545"

The order is flag > environment > file > default. The file's values are put into the
environment for the duration of a command, only where the environment has none, so every
reader of a `COINPOS_*` variable (and every click option with an `envvar`) sees them
without knowing about the file, and flags still override both.

Private keys never come from a file (only from the environment or an ape account), and
`coinpos config show` never prints a secret in clear.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from coinpos.errors import CoinposError

DEFAULT_FILE = Path("coinpos.toml")
# Where the root command leaves the loaded settings in click's context, for `config show`.
SETTINGS_META_KEY = "coinpos.settings"

Source = Literal["flag", "env", "file", "default"]

# The password of a URL's user part: `scheme://user:PASSWORD@host`.
_URL_PASSWORD = re.compile(r"^(?P<head>[^:/?#]+://[^:/@]*:)[^@/]*(?P<tail>@)")


class SettingsError(CoinposError):
    """A configuration file that cannot be used."""


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    description: str
    secret: bool = False
    # Private keys are refused in a file: they come from the environment or an ape account.
    file_allowed: bool = True
    default: str | None = None


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database_url",
        "COINPOS_DATABASE_URL",
        "database URL (`--db` overrides)",
        default="sqlite:///.coinpos/coinpos.db",
    ),
    Setting(
        "deployments_dir",
        "COINPOS_DEPLOYMENTS_DIR",
        "folder of deployment artifacts",
        default="deployments",
    ),
    Setting("rpc_url", "COINPOS_RPC_URL", "node URL read by `track` and `status`"),
    Setting("escrow_address", "COINPOS_ESCROW_ADDRESS", "PaymentEscrow address for `track`"),
    Setting("webhook_url", "COINPOS_WEBHOOK_URL", "where `notify` POSTs notifications"),
    Setting("webhook_secret", "COINPOS_WEBHOOK_SECRET", "HMAC key of the webhooks", secret=True),
    Setting(
        "operator_key",
        "COINPOS_OPERATOR_KEY",
        "operator private key (environment only)",
        secret=True,
        file_allowed=False,
    ),
    Setting(
        "oracle_key",
        "COINPOS_ORACLE_KEY",
        "oracle private key (environment only)",
        secret=True,
        file_allowed=False,
    ),
)
BY_NAME = {setting.name: setting for setting in SETTINGS}


@dataclass(frozen=True)
class Effective:
    """A setting's value and where it came from."""

    setting: Setting
    value: str | None
    source: Source

    @property
    def shown(self) -> str | None:
        """The value as it may be printed: a secret is only said to be set, and a URL's
        password is masked."""
        if self.value is None:
            return None
        if self.setting.secret:
            return f"<hidden, {len(self.value)} characters>"
        return _URL_PASSWORD.sub(r"\g<head>***\g<tail>", self.value)


@dataclass(frozen=True)
class Settings:
    file: Path | None
    from_file: dict[str, str]
    effective: tuple[Effective, ...]

    def value(self, name: str) -> str | None:
        return next(e.value for e in self.effective if e.setting.name == name)

    @contextmanager
    def exported(self, environ: MutableMapping[str, str] | None = None) -> Iterator[None]:
        """Puts the file's values into the environment where it has none (or an empty
        value, which the readers take as none), and restores the environment afterwards."""
        target = os.environ if environ is None else environ
        replaced: dict[str, str | None] = {}
        for name, value in self.from_file.items():
            variable = BY_NAME[name].env
            if not target.get(variable):
                replaced[variable] = target.get(variable)
                target[variable] = value
        try:
            yield
        finally:
            for variable, before in replaced.items():
                if before is None:
                    target.pop(variable, None)
                else:
                    target[variable] = before


def read_file(path: Path) -> dict[str, str]:
    """The settings a TOML file holds, checked: known names, string values, no keys."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"config file {path} does not exist") from None
    except IsADirectoryError:
        raise SettingsError(f"config file {path} is a folder") from None
    except UnicodeDecodeError:
        raise SettingsError(f"config file {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise SettingsError(f"config file {path} cannot be read: {exc.strerror}") from None
    values: dict[str, str] = {}
    for name, value in raw.items():
        setting = BY_NAME.get(name)
        if setting is None:
            known = ", ".join(s.name for s in SETTINGS if s.file_allowed)
            raise SettingsError(f"config file {path}: unknown setting {name!r} (known: {known})")
        if not setting.file_allowed:
            raise SettingsError(
                f"config file {path}: {name} is not read from a file; "
                f"set ${setting.env} or use an ape account"
            )
        if not isinstance(value, str):
            raise SettingsError(
                f"config file {path}: {name} must be a string, not {_toml_type(value)}"
            )
        if not value:
            raise SettingsError(f"config file {path}: {name} is empty")
        values[name] = value
    return values


def _toml_type(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a float", list: "an array"}
    if isinstance(value, dict):
        return "a table"
    return names.get(type(value), f"a {type(value).__name__}")


def load(
    config: Path | None = None,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, str | None] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """The effective settings: `flags` > `environ` > the file > the defaults.

    The file is `config` when given (it must exist), else `coinpos.toml` in `cwd` if there.
    """
    env = os.environ if environ is None else environ
    if config is None:
        candidate = DEFAULT_FILE if cwd is None else cwd / DEFAULT_FILE
        config = candidate if candidate.is_file() else None
    from_file = read_file(config) if config is not None else {}
    given = {name: value for name, value in (flags or {}).items() if value is not None}
    effective = []
    for setting in SETTINGS:
        value: str | None
        source: Source
        if setting.name in given:
            value, source = given[setting.name], "flag"
        elif env.get(setting.env):
            value, source = env[setting.env], "env"
        elif setting.name in from_file:
            value, source = from_file[setting.name], "file"
        else:
            value, source = setting.default, "default"
        effective.append(Effective(setting, value, source))
    return Settings(config, from_file, tuple(effective))
