"""The webhook signature: Stripe-style, ``t=<unix seconds>,v1=<hex HMAC-SHA256>``.

The HMAC is over ``f"{t}.{body}"`` with the key's webhook secret, which is itself an HMAC of
the API key: its holder derives it without a second secret ever being shown
(docs/webhooks.md has the receiver's check).
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Meshfarm-Signature"
SECRET_CONTEXT = b"meshfarm-webhook"


def derive_secret(api_key: str) -> str:
    """What a key's webhooks are signed with: HMAC-SHA256(api_key, "meshfarm-webhook")."""
    return hmac.new(api_key.encode(), SECRET_CONTEXT, hashlib.sha256).hexdigest()


def signature(secret: str, body: str, timestamp: int) -> str:
    """The header's value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"
