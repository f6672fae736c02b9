"""Sessions, CSRF and security headers: one small ASGI middleware and two helpers.

- The session is a signed cookie (itsdangerous) holding a random session id and a CSRF
  token. Nothing else lives in it, and nothing in it names a model.
- CSRF: double submit. The page carries the token (a ``<meta>`` tag); its JavaScript echoes
  it in ``X-CSRF-Token`` on every state-changing request, and the server compares it with
  the token in the signed cookie. A cross-site form cannot read the token, so it cannot
  forge the header.
- Every response gets the security headers (CSP, frame-ancestors, nosniff, referrer policy).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import os
import secrets
import subprocess
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import cookie_parser

# The policy and headers of every generated document live with the sandbox's document
# (battles/design_sandbox.py), which the browser checks serve too; re-exported here.
from modelarena.battles.design_sandbox import DESIGN_CSP as DESIGN_CSP
from modelarena.battles.design_sandbox import DESIGN_HEADERS as DESIGN_HEADERS
from modelarena.store.engine import sqlite_file

log = logging.getLogger(__name__)

SESSION_COOKIE = "arena_session"
CSRF_HEADER = "x-csrf-token"
SESSION_MAX_AGE_S = 60 * 60 * 24 * 365
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_BODY_BYTES = 256 * 1024  # a request body larger than this is refused with 413
VERIFIED_COOKIES = 8192  # distinct session cookies whose signature check is remembered

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Every page: scripts from our own files only (no inline script anywhere). Pages that show
# generated designs may frame our own origin, where each design has its own address
# (``/designs/...``, see modelarena.web.designs) and its own, stricter policy.
_BASE_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "frame-src": "'none'",
    "child-src": "'none'",
    "worker-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def page_csp(*, design_frames: bool = False) -> str:
    """The policy of our own pages; ``design_frames`` for the pages that show designs."""
    policy = dict(_BASE_CSP)
    if design_frames:
        policy["frame-src"] = "'self'"
    return "; ".join(f"{k} {v}" for k, v in policy.items())


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


# ------------------------------------------------------------------ the secret key
# SHA-256 digests of keys that were once published (a key file committed to this repository
# by mistake). Anyone holding one can mint sessions and reverse stored address hashes, so they
# are never accepted again, from configuration or from a key file.
_PUBLISHED_KEY_DIGESTS = frozenset(
    {"4ede440b5dac8e95de0e4860027450c0724bc050cbbfea31f5d23fd630df7569"}
)


def _published(key: str) -> bool:
    return hashlib.sha256(key.encode()).hexdigest() in _PUBLISHED_KEY_DIGESTS


def _tracked_by_git(path: Path) -> bool:
    """Whether git tracks ``path`` (a key in a repository is a published key)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(path.parent), "ls-files", "--error-unmatch", "--", path.name],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):  # no git, or no answer: nothing tracks it
        return False
    return done.returncode == 0


def _unsafe_key_file(path: Path, key: str) -> str | None:
    """Why the key kept in ``path`` must not be used, or None when it may be."""
    if len(key) < 32:
        return "it is too short"
    if _published(key):
        return "its key was published"
    if path.stat().st_mode & 0o077:
        return "it is readable by other users"
    if _tracked_by_git(path):
        return "it is tracked by git"
    return None


