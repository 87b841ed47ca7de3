"""Who is calling: FastAPI dependencies that return a small typed principal, or refuse.

- `current_terminal`: a POS terminal's API key (`Authorization: Bearer cpk_…`), any role.
- `require_manager`: the same, with the manager role (a terminal key gets 403).
- `current_customer`: a customer's session token (`Authorization: Bearer <token>`).
- `store_terminal` / `store_manager`: as the first two, for routes under
  `/stores/{store_id}`; a key of another store gets 404, exactly as a store that does not
  exist, so nothing tells a key holder which other stores there are.

No credentials or invalid ones get 401 with `WWW-Authenticate: Bearer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy import Engine

from coinpos.apikeys.service import KEY_SCHEME, InvalidKeyError, authenticate_key
from coinpos.customers.sessions import InvalidSessionError, authenticate_session
from coinpos.db.models import KeyRole
from coinpos.server.database import engine_of
from coinpos.server.problems import ProblemError
from coinpos.unit_of_work import UnitOfWork

terminal_bearer = HTTPBearer(
    scheme_name="TerminalKey",
    description="A POS terminal's API key (`coinpos terminals issue-key`).",
    auto_error=False,
)
customer_bearer = HTTPBearer(
    scheme_name="CustomerSession",
    description="A customer's session token from `POST /api/v1/sessions`.",
    auto_error=False,
)


@dataclass(frozen=True)
class TerminalPrincipal:
    key_prefix: str
    store_id: str
    terminal_code: str
    role: KeyRole

    @property
    def is_manager(self) -> bool:
        return self.role is KeyRole.MANAGER

    @property
    def principal_id(self) -> str:
        return f"key:{self.key_prefix}"


@dataclass(frozen=True)
class CustomerPrincipal:
    customer_id: int
    login_id: str
    session_id: int

    @property
    def principal_id(self) -> str:
        return f"customer:{self.customer_id}"


def unauthenticated(detail: str) -> ProblemError:
    return ProblemError(401, detail, "unauthenticated", {"WWW-Authenticate": "Bearer"})


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthenticated("credentials are required: Authorization: Bearer <key>")
    return credentials.credentials


def current_terminal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(terminal_bearer)],
) -> TerminalPrincipal:
    token = _token(credentials)
    try:
        with UnitOfWork(engine_of(request)) as uow:
            holder = authenticate_key(uow, token)
    except InvalidKeyError as exc:
        raise unauthenticated(str(exc)) from None
    return TerminalPrincipal(holder.prefix, holder.store_id, holder.terminal_code, holder.role)


def principal_of_header(engine: Engine, authorization: str) -> str | None:
    """The principal id a valid `Authorization` header speaks for (a key's or a customer's),
    None for missing, malformed, revoked or expired credentials. Read the same way as the
    dependencies above, so spelling variants of one header are one principal."""
    scheme, token = get_authorization_scheme_param(authorization)
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        with UnitOfWork(engine) as uow:
            if token.startswith(f"{KEY_SCHEME}_"):
                return f"key:{authenticate_key(uow, token).prefix}"
            return f"customer:{authenticate_session(uow, token).customer_id}"
    except (InvalidKeyError, InvalidSessionError):
        return None


def require_manager(
    principal: Annotated[TerminalPrincipal, Depends(current_terminal)],
) -> TerminalPrincipal:
    if not principal.is_manager:
        raise ProblemError(403, "this needs a key with the manager role", "forbidden")
    return principal


def current_customer(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(customer_bearer)],
) -> CustomerPrincipal:
    token = _token(credentials)
    try:
        with UnitOfWork(engine_of(request)) as uow:
            holder = authenticate_session(uow, token)
    except InvalidSessionError as exc:
        raise unauthenticated(str(exc)) from None
    return CustomerPrincipal(holder.customer_id, holder.login_id, holder.session_id)


StoreId = Annotated[
    str,
    Path(
        description="The store's bytes32 id (0x + 64 hex digits).",
        pattern="^0x[0-9a-fA-F]{64}$",
    ),
]


def _same_store(principal: TerminalPrincipal, store_id: str) -> TerminalPrincipal:
    if store_id.lower() != principal.store_id:
        raise ProblemError(404, f"no store {store_id}", "not-found")
    return principal


def store_terminal(
    store_id: StoreId, principal: Annotated[TerminalPrincipal, Depends(current_terminal)]
) -> TerminalPrincipal:
    return _same_store(principal, store_id)


def store_manager(
    store_id: StoreId, principal: Annotated[TerminalPrincipal, Depends(current_terminal)]
) -> TerminalPrincipal:
    _same_store(principal, store_id)
    return require_manager(principal)


# Marks a manager route in the OpenAPI document (`openapi_extra=MANAGER_ROUTE`), so clients
# see which keys may call it; the authorization test checks the mark against the route.
MANAGER_ROUTE: dict[str, Any] = {"x-coinpos-role": "manager"}

Terminal = Annotated[TerminalPrincipal, Depends(store_terminal)]
Manager = Annotated[TerminalPrincipal, Depends(store_manager)]
Customer = Annotated[CustomerPrincipal, Depends(current_customer)]
