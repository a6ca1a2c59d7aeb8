"""Property-based API test: schemathesis generates requests from our served OpenAPI schema.

The schema is loaded in-process from the ASGI app (`schemathesis.openapi.from_asgi`). Cases
are generated per operation with Hypothesis (derandomized, no deadline, bounded count) and
sent through httpx's ASGI transport on the test's own event loop, because the app's Redis
and database clients live on that loop. Every response is then checked by schemathesis:
no 5xx, a documented status code, a documented content type, a body that matches the
documented schema, and documented headers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any, cast

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from clipforge.api.app import create_app
from clipforge.bootstrap import Resources

pytestmark = pytest.mark.asyncio(loop_scope="session")

#: Upper bound on generated requests across all operations.
MAX_REQUESTS = 150
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


#: Known mismatches between the API and its documented schema, reported to the API owners and
#: tolerated here (still printed) so the test guards everything else. Remove when fixed.
KNOWN_MISMATCHES: list[str] = []


def _draw_cases(operation: Any, count: int) -> list[Any]:
    """Derandomized, deadline-free cases for one operation, at most `count`."""
    drawn: list[Any] = []

    @settings(
        max_examples=count,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def draw(data: st.DataObject) -> None:
        if len(drawn) < count:
            drawn.append(data.draw(operation.as_strategy()))

    draw()
    return drawn


def _generate(schema: Any, per_operation: int) -> list[Any]:
    return [
        case
        for result in schema.get_all_operations()
        for case in _draw_cases(cast(Any, result).ok(), per_operation)
    ]


def _prepared(case: Any) -> requests.PreparedRequest:
    """The exact request schemathesis would send (it builds requests-style kwargs).

    requests only encodes it here (url, headers, multipart/JSON body); httpx sends it.
    """
    kw = case.as_transport_kwargs(base_url="http://localhost")
    fields = ("method", "url", "headers", "files", "data", "json", "params", "cookies")
    return requests.Request(**{k: kw[k] for k in fields if k in kw}).prepare()


async def test_api_conforms_to_its_schema_under_generated_requests(
    resources: Resources,
) -> None:
    app = create_app(resources=resources)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [cast(Any, r).ok() for r in schema.get_all_operations()]
    per_operation = max(2, MAX_REQUESTS // max(1, len(operations)))
    cases = _generate(schema, per_operation)[:MAX_REQUESTS]

    failures: dict[str, list[str]] = defaultdict(list)
    known_seen: dict[str, list[str]] = defaultdict(list)
    sent = 0
    statuses: Counter[int] = Counter()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost", timeout=30
    ) as client:
        for case in cases:
            prepared = _prepared(case)
            response = await client.request(
                str(prepared.method),
                str(prepared.url),
                headers=cast(Any, dict(prepared.headers)),
                content=cast(Any, prepared.body),  # bytes or None, as requests encoded it
            )
            sent += 1
            statuses[response.status_code] += 1
            label = f"{case.method.upper()} {case.path}"
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as group:
                for failure in group.exceptions:
                    text = f"{response.status_code} {failure.title}: {failure.message[:300]}"
                    if any(known in failure.message for known in KNOWN_MISMATCHES):
                        known_seen[label].append(text.splitlines()[0])
                    else:
                        failures[label].append(text)
            except AssertionError as exc:
                failures[label].append(f"{response.status_code} {str(exc)[:300]}")

    print(
        f"\nschemathesis: {sent} generated requests over {len(operations)} operations; "
        f"status codes {dict(sorted(statuses.items()))}"
    )
    for label, problems in sorted(known_seen.items()):
        print(f"  known mismatch, {label}: {sorted(set(problems))}")
    for label, problems in sorted(failures.items()):
        print(f"  {label}:")
        for problem in sorted(set(problems)):
            print(f"    - {problem}")
    assert sent > 50
    # Requests must reach the handlers, not just bounce off authentication.
    assert sum(statuses[c] for c in (401, 403)) < sent // 2, statuses
    assert any(200 <= code < 300 for code in statuses), "some requests got past validation"
    assert not failures, "responses that break the documented API (see the printout above)"
