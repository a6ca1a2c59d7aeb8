"""Users, API keys and dashboard sessions. Owns its transactions, like services.py.

Secrets are never stored: passwords as argon2id hashes, API keys and session cookies as
SHA-256 digests (they are 256-bit random values, so a fast hash cannot be brute-forced).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from clipforge.db.tables import ApiKey, User, WebSession

KEY_PREFIX = "cf_"
LOCAL_EMAIL = "local@clipforge.invalid"
SESSION_LIFETIME = timedelta(days=14)
#: last_used_at is refreshed at most this often, so a busy key does not write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MIN_PASSWORD_LENGTH = 10

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")
_hasher = PasswordHasher()
#: Verified against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message says why."""


@dataclass(frozen=True, slots=True)
class NewKey:
    key: ApiKey
    #: The full key: shown once, never stored.
    secret: str


@dataclass(frozen=True, slots=True)
class SignedIn:
    user: User
    csrf_token: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything we store is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def normalise_email(email: str) -> str:
    cleaned = email.strip().lower()
    if not _EMAIL.match(cleaned):
        raise AccountError(f"{email!r} is not a valid email address.")
    return cleaned


# --- users -----------------------------------------------------------------------------------


def create_user(
    sessions: sessionmaker[Session], email: str, *, password: str | None = None, admin: bool = False
) -> User:
    address = normalise_email(email)
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.")
    with sessions.begin() as session:
        if session.scalar(select(User).where(User.email == address)) is not None:
            raise AccountError(f"A user with the email {address} already exists.")
        user = User(
            id=uuid4().hex,
            email=address,
            password_hash=_hasher.hash(password) if password else None,
            role="admin" if admin else "user",
            is_local=False,
        )
        session.add(user)
        return user


def find_user(sessions: sessionmaker[Session], email: str) -> User:
    address = normalise_email(email)
    with sessions() as session:
        user = session.scalar(select(User).where(User.email == address, User.is_local.is_(False)))
        if user is None:
            raise AccountError(f"No user with the email {address}.")
        return user


def has_accounts(sessions: sessionmaker[Session]) -> bool:
    """True once any real (non-local) user exists: embedded single-user mode is then over."""
    with sessions() as session:
        count = session.scalar(
            select(func.count()).select_from(User).where(User.is_local.is_(False))
        )
        return bool(count)


def local_user(sessions: sessionmaker[Session]) -> User:
    """The implicit owner of work in embedded single-user mode (created on first use)."""
    with sessions() as session:
        user = session.scalar(select(User).where(User.is_local.is_(True)))
        if user is not None:
            return user
    try:
        with sessions.begin() as session:
            user = User(
                id=uuid4().hex, email=LOCAL_EMAIL, password_hash=None, role="admin", is_local=True
            )
            session.add(user)
            return user
    except Exception:
        # Another process created it first (unique email); use theirs.
        with sessions() as session:
            existing = session.scalar(select(User).where(User.is_local.is_(True)))
            if existing is None:
                raise
            return existing


# --- API keys --------------------------------------------------------------------------------


def create_key(sessions: sessionmaker[Session], user_id: str, name: str) -> NewKey:
    label = name.strip()[:100] or "default"
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    with sessions.begin() as session:
        if session.get(User, user_id) is None:
            raise AccountError("No such user.")
        key = ApiKey(
            id=uuid4().hex,
            user_id=user_id,
            name=label,
            prefix=secret[:11],
            key_hash=digest(secret),
        )
        session.add(key)
        return NewKey(key, secret)


def list_keys(sessions: sessionmaker[Session], user_id: str) -> list[ApiKey]:
    with sessions() as session:
        rows = session.scalars(
            select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at)
        )
        return list(rows)


def revoke_key(sessions: sessionmaker[Session], user_id: str, key_id: str) -> ApiKey:
    """Revoke one of the user's keys (another user's key is 'not found', never 'forbidden')."""
    with sessions.begin() as session:
        key = session.get(ApiKey, key_id)
        if key is None or key.user_id != user_id:
            raise AccountError("No such API key.")
        if key.revoked_at is None:
            key.revoked_at = _now()
        return key


def user_for_key(sessions: sessionmaker[Session], secret: str) -> tuple[User, ApiKey] | None:
    if not secret.startswith(KEY_PREFIX) or len(secret) > 200:
        return None
    with sessions() as session:
        key = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest(secret)))
        if key is None or key.revoked_at is not None:
            return None
        user = key.user
        stale = key.last_used_at is None or _now() - _aware(key.last_used_at) > LAST_USED_RESOLUTION
    if stale:
        with sessions.begin() as session:
            row = session.get(ApiKey, key.id)
            if row is not None:
                row.last_used_at = _now()
    return user, key


# --- dashboard sessions ----------------------------------------------------------------------


def sign_in(sessions: sessionmaker[Session], email: str, password: str) -> tuple[str, SignedIn]:
    """Check a password; return the new session's cookie value. Same error for every miss."""
    failure = AccountError("The email or password is not right.")
    try:
        address = normalise_email(email)
    except AccountError:
        raise failure from None
    with sessions() as session:
        user = session.scalar(select(User).where(User.email == address, User.is_local.is_(False)))
    try:
        _hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise failure from None
    if user is None or not user.password_hash:
        raise failure
    return start_session(sessions, user)


def start_session(sessions: sessionmaker[Session], user: User) -> tuple[str, SignedIn]:
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    with sessions.begin() as session:
        session.execute(delete(WebSession).where(WebSession.expires_at < _now()))
        session.add(
            WebSession(
                id=digest(cookie),
                user_id=user.id,
                csrf_token=csrf,
                expires_at=_now() + SESSION_LIFETIME,
            )
        )
    return cookie, SignedIn(user, csrf)


def session_for_cookie(sessions: sessionmaker[Session], cookie: str) -> SignedIn | None:
    if not cookie or len(cookie) > 200:
        return None
    with sessions() as session:
        row = session.get(WebSession, digest(cookie))
        if row is None or _aware(row.expires_at) < _now():
            return None
        return SignedIn(row.user, row.csrf_token)


def sign_out(sessions: sessionmaker[Session], cookie: str) -> None:
    with sessions.begin() as session:
        session.execute(delete(WebSession).where(WebSession.id == digest(cookie)))


def sign_in_with_key(sessions: sessionmaker[Session], secret: str) -> tuple[str, SignedIn]:
    """Dashboard sign-in by API key: the key proves who you are; a session is issued."""
    found = user_for_key(sessions, secret.strip())
    if found is None:
        raise AccountError("That API key is not valid or has been revoked.")
    return start_session(sessions, found[0])
