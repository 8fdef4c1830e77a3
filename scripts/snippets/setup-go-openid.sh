#!/usr/bin/env bash
# Builds snippets/go-openid (github.com/coreos/go-oidc/v3 as a relying party: discovery with NewProvider and the
# provider's default ID token verifier, run on Latchkey by test/snippets/openid-go.test.ts) into the cache and
# prints the binary's path.
set -Eeuo pipefail
exec bash "$(dirname "$0")/build-go.sh" go-openid openid-check
