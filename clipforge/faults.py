"""Fault injection and outage detection for workers.

Two concerns, both about surviving trouble rather than causing it:

- `FaultInjector` fails a share of stage attempts on purpose (`fault_injection_rate`), before
  the stage runs, with a retryable error. It proves in staging that retries lose nothing.
  The choice is a hash of (seed, job id, attempt), so a run with a fixed seed fails exactly
  the same attempts whatever order the jobs run in, and a test can predict every retry.
- `is_outage_error` and `DependencyProbe` tell a dependency outage (database or storage not
  answering) from a job's own failure, so a worker can wait for the dependency to return
  instead of spending the job's attempts against a server that is down.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Protocol

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from clipforge.pipeline.base import RetryableError
from clipforge.storage import ObjectNotFound, StorageError


class InjectedFault(RetryableError):
    """A failure made on purpose by `fault_injection_rate`; the retry policy handles it."""


class FaultInjector:
    """Decides, per job attempt, whether to fail it on purpose."""

    def __init__(self, rate: float, seed: str | None = None) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("fault injection rate must be between 0 and 1")
        self.rate = rate
        # A random seed by default: production runs differ; tests pass their own.
        self._seed = seed if seed is not None else secrets.token_hex(8)

    @property
    def enabled(self) -> bool:
        return self.rate > 0.0

    def should_fail(self, job_id: str, attempt: int) -> bool:
        if self.rate <= 0.0:
            return False
        digest = hashlib.sha256(f"{self._seed}:{job_id}:{attempt}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2.0**64 < self.rate

    def check(self, queue: str, job_id: str, attempt: int) -> None:
        """Raise `InjectedFault` when this attempt is one to fail."""
        if self.should_fail(job_id, attempt):
            raise InjectedFault(
                f"injected fault ({self.rate:.0%} of {queue} attempts fail on purpose)"
            )


def is_outage_error(error: BaseException) -> bool:
    """Could `error` come from a dependency that is down rather than from the job itself?

    Only a hint: the worker confirms it with a probe before it waits (see DependencyProbe).
    """
    if isinstance(error, ObjectNotFound):
        return False
    if isinstance(error, OperationalError | InterfaceError | PoolTimeoutError | StorageError):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


class DependencyProbe(Protocol):
    async def failing(self) -> list[str]:
        """Names of the dependencies that do not answer now (empty when all do)."""
        ...