def resolve_secret_key(configured: str | None, database_url: str) -> tuple[str, str]:
    """The key that signs session cookies, and where it came from.

    Configured (``secret_key`` / ``ARENA_SECRET_KEY``) wins. Otherwise, for a file-backed
    SQLite database, a key is generated once and kept in ``<database>.secret`` (mode 0600)
    next to it, so sessions survive restarts. Otherwise (PostgreSQL, in-memory SQLite) a
    key is generated for this process only; several workers must then be given one key.

    A key file that others can read, that git tracks, or whose key was once published is
    replaced by a fresh key with a warning naming the file: such a key signs nothing.
    """
    if configured and _published(configured):
        log.warning(
            "the configured secret_key (ARENA_SECRET_KEY) is a published key and is not "
            "used; set a new one, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
        configured = None
    if configured:
        return configured, "configured"
    db_file = sqlite_file(database_url)
    if db_file:
        path = Path(db_file + ".secret")
        try:
            if path.is_file():
                key = path.read_text("ascii", errors="replace").strip()
                reason = _unsafe_key_file(path, key)
                if reason is None:
                    return key, str(path)
                log.warning(
                    "session key file %s is not used (%s); it is replaced by a fresh key, "
                    "so existing sessions end",
                    path,
                    reason,
                )
                path.unlink()
            key = secrets.token_urlsafe(48)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(key + "\n")
            return key, str(path)
        except OSError as exc:
            log.warning("cannot keep the session key next to the database (%s)", exc)
    return secrets.token_urlsafe(48), "generated for this process"


# ------------------------------------------------------------------------ sessions
@dataclass
class Session:
    id: str
    csrf: str
    new: bool = False


class SessionCodec:
    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt="modelarena.session")
        self._ip_key = hashlib.sha256(b"modelarena.ip:" + secret_key.encode()).digest()
        # A browser sends the same cookie with every request: checking its signature once
        # per distinct cookie, not once per request, saves an HMAC and a JSON parse.
        self._verified = functools.lru_cache(maxsize=VERIFIED_COOKIES)(self._verify)
        self._ip_hashes = functools.lru_cache(maxsize=VERIFIED_COOKIES)(self._hash_ip)

    def dumps(self, session: Session) -> str:
        return str(self._serializer.dumps({"sid": session.id, "csrf": session.csrf}))

    def loads(self, raw: str | None) -> Session | None:
        if not raw:
            return None
        ids = self._verified(raw)
        return Session(*ids) if ids is not None else None

    def _verify(self, raw: str) -> tuple[str, str] | None:
        try:
            data = self._serializer.loads(raw)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        sid, csrf = data.get("sid"), data.get("csrf")
        if not (isinstance(sid, str) and isinstance(csrf, str) and sid and csrf):
            return None
        return sid, csrf

    def hash_ip(self, ip: str | None) -> str | None:
        """A keyed hash of the client address: limits and audits without storing the IP."""
        if not ip:
            return None
        return self._ip_hashes(ip)

    def _hash_ip(self, ip: str) -> str:
        return hmac.new(self._ip_key, ip.encode(), hashlib.sha256).hexdigest()[:24]


def new_session() -> Session:
    return Session(secrets.token_urlsafe(18), secrets.token_urlsafe(24), new=True)


def csrf_ok(session: Session, header_value: str | None) -> bool:
    return bool(header_value) and hmac.compare_digest(session.csrf, header_value or "")


class SecurityMiddleware:
    """Loads or creates the session, and adds the security headers to every response."""

    def __init__(self, app: ASGIApp, codec: SessionCodec, *, secure_cookies: bool = False) -> None:
        self.app = app
        self.codec = codec
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = None
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                # Starlette's parser, as browsers split cookies (lenient, never raises)
                raw = cookie_parser(value.decode("latin-1")).get(SESSION_COOKIE, raw)
        length = next((v for k, v in scope.get("headers", []) if k == b"content-length"), None)
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            await _too_large(send)
            return
        if length is None and scope.get("method") not in SAFE_METHODS:
            # A body without a declared length (chunked): read it here, up to the limit.
            chunks: list[bytes] = []
            size = 0
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    break
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    await _too_large(send)
                    return
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
            body = b"".join(chunks)
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            receive = replay
        session = self.codec.loads(raw) or new_session()
        scope.setdefault("state", {})["session"] = session

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for key, value in SECURITY_HEADERS.items():
                    if key.encode() not in present:
                        headers.append((key.encode(), value.encode()))
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", page_csp().encode()))
                if session.new:
                    parts = [
                        f"{SESSION_COOKIE}={self.codec.dumps(session)}",
                        "Path=/",
                        f"Max-Age={SESSION_MAX_AGE_S}",
                        "HttpOnly",
                        "SameSite=Lax",
                    ]
                    if self.secure_cookies:
                        parts.append("Secure")
                    headers.append((b"set-cookie", "; ".join(parts).encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _too_large(send: Send) -> None:
    body = (
        b'{"error":{"code":"too_large","message":"the request body is larger than '
        + str(MAX_BODY_BYTES).encode()
        + b' bytes"}}'
    )
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    headers.append((b"content-security-policy", page_csp().encode()))
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
