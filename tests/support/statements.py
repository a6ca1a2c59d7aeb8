"""Counting the SQL statements a piece of code sends (N+1 checks, reads that must skip the
database)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event


class StatementCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []


@contextmanager
def counting(engine: Engine) -> Iterator[StatementCounter]:
    counter = StatementCounter()

    def before(_conn, _cursor, statement, _params, _context, _many) -> None:
        counter.statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before)
