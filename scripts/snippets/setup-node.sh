#!/usr/bin/env bash
# The Node.js snippet needs only openid-client, a devDependency of this repository: checks that it resolves
# from snippets/node and prints the snippet's path. Nothing is installed here; `npm ci` installs it.
set -Eeuo pipefail
lang=node
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

node="${root}/node_modules/.bin/node"
[[ -x "${node}" ]] || node="$(command -v node || true)"
[[ -n "${node}" ]] || fail "Node.js is not installed: run npm ci in ${root} (it installs the pinned Node.js 24)."
(cd "${root}/snippets/node" && "${node}" --input-type=module -e "import 'openid-client'") ||
  fail "openid-client does not resolve from snippets/node: run npm ci in ${root}."
echo "${root}/snippets/node/get-token.mjs"
