"""The caller of a Rigyd route: the key in ``Authorization: Bearer rgyd_live_...``.

The header is the only place Rigyd reads a key (no query parameter, no other header), so
a key never lands in an access log's URL.
"""

from __future__ import annotations

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from broker.api.deps import get_ctx
from broker.context import AppContext
from broker.db.engine import transaction
from broker.dialects.rigyd.keys import Caller, authenticate

bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer rgyd_live_...")


def caller(
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    ctx: AppContext = Depends(get_ctx),
) -> Caller:
    """No bearer credential is "Authentication required"; one that is not a working Rigyd
    key, "Invalid API key" (both 401)."""
    with transaction(ctx.sessions) as session:
        return authenticate(session, credentials.credentials if credentials else None)
