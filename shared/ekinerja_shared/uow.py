"""The unit of work: the one way every service runs a use case in a transaction.

``await uow.run(services.create_entry, tenant_id, nip, data)`` opens a session, begins a
transaction, calls ``create_entry(session, tenant_id, nip, data)`` and commits: the state
change and its outbox events commit together. Decided here, once:

- a concurrent writer that won a unique key (``IntegrityError``), a serialization failure or
  a deadlock: the whole use case is run again, up to ``attempts`` times (two uploads
  evaluating the same employee-day at once);
- a concurrent change of a versioned row (``StaleDataError``, optimistic locking) or a
  conflict that is still there after the last attempt: ``Conflict`` (HTTP 409) with a
  message for staff;
- a ``DomainError`` (a rule refused) is reported to ``on_refusal`` (metrics) and re-raised;
  nothing of the transaction is kept;
- a refusal whose record must be kept (a failed sign-in's audit row and throttle counter):
  the use case *returns* ``Refused(error)``; the transaction commits, then ``error`` is
  raised (and reported) as above.

Reads use ``uow.read()``, a session without an explicit transaction. The plumbing under the
use cases (the consumer's inbox batches, the outbox relay), which decides retries and errors
itself, takes ``uow.transaction()``: one bound transaction, nothing retried or mapped.

Regency isolation (``tenancy``): ``uow.in_tenant(t)`` is the same unit of work bound to one
regency (each transaction sets ``app.tenant_id``, so PostgreSQL's row-level security shows
only that regency's rows); ``uow.cross_tenant("job")`` is for the few named jobs that must
see every regency. An unbound unit of work sees no tenant-scoped row on PostgreSQL.

The binding is the first statement of every transaction (an unbound one says "no regency"),
and it is the pool's liveness check: a pooled connection that died while idle (PostgreSQL
restarted, its backend terminated) fails that statement, SQLAlchemy invalidates it with every
connection the pool held before, and the binding runs once more on a fresh connection. The
engines have no ``pool_pre_ping``, which cost three round trips (``BEGIN``, ``;``,
``ROLLBACK``) at every checkout.

Planning (``uow.custom_plans()``): asyncpg prepares every statement, and after five
executions PostgreSQL may keep one generic plan for any parameter. Then a key list's array
parameter (``db.one_of``) is a filter searched element by element on every row the plan
reads, and a plan chosen while a table was nearly empty (a new deployment's first roster)
reads the regency's every row for each batch: scoring's directory batches of 1,000 went
from 0.3 s to 1.2-1.5 s each as its tables filled (docs/perf/roster.md, round 6). The
consumers of rare, large batches (the directory) have their statements planned for the
values of each execution; the frequent ones keep generic plans, whose planning every
statement would cost (a fifth of the fact consumers' throughput, measured).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from .db import plan_for_values
from .errors import Conflict, DomainError
from .tenancy import bind_cross_tenant, bind_none, bind_tenant

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

CONCURRENT_CHANGE = ("Data ini baru saja diubah oleh pengguna lain; muat ulang lalu coba "
                     "lagi.")

# PostgreSQL SQLSTATEs worth running the transaction again for
_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected


def is_conflict(exc: BaseException) -> bool:
    """A concurrent writer won (a unique key, a serialization failure, a deadlock): the
    transaction is worth running again."""
    if isinstance(exc, IntegrityError):
        return True
    if isinstance(exc, DBAPIError):
        orig = exc.orig
        code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        return code in _RETRYABLE_SQLSTATES
    return False


@dataclass(frozen=True)
class Refused:
    """Returned by a use case to have its transaction committed and then be refused with
    ``error``: what it recorded (an audit row, a throttle counter) is kept."""

    error: DomainError


class UnitOfWork:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        attempts: int = 3,
        conflict_message: str = CONCURRENT_CHANGE,
        conflict_code: str = "concurrent_change",
        on_refusal: Callable[[DomainError], None] | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self._attempts = attempts
        self._conflict_message = conflict_message
        self._conflict_code = conflict_code
        self._on_refusal = on_refusal
        self.tenant_id: str | None = None
        self.cross_tenant_job: str | None = None
        self._after: Callable[[AsyncSession, Any], None] | None = None
        self.forces_custom_plans = False  # see custom_plans()

    def in_tenant(self, tenant_id: str) -> "UnitOfWork":
        """This unit of work, bound to one regency."""
        bound = copy.copy(self)
        bound.tenant_id, bound.cross_tenant_job = tenant_id, None
        return bound

    def cross_tenant(self, job: str) -> "UnitOfWork":
        """This unit of work, for a named job that must see every regency."""
        bound = copy.copy(self)
        bound.tenant_id, bound.cross_tenant_job = None, job
        return bound

    def audited(self, after: Callable[[AsyncSession, Any], None]) -> "UnitOfWork":
        """This unit of work, running ``after(session, result)`` once the use case returned,
        in its transaction (``ekinerja_shared.audit`` stages the audit record there: it
        commits, or rolls back, with the change)."""
        bound = copy.copy(self)
        bound._after = after
        return bound

    def custom_plans(self) -> "UnitOfWork":
        """This unit of work, each statement of its transactions planned for the values it
        is executed with, not a cached generic plan (PostgreSQL; see the module doc)."""
        bound = copy.copy(self)
        bound.forces_custom_plans = True
        return bound

    async def _bind(self, session: AsyncSession) -> None:
        if self.tenant_id is not None:
            await bind_tenant(session, self.tenant_id)
        elif self.cross_tenant_job is not None:
            await bind_cross_tenant(session, self.cross_tenant_job)
        else:
            await bind_none(session)
        if self.forces_custom_plans:
            await plan_for_values(session)

    async def _begin(self, session: AsyncSession) -> None:
        """The session's transaction, begun by its binding; once more on a fresh connection
        when the pooled one was dead (nothing else has run in the transaction yet)."""
        try:
            await self._bind(session)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            log.info("dead pooled connection replaced: %s", exc.orig.__class__.__name__)
            await session.rollback()
            await self._bind(session)

    async def run(
        self,
        fn: Callable[Concatenate[AsyncSession, P], Awaitable[T | Refused]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """``fn(session, *args, **kwargs)`` in one transaction, committed on return; a
        ``Refused`` result is committed, then its error raised."""
        for attempt in range(1, self._attempts + 1):
            try:
                async with self.transaction() as session:
                    result = await fn(session, *args, **kwargs)
                    if self._after is not None and not isinstance(result, Refused):
                        self._after(session, result)
                if isinstance(result, Refused):
                    raise result.error
                return result
            except StaleDataError as exc:
                raise self._refused(Conflict(self._conflict_message,
                                             code=self._conflict_code)) from exc
            except DomainError as exc:
                raise self._refused(exc) from None
            except DBAPIError as exc:
                if not is_conflict(exc):
                    raise
                if attempt == self._attempts:
                    raise self._refused(Conflict(self._conflict_message,
                                                 code=self._conflict_code)) from exc
                log.info("transaction conflict in %s, retrying (%d/%d): %s",
                         getattr(fn, "__name__", "work"), attempt, self._attempts,
                         exc.__class__.__name__)
                await asyncio.sleep(0.01 * attempt)
        raise AssertionError("unreachable")

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One transaction, bound like this unit of work, committed when the block ends
        (rolled back when it raises); nothing retried, no error mapped."""
        async with self.sessionmaker() as session:
            await self._begin(session)
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            if session.in_transaction():
                await session.commit()

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reading (no explicit transaction; nothing is committed)."""
        async with self.sessionmaker() as session:
            await self._begin(session)
            yield session

    def _refused(self, exc: DomainError) -> DomainError:
        if self._on_refusal is not None:
            self._on_refusal(exc)
        return exc
