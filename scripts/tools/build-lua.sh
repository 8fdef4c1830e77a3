#!/usr/bin/env bash
# Builds gopher-lua's interpreter `glua` from the Go module proxy, for the tests of the Argo CD health checks
# in gitops/argocd/health/. gopher-lua is the Lua that Argo CD embeds (Lua 5.1 semantics), so a script that
# runs here runs in Argo CD. No prebuilt binary is downloaded.
#
# Output (outside the repository, keyed by version):
#   ${LATCHKEY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey}/tools/glua/<version>/glua
#
# If the binary already exists and runs, nothing is built. Progress goes to stderr; the last line of stdout is
# the binary's path. Needs Go on PATH and access to the Go module proxy; the build takes under a minute.
set -Eeuo pipefail

# The version Argo CD's go.mod requires (github.com/argoproj/argo-cd, util/lua).
GOPHER_LUA_VERSION="v1.1.1"

log() { printf '[tools/build-lua] %s\n' "$*" >&2; }
fail() {
  printf '[tools/build-lua] ERROR: %s\n' "$*" >&2
  exit 1
}

cache_root="${LATCHKEY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey}"
dest="${cache_root}/tools/glua/${GOPHER_LUA_VERSION#v}"
binary="${dest}/glua"

binary_works() {
  [[ -x "${binary}" ]] || return 1
  # glua has no --version that exits 0 on every release; running a one-line chunk proves it works.
  [[ "$("${binary}" -e 'print(1 + 1)' 2>/dev/null)" == "2" ]]
}

if binary_works; then
  echo "${binary}"
  exit 0
fi

command -v go >/dev/null 2>&1 ||
  fail "Go is not installed or not on PATH. Install Go (>= 1.17) with access to the Go module proxy, then run ${BASH_SOURCE[0]} again; or set LATCHKEY_GLUA to a glua (gopher-lua ${GOPHER_LUA_VERSION}) binary."

mkdir -p "${dest}"

# Only one build at a time: several test workers may ask for the interpreter at once.
exec 9>"${dest}/.build.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
  if binary_works; then
    echo "${binary}"
    exit 0
  fi
fi

# Never fetch a different Go toolchain (that would be a prebuilt binary download).
export GOTOOLCHAIN=local
export CGO_ENABLED=0

work="$(mktemp -d "${TMPDIR:-/tmp}/latchkey-glua-build.XXXXXX")"
cleanup() { rm -rf "${work}"; }
trap cleanup EXIT
trap 'fail "build failed (line ${LINENO}); see the messages above."' ERR

log "building glua from github.com/yuin/gopher-lua@${GOPHER_LUA_VERSION} into ${dest}"
# `go install pkg@version` builds in module mode with the module's own go.mod, without touching any project.
(cd "${work}" && GOBIN="${work}/bin" go install -trimpath -ldflags "-s -w" \
  "github.com/yuin/gopher-lua/cmd/glua@${GOPHER_LUA_VERSION}")
mv -f "${work}/bin/glua" "${binary}"
binary_works || fail "${binary} was built but does not run"
log "done"
echo "${binary}"
