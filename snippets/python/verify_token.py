"""Verifies a Latchkey access token as an API (resource server) does, RFC 9068 §4: the signature against the
issuer's JWKS, typ at+jwt, iss, aud and exp. Reads the token on stdin and prints its claims as one JSON line."""
import json
import os
import sys
import urllib.request

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

ISSUER = os.environ["LATCHKEY_ISSUER"]
AUDIENCE = os.environ["LATCHKEY_AUDIENCE"]  # the API's identifier: spec.identifier of its ResourceServer
# The signingAlgorithm of the ResourceServers whose tokens this API accepts.
ALGORITHMS = ["RS256", "ES256", "Ed25519"]

CLAIMS = jwt.JWTClaimsRegistry(
    iss={"essential": True, "value": ISSUER},
    aud={"essential": True, "value": AUDIENCE},
    exp={"essential": True},
    sub={"essential": True},
    client_id={"essential": True},
)


def fetch_keys() -> KeySet:
    # Cache the keys, and fetch them again when a token names a kid they lack.
    with urllib.request.urlopen(f"{ISSUER}/.well-known/jwks.json", timeout=5) as res:
        return KeySet.import_key_set(json.load(res))


def verify_access_token(raw: str, keys: KeySet) -> dict:
    token = jwt.decode(raw, keys, algorithms=ALGORITHMS)  # the signature
    if token.header.get("typ") != "at+jwt":  # RFC 9068 §4: no other JWT passes for an access token
        raise ValueError(f"typ is {token.header.get('typ')!r}, not 'at+jwt'")
    CLAIMS.validate(token.claims)  # iss, aud, exp, and the claims every access token has
    return token.claims


def main() -> None:
    try:
        claims = verify_access_token(sys.stdin.read().strip(), fetch_keys())
    except (JoseError, ValueError) as err:
        print(f"token rejected: {err}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({key: claims.get(key) for key in ("sub", "client_id", "scope", "aud")}))


if __name__ == "__main__":
    main()
