"""Engine and session factory: the connection pool lives here and nowhere else."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from clipforge.config import DatabaseTarget


def build_engine(target: DatabaseTarget) -> Engine:
    """A pooled engine: `pool_size` connections, waiting `pool_timeout` s for a free one.

    No overflow: `connection_limit` is a hard ceiling, so a deployment can size PostgreSQL's
    `max_connections` as processes x limit.
    """
    if target.is_sqlite:
        engine = create_engine(
            target.url,
            poolclass=QueuePool,
            pool_size=target.pool_size,
            max_overflow=0,
            pool_timeout=target.pool_timeout,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        target.url,
        pool_size=target.pool_size,
        max_overflow=0,
        pool_timeout=target.pool_timeout,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 5},
    )


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    # WAL lets the API read while a worker writes; foreign keys make cascades real.
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def build_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
