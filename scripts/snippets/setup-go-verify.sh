#!/usr/bin/env bash
# Builds snippets/go-verify (github.com/coreos/go-oidc/v3, a resource server verifying Latchkey's access tokens)
# into the cache and prints the binary's path.
set -Eeuo pipefail
exec bash "$(dirname "$0")/build-go.sh" go-verify verify-token
