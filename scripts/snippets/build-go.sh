#!/usr/bin/env bash
# Builds the Go module snippets/<name> into the cache, keyed by its go.mod, go.sum and main.go, and prints the
# binary's path; setup-go.sh and setup-go-verify.sh say which module and binary. Needs Go >= the go line of
# its go.mod and the Go module proxy (default module cache).
# Usage: build-go.sh <snippet folder name> <binary name>
set -Eeuo pipefail
name="$1"
binary="$2"
lang="${name}"
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

src="${root}/snippets/${name}"
dest="${cache_root}/snippets/${name}/$(key "${src}/go.mod" "${src}/go.sum" "${src}/main.go")"
if [[ -x "${dest}/${binary}" ]]; then
  echo "${dest}/${binary}"
  exit 0
fi

command -v go >/dev/null 2>&1 ||
  fail "Go is not installed or not on PATH: install Go $(sed -n 's/^go //p' "${src}/go.mod") or newer (https://go.dev/doc/install)."
want="$(sed -n 's/^go //p' "${src}/go.mod")"
have="$(go env GOVERSION)"
have="${have#go}"
[[ "$(printf '%s\n%s\n' "${want}" "${have}" | sort -V | head -n1)" == "${want}" ]] ||
  fail "Go ${have} is too old for snippets/${name}/go.mod (go ${want}): install Go ${want} or newer."

locked "${dest}"
if [[ ! -x "${dest}/${binary}" ]]; then
  log "building ${src} into ${dest}"
  # Never fetch another Go toolchain (a prebuilt download); modules come from the module proxy.
  GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-} -mod=readonly" go build -C "${src}" -trimpath -buildvcs=false \
    -o "${dest}/${binary}.tmp" .
  mv -f "${dest}/${binary}.tmp" "${dest}/${binary}"
fi
echo "${dest}/${binary}"
