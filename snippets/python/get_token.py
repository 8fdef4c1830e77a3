"""Gets an access token from Latchkey with the client credentials of a mounted Secret."""

import base64
import json
import os
import sys
from pathlib import Path

from oauthlib.oauth2 import BackendApplicationClient, OAuth2Error
from requests_oauthlib import OAuth2Session

secret_dir = Path(os.environ.get("LATCHKEY_SECRET_DIR") or "/var/run/secrets/latchkey")


def read(key: str) -> str:
    # Read the files each time: kubelet updates them when the Secret is rotated.
    return (secret_dir / key).read_text().strip()


audience = os.environ.get("LATCHKEY_AUDIENCE")
session = OAuth2Session(client=BackendApplicationClient(client_id=read("client_id")))
try:
    # client_secret_basic: requests-oauthlib sends the id and secret with HTTP Basic.
    token = session.fetch_token(
        read("token_endpoint"),
        client_secret=read("client_secret"),
        **({"audience": audience} if audience else {}),
    )
except OAuth2Error as err:
    sys.exit(f"token request failed: {err.error}: {err.description}")

# Only to show which API the token is for: resource servers verify it against the JWKS.
payload = token["access_token"].split(".")[1]
claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
result = {
    "token_type": token["token_type"],
    "expires_in": token["expires_in"],
    "scope": " ".join(token["scope"]),  # oauthlib splits it into a list
    "aud": claims["aud"],
}
print(json.dumps(result))
