"""Production tokens: RS256, verified against an OIDC provider's JWKS served over real HTTP."""

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth import AuthError, TokenVerifier
from shared.config import Config


@pytest.fixture(scope="module")
def provider():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class JWKS(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), JWKS)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield key, f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
    server.shutdown()


def claims(**extra):
    now = datetime.now(UTC)
    return {
        "sub": "u1",
        "group": "g1",
        "estates": ["e1"],
        "roles": ["head_office"],
        "exp": now + timedelta(hours=1),
        **extra,
    }


def test_an_rs256_token_from_the_provider_is_accepted(provider):
    key, url = provider
    verifier = TokenVerifier(
        Config.from_env("reporting", env={}, jwt_jwks_url=url, jwt_audience="estatedesk")
    )
    token = jwt.encode(claims(aud="estatedesk"), key, algorithm="RS256", headers={"kid": "k1"})
    assert verifier.verify(token).roles == {"head_office"}


def test_a_token_for_another_audience_or_signed_by_another_key_is_refused(provider):
    key, url = provider
    verifier = TokenVerifier(
        Config.from_env("reporting", env={}, jwt_jwks_url=url, jwt_audience="estatedesk")
    )
    with pytest.raises(AuthError):
        verifier.verify(jwt.encode(claims(aud="someone-else"), key, algorithm="RS256", headers={"kid": "k1"}))
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(AuthError):
        verifier.verify(
            jwt.encode(claims(aud="estatedesk"), stranger, algorithm="RS256", headers={"kid": "k1"})
        )


def test_an_hs256_token_is_refused_when_the_service_expects_rs256(provider):
    _, url = provider
    verifier = TokenVerifier(Config.from_env("reporting", env={}, jwt_jwks_url=url))
    with pytest.raises(AuthError):
        verifier.verify(jwt.encode(claims(), "a-guessable-secret-a-guessable-secret", algorithm="HS256"))
