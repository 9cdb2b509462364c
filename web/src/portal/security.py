"""Security headers on every response of the portal."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Strict on purpose: no inline script or style, nothing from other origins. Bootstrap Italia
# embeds a few icons and one font as data: URIs in its CSS.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


def content_security_policy(form_action_origins: Sequence[str] = ()) -> str:
    """The policy; ``form_action_origins``: where a form's redirect may also lead (the payment
    provider's checkout, after "Paga")."""
    if not form_action_origins:
        return CONTENT_SECURITY_POLICY
    allowed = " ".join(["'self'", *form_action_origins])
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action {allowed}")


class SecurityHeadersMiddleware:
    """Pure ASGI, like the kit's middleware, so context variables survive."""

    def __init__(self, app: ASGIApp, form_action_origins: Sequence[str] = ()) -> None:
        self.app = app
        policy = content_security_policy(form_action_origins).encode()
        self.headers = [(b"content-security-policy", policy), *_HEADERS]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        # Pages may show personal data or a logged-in header: never stored by the browser or a
        # proxy, so "back" after logging out shows nothing. Static files stay cacheable.
        private = not scope.get("path", "").startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message.setdefault("headers", [])
                message["headers"].extend(h for h in self.headers if h[0] not in present)
                if private and b"cache-control" not in present:
                    message["headers"].append((b"cache-control", b"no-store"))
            await send(message)

        await self.app(scope, receive, send_with_headers)
