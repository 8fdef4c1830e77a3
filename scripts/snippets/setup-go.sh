#!/usr/bin/env bash
# Builds snippets/go (golang.org/x/oauth2/clientcredentials) into the cache and prints the binary's path.
set -Eeuo pipefail
exec bash "$(dirname "$0")/build-go.sh" go get-token
