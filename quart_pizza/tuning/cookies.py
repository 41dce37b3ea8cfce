"""Quart's signed-cookie session, same cookie format, at less cost per request.

Quart builds a serializer twice per request and itsdangerous a signer for every `dumps` and
`loads`, re-derives the HMAC key for every signature and tries zlib on every payload. Here the
serializer and its signer are built once per key set, the key derived once, and nothing
compressed (a session of a few ids never shrinks). The session holds only ints and strings,
so compact JSON replaces the tagged JSON that handles bytes, tuples and dates; cookies signed
by Quart's own interface still load, and Quart loads these. `Vary: Cookie` is added without
parsing the header into a set and writing it back.
"""

from typing import Any

from itsdangerous import (
    Signer,
    TimestampSigner,
    URLSafeTimedSerializer,
    base64_encode,
    want_bytes,
)
from quart import Quart, Response
from quart.sessions import SecureCookieSessionInterface, SessionMixin
from werkzeug.datastructures import Headers
from werkzeug.wrappers import Response as WerkzeugResponse


class _CachedKeySigner(TimestampSigner):
    """itsdangerous derives the HMAC key from the secret on every signature; derive it once."""

    _derived: dict[tuple[bytes, bytes, Any, str], bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        raw = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        cache_key = (raw, self.salt, self.digest_method, self.key_derivation)
        key = self._derived.get(cache_key)
        if key is None:
            key = self._derived[cache_key] = super().derive_key(raw)
        return key


def vary_on_cookie(headers: Headers) -> None:
    """Add `Cookie` to the `Vary` header unless it is there, as `response.vary.add` does."""
    current = headers.get("Vary")
    if current is None:
        headers["Vary"] = "Cookie"
    elif "cookie" not in (value.strip().lower() for value in current.split(",")):
        headers["Vary"] = f"{current}, Cookie"


class _UncompressedSerializer(URLSafeTimedSerializer):
    """Skips the zlib attempt on every cookie, and builds its signer once per salt.

    A session of a few ids never shrinks by zlib. itsdangerous builds a new signer for every
    `dumps` and `loads`; a signer holds only its keys and settings, so one serves them all.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signers: dict[str | bytes | None, Signer] = {}

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(self.serializer.dumps(obj, **self.serializer_kwargs).encode())

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        salt = self.salt if salt is None else salt
        signer = self._signers.get(salt)
        if signer is None:
            signer = self._signers[salt] = super().make_signer(salt)
        return signer


class FastCookieSessionInterface(SecureCookieSessionInterface):
    """Quart's `SecureCookieSessionInterface` with the serializer and signer kept."""

    def __init__(self) -> None:
        self._cached: tuple[tuple[str | bytes, ...], URLSafeTimedSerializer] | None = None

    def get_signing_serializer(self, app: Quart) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        # itsdangerous signs with the last key and accepts all of them.
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        if self._cached is None or self._cached[0] != keys:
            serializer = _UncompressedSerializer(  # no serializer given: compact JSON
                list(keys),
                salt=self.salt,
                signer=_CachedKeySigner,
                signer_kwargs={
                    "key_derivation": self.key_derivation,
                    "digest_method": self.digest_method,
                },
            )
            self._cached = (keys, serializer)
        return self._cached[1]

    async def save_session(
        self, app: Quart, session: SessionMixin, response: Response | WerkzeugResponse | None
    ) -> None:
        """Quart's `save_session`, with `Vary: Cookie` added without parsing the header."""
        if response is None or not session:  # a websocket's, or an emptied session's cookie
            await super().save_session(app, session, response)
            return
        # Quart reads the session through its request context to save it, which marks it
        # accessed: every answer with a session varies on Cookie, as Quart's own code has it.
        vary_on_cookie(response.headers)
        serializer = self.get_signing_serializer(app)
        if serializer is None or not self.should_set_cookie(app, session):
            return
        response.set_cookie(
            self.get_cookie_name(app),
            serializer.dumps(dict(session)),
            expires=self.get_expiration_time(app, session),
            httponly=self.get_cookie_httponly(app),
            domain=self.get_cookie_domain(app),
            partitioned=self.get_cookie_partitioned(app),
            path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
        )
