"""Who is calling: an API key, a dashboard session, or the local person in single-user mode.

Single-user mode: while no accounts exist and the server is bound to loopback, requests
without credentials act as the embedded local user. Cross-site requests cannot ride on that
(or on a session cookie): unsafe methods must come from our own origin, and in single-user
mode the Host must be a loopback name, which defeats DNS rebinding.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request

from clipforge import accounts
from clipforge.api.errors import ApiError
from clipforge.api.key_cache import app_key_cache, app_session_cache
from clipforge.api.ratelimit import check_rate
from clipforge.bootstrap import Resources
from clipforge.db.tables import User

SESSION_COOKIE = "clipforge_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Scope key of the caller once known (see current_principal).
_PRINCIPAL_KEY = "clipforge.principal"
#: How long "are there any accounts yet?" is cached per process.
_ACCOUNTS_TTL_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    via: Literal["key", "session", "local"]
    #: The API key's id (rate limits are per key) or None.
    key_id: str | None = None
    csrf_token: str | None = None

    @property
    def limit_id(self) -> str:
        return f"key:{self.key_id}" if self.key_id else f"user:{self.user.id}"


def is_loopback_host(host: str) -> bool:
    name = host.strip().lower().strip("[]")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _request_host(request: Request) -> str:
    host = request.headers.get("host", "")
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


async def single_user_mode(request: Request) -> bool:
    """True while no accounts exist and this server only listens on loopback."""
    state = request.app.state
    if not getattr(state, "loopback_only", False):
        return False
    cached: tuple[float, bool] | None = getattr(state, "accounts_cache", None)
    now = time.monotonic()
    if cached is None or now - cached[0] > _ACCOUNTS_TTL_SECONDS:
        res: Resources = state.resources
        exists = await asyncio.to_thread(accounts.has_accounts, res.sessions)
        cached = (now, exists)
        state.accounts_cache = cached
    return not cached[1]


def _check_same_origin(request: Request) -> None:
    """Browsers send Origin on cross-site writes; ours must match the Host we were reached by."""
    origin = request.headers.get("origin")
    if origin is None:
        return  # not a browser (curl, scripts, the CLI)
    host = request.headers.get("host", "")
    if origin not in (f"http://{host}", f"https://{host}"):
        raise ApiError(403, "forbidden", "Cross-site requests are not accepted.")


async def current_principal(request: Request) -> Principal:
    """The caller, after their per-minute rate limit is counted.

    Once per request: the answer is kept on the request's scope, so a middleware that needed
    the caller first (clipforge/api/caching.py) and the route count the request once.
    """
    known: Principal | None = request.scope.get(_PRINCIPAL_KEY)
    if known is not None:
        return known
    principal = await identify(request)
    res: Resources = request.app.state.resources
    await check_rate(
        res.redis, res.settings.redis_prefix, principal.limit_id, res.settings.rate_limit_per_minute
    )
    request.scope[_PRINCIPAL_KEY] = principal
    return principal


async def identify(request: Request) -> Principal:
    res: Resources = request.app.state.resources
    header = request.headers.get("authorization")
    secret = request.headers.get("x-api-key")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise ApiError(401, "unauthorized", "Use 'Authorization: Bearer <API key>'.")
        secret = value.strip()
    if secret:
        found = await app_key_cache(request.app.state).get_or_load(
            secret, lambda s: accounts.user_for_key(res.sessions, s)
        )
        if found is None:
            raise ApiError(401, "unauthorized", "The API key is not valid or has been revoked.")
        return Principal(found[0], "key", key_id=found[1].id)

    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        signed = await app_session_cache(request.app.state).get_or_load(
            cookie, lambda c: accounts.session_for_cookie(res.sessions, c)
        )
        if signed is not None:
            if request.method not in SAFE_METHODS:
                _check_same_origin(request)
                if request.headers.get(CSRF_HEADER) != signed.csrf_token:
                    raise ApiError(403, "csrf", "The form is stale; reload the page and try again.")
            return Principal(signed.user, "session", csrf_token=signed.csrf_token)

    if await single_user_mode(request):
        if not is_loopback_host(_request_host(request)):
            raise ApiError(403, "forbidden", "Single-user mode answers loopback host names only.")
        if request.method not in SAFE_METHODS:
            _check_same_origin(request)
        user = await asyncio.to_thread(accounts.local_user, res.sessions)
        return Principal(user, "local")
    raise ApiError(
        401, "unauthorized", "Sign in, or send an API key: 'Authorization: Bearer <key>'."
    )


async def admin_principal(
    principal: Annotated[Principal, Depends(current_principal)],
) -> Principal:
    if principal.user.role != "admin":
        raise ApiError(403, "forbidden", "This needs an operator (admin) account.")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
AdminPrincipal = Annotated[Principal, Depends(admin_principal)]
