#!/usr/bin/env bash
# Builds snippets/go-verify (github.com/coreos/go-oidc/v3, a resource server verifying Latchkey's access tokens)
# into the cache and prints the binary's path. Needs Go >= the go line of its go.mod and the Go module proxy.
set -Eeuo pipefail
lang=go-verify
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

src="${root}/snippets/go-verify"
dest="${cache_root}/snippets/go-verify/$(key "${src}/go.mod" "${src}/go.sum" "${src}/main.go")"
if [[ -x "${dest}/verify-token" ]]; then
  echo "${dest}/verify-token"
  exit 0
fi

command -v go >/dev/null 2>&1 ||
  fail "Go is not installed or not on PATH: install Go $(sed -n 's/^go //p' "${src}/go.mod") or newer (https://go.dev/doc/install)."
want="$(sed -n 's/^go //p' "${src}/go.mod")"
have="$(go env GOVERSION)"
have="${have#go}"
[[ "$(printf '%s\n%s\n' "${want}" "${have}" | sort -V | head -n1)" == "${want}" ]] ||
  fail "Go ${have} is too old for snippets/go-verify/go.mod (go ${want}): install Go ${want} or newer."

locked "${dest}"
if [[ ! -x "${dest}/verify-token" ]]; then
  log "building ${src} into ${dest}"
  # Never fetch another Go toolchain (a prebuilt download); modules come from the module proxy.
  GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -mod=readonly" go build -C "${src}" -trimpath -buildvcs=false \
    -o "${dest}/verify-token.tmp" .
  mv -f "${dest}/verify-token.tmp" "${dest}/verify-token"
fi
echo "${dest}/verify-token"
