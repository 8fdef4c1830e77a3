#!/usr/bin/env bash
# Builds snippets/go-cli (a CLI people sign in to, as a native app: golang.org/x/oauth2 with PKCE and
# github.com/coreos/go-oidc/v3, run by test/snippets/people-cli.test.ts, shown in docs/people/cli.md) into the
# cache and prints the binary's path.
set -Eeuo pipefail
exec bash "$(dirname "$0")/build-go.sh" go-cli notes-cli
