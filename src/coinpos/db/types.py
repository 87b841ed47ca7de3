"""Column types that keep money exact on both SQLite and PostgreSQL.

SQLite has no exact decimal type: a NUMERIC column turns integers past 2**63 and most
fractions into REAL, silently losing digits. So on SQLite these types store canonical
decimal text, and on PostgreSQL they use NUMERIC. Python code always sees `int` or
`Decimal`, never a float. Sums over text columns are done in Python.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Context, Decimal, localcontext
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

UINT256_MAX = 2**256 - 1


class Uint256(TypeDecorator[int]):
    """An EVM uint256: NUMERIC(78, 0) on PostgreSQL, decimal text on SQLite."""

    impl = sa.Numeric(78, 0)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(78))
        return dialect.type_descriptor(sa.Numeric(78, 0))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"uint256 column takes an int, got {type(value).__name__}")
        if not 0 <= value <= UINT256_MAX:
            raise ValueError(f"{value} is outside the uint256 range")
        return str(value) if dialect.name == "sqlite" else Decimal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal with a fixed scale: NUMERIC(p, s) on PostgreSQL, decimal text on SQLite.

    A value with more fractional digits than the scale is refused rather than rounded,
    so rounding only ever happens where a rule is named (see coinpos.money).
    """

    impl = sa.Numeric(38, 18)
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__(precision, scale)
        self.precision = precision
        self.scale = scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            # Sign, integer digits, point and fraction digits.
            return dialect.type_descriptor(sa.String(self.precision + 3))
        return dialect.type_descriptor(sa.Numeric(self.precision, self.scale))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal) or not value.is_finite():
            raise TypeError(f"decimal column takes a finite Decimal, got {value!r}")
        with localcontext(Context(prec=self.precision + 40)):
            quantized = value.quantize(Decimal(1).scaleb(-self.scale))
        if quantized != value:
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        if len(quantized.as_tuple().digits) > self.precision:
            raise ValueError(f"{value} does not fit NUMERIC({self.precision}, {self.scale})")
        return format(value, "f") if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        # Normalising drops the trailing zeros PostgreSQL pads to the scale, so both
        # backends hand back the same Decimal.
        if value is None:
            return None
        with localcontext(Context(prec=self.precision + 40)):
            result = Decimal(value).normalize()
            exponent = result.as_tuple().exponent
            assert isinstance(exponent, int)
            # normalize() writes 100 as 1E+2; quantize brings it back to plain digits.
            return result if exponent <= 0 else result.quantize(Decimal(1))


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp; SQLite's naive values are read back as UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def str_enum(enum_class: type[enum.StrEnum], name: str) -> sa.Enum:
    """A portable enum column: VARCHAR plus a CHECK constraint, the same on both backends."""
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def utcnow() -> datetime:
    return datetime.now(UTC)
