"""Property-based fuzzing of every operation in our OpenAPI document: zero 5xx answers,
on SQLite and on PostgreSQL (which refuses NUL in text where SQLite stores it).

Schemathesis' pytest plugin does not run on this pytest, so each operation's hypothesis
strategy is driven directly: a few hundred generated requests in all.
"""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from broker.app import create_app
from broker.context import AppContext
from broker.db.engine import transaction
from broker.services import accounts
from workers.config import Settings

EXAMPLES_PER_OPERATION = 25


def test_no_server_errors(tmp_path: Path, db_url: str):
    ctx = AppContext.from_settings(
        Settings(data_dir=tmp_path / "data", database_url=db_url, _env_file=None)  # type: ignore[call-arg]
    )
    with transaction(ctx.sessions) as session:
        account = accounts.create_account(
            session, "fuzz@example.com", initial_credits=100_000, is_admin=True
        )
        token = accounts.issue_token(session, account).token
    schema = schemathesis.openapi.from_asgi("/v1/openapi.json", create_app(ctx))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 21
    calls: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def fuzz(case) -> None:
            calls.append(case.operation.label)
            case.call_and_validate(
                headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error]
            )

        fuzz()
    ctx.close()
    assert len(calls) >= 200, len(calls)
