#!/usr/bin/env bash
# Builds a pinned helm from its Go module for the chart tests (no prebuilt binary is downloaded).
#
# Output (outside the repository, keyed by version):
#   ${LATCHKEY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey}/tools/helm/<version>/helm
#
# If the binary already exists and answers `version`, nothing is built. Progress goes to stderr; the last
# line of stdout is the binary's path. Needs Go (>= the version helm's go.mod asks for) and the Go module
# proxy. The first build takes a few minutes on 2 cores.
#
# No kubeconform: the chart tests validate rendered manifests with a server-side dry-run against the real
# kube-apiserver of the integration suite (test/chart/), which checks what kubeconform checks (schemas,
# unknown fields) plus what only the API server knows (admission, selector/label agreement, RBAC rules, the
# chart's own CRDs), and needs no JSON schemas that could drift from the server's version.
set -Eeuo pipefail

HELM_VERSION="v4.3.1"

log() { printf '[tools/build-helm] %s\n' "$*" >&2; }
fail() {
  printf '[tools/build-helm] ERROR: %s\n' "$*" >&2
  exit 1
}

cache_root="${LATCHKEY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey}"
dest="${cache_root}/tools/helm/${HELM_VERSION#v}"
binary="${dest}/helm"

binary_works() {
  [[ -x "${binary}" ]] || return 1
  "${binary}" version --short >/dev/null 2>&1 || return 1
}

if binary_works; then
  echo "${binary}"
  exit 0
fi

command -v go >/dev/null 2>&1 ||
  fail "Go is not installed or not on PATH. Install Go (>= the version helm.sh/helm/v4 ${HELM_VERSION} requires) so that this script can build helm."

mkdir -p "${dest}"

# Only one build at a time (several test files may ask for helm at once).
exec 9>"${dest}/.build.lock"
if command -v flock >/dev/null 2>&1; then
  log "taking the build lock ${dest}/.build.lock (another build may be running)"
  flock 9
  if binary_works; then
    echo "${binary}"
    exit 0
  fi
fi

# Never fetch a different Go toolchain (that would be a prebuilt binary download).
export GOTOOLCHAIN=local
export CGO_ENABLED=0

work="$(mktemp -d "${TMPDIR:-/tmp}/latchkey-helm-build.XXXXXX")"
cleanup() { rm -rf "${work}"; }
trap cleanup EXIT
trap 'fail "build failed (line ${LINENO}); see the messages above."' ERR

nice_cmd=()
if command -v nice >/dev/null 2>&1; then nice_cmd=(nice -n 10); fi

# `go install module@version` builds with exactly the dependency versions of helm's own go.mod. The version
# ldflag is what helm's Makefile sets for a release; without it `helm version` says only "v4.3".
log "building helm ${HELM_VERSION} in ${work} (a few minutes on a small machine)"
start="$(date +%s)"
GOBIN="${work}/bin" "${nice_cmd[@]}" go install -trimpath \
  -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=${HELM_VERSION} -X helm.sh/helm/v4/internal/version.gitTreeState=clean" \
  "helm.sh/helm/v4/cmd/helm@${HELM_VERSION}"
"${work}/bin/helm" version --short >&2
mv -f "${work}/bin/helm" "${binary}"
binary_works || fail "${binary} was built but does not run"
log "done in $(($(date +%s) - start))s"
echo "${binary}"
