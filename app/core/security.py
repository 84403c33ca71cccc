"""Response headers that every page carries, and who the client is."""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from flask import Flask, Response, abort, g, has_request_context, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


_EXTRA = "kj_csp_extra"


def allow_sources(*, script: Iterable[str] = (), connect: Iterable[str] = ()) -> None:
    """Let the page this request answers load scripts from, and connect to, further origins.

    Only that response's policy widens (say, a development page that uses the WeChat Pay
    simulator's bridge); every other page keeps the strict one.
    """
    script, connect = list(script), list(connect)
    if any(not s or any(c in s for c in " ;,'\"\r\n\t") for s in script + connect):
        raise ValueError("a CSP source is one origin, without spaces, quotes or separators")
    extra = g.setdefault(_EXTRA, {"script-src": [], "connect-src": []})
    extra["script-src"].extend(script)
    extra["connect-src"].extend(connect)


def _widened(policy: str) -> str:
    extra = g.get(_EXTRA) if has_request_context() else None
    if not extra:
        return policy
    directives = []
    for directive in policy.split("; "):
        name = directive.split(" ", 1)[0]
        sources = [s for s in dict.fromkeys(extra.get(name, ())) if s not in directive.split(" ")]
        directives.append(" ".join([directive, *sources]))
    return "; ".join(directives)


def _has_nul(values) -> bool:
    return any("\x00" in v for v in values)


class BoundedInt(IntegerConverter):
    """`<int:…>` in URLs, limited to what an INTEGER column holds: larger is a 404, not a 500."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002  (werkzeug's name)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _address(value: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    try:
        ip = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:203.0.113.9 is that IPv4 client
            return ip.ipv4_mapped
        if ip.scope_id:  # fe80::1%eth0: the zone names our interface, not the client
            return ipaddress.IPv6Address(int(ip))
    return ip


def client_ip() -> str | None:
    """The client's address, for every per-client limit and every stored IP.

    Behind TRUSTED_PROXIES proxies (ProxyFix) it is what the nearest trusted proxy put
    in X-Forwarded-For; that, like anything a header says, must be a real IPv4 or IPv6
    address, or the socket peer is used instead. None only when neither is one.
    """
    for candidate in (request.remote_addr,
                      request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR")):
        ip = _address(candidate)
        if ip is not None:
            return str(ip)
    return None


def client_key() -> str:
    """The rate-limit key of the client: its IPv4 address, or its IPv6 /64.

    One IPv6 subscriber gets a whole /64 and may pick any address in it, so counting
    per address would give every guess a fresh budget.
    """
    ip = _address(client_ip())
    if ip is None:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip)


def init_app(app: Flask) -> None:
    # Forwarded headers are believed only when proxies are configured: otherwise any
    # client that reaches gunicorn directly could name its own address.
    proxies = int(app.config.get("TRUSTED_PROXIES", 0))
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]

    @app.before_request
    def _refuse_nul() -> None:
        # PostgreSQL cannot store NUL in text; no real input contains it.
        if _has_nul(request.args.values()) or (
            request.method == "POST" and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
            and _has_nul(request.form.values())
        ):
            abort(400)

    extra_script_src = app.config.get("CSP_EXTRA_SCRIPT_SRC", "")
    policy = CSP.replace("script-src 'self'", f"script-src 'self' {extra_script_src}".strip())

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", _widened(policy))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def safe_next(target: str | None) -> str:
    """Only same-site paths; anything else lands on the home page."""
    from urllib.parse import urlsplit

    from flask import url_for

    if target and target.isprintable() and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("core.home")


def public_url(endpoint: str, **values: object) -> str:
    """An absolute link for use outside the site (an SMS, a statement): always the public
    address (PUBLIC_BASE_URL), never the host this request came by; works in jobs too."""
    from flask import current_app

    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path
