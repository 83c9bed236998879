"""MCP authentication: the bearer token is a DIA3 API key, checked on every HTTP request.

The SDK calls :class:`KeyVerifier` for each request to the MCP endpoint and answers 401 itself
when it returns None, so no tool ever runs for an unknown, revoked or expired key; a key's use
is recorded as on the REST API. Tools then turn the verified token back into the same
:class:`~app.auth.keys.Principal` the REST API uses, so roles and tenant scoping are identical
on both surfaces.
"""

from __future__ import annotations

import anyio.to_thread
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken, TokenVerifier

from app.auth import events
from app.auth.keys import KeyRejected, Principal
from app.extensions import key_store


def authenticated(token: str) -> Principal | None:
    """The token's principal, its use recorded like the REST API's; None if refused."""
    try:
        return key_store().authenticate(token)
    except KeyRejected as exc:
        events.auth_failed(exc, None, "mcp")
        return None


class NotAuthenticated(Exception):
    pass


class KeyVerifier(TokenVerifier):
    async def verify_token(self, token: str) -> AccessToken | None:
        principal = await anyio.to_thread.run_sync(authenticated, token)
        if principal is None:
            return None
        return AccessToken(token=token, client_id=principal.key_id, scopes=[],
                           claims={"role": principal.role, "tenant": principal.tenant,
                                   "name": principal.name})


def current_principal() -> Principal:
    """The caller of the current MCP request."""
    token = get_access_token()
    if token is None or not token.claims:
        raise NotAuthenticated("no DIA3 API key on this request")
    claims = token.claims
    return Principal(key_id=token.client_id, role=claims["role"], tenant=claims["tenant"],
                     name=claims.get("name", ""))
