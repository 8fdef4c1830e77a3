#!/usr/bin/env bash
# Builds pinned kube-apiserver and etcd binaries from Go modules for the integration tests
# (the equivalent of controller-runtime's setup-envtest, without downloading prebuilt binaries).
#
# Output folder (outside the repository, keyed by version):
#   ${LATCHKEY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey}/envtest/<k8s-version>-<etcd-version>/
#     kube-apiserver
#     etcd
#
# If both binaries already exist and answer --version, nothing is built. Progress goes to stderr; the
# last line of stdout is the folder path. Needs Go (the version the Kubernetes release's go.mod asks for)
# and access to the Go module proxy. The first build takes many minutes and several hundred MB of modules.
set -Eeuo pipefail

K8S_VERSION="v1.36.3"
ETCD_VERSION="v3.6.16"

log() { printf '[envtest/build] %s\n' "$*" >&2; }
fail() {
  printf '[envtest/build] ERROR: %s\n' "$*" >&2
  exit 1
}

cache_root="${LATCHKEY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey}"
dest="${cache_root}/envtest/${K8S_VERSION#v}-${ETCD_VERSION#v}"

binaries_work() {
  [[ -x "${dest}/kube-apiserver" && -x "${dest}/etcd" ]] || return 1
  "${dest}/kube-apiserver" --version >/dev/null 2>&1 || return 1
  "${dest}/etcd" --version >/dev/null 2>&1 || return 1
}

if binaries_work; then
  echo "${dest}"
  exit 0
fi

command -v go >/dev/null 2>&1 ||
  fail "Go is not installed or not on PATH. Install Go (>= the version k8s.io/kubernetes ${K8S_VERSION} requires), or set KUBEBUILDER_ASSETS to a folder that contains kube-apiserver and etcd."

mkdir -p "${dest}"

# Only one build at a time (several test processes may ask for the binaries at once).
exec 9>"${dest}/.build.lock"
if command -v flock >/dev/null 2>&1; then
  log "taking the build lock ${dest}/.build.lock (another build may be running)"
  flock 9
  if binaries_work; then
    echo "${dest}"
    exit 0
  fi
fi

# Never fetch a different Go toolchain (that would be a prebuilt binary download).
export GOTOOLCHAIN=local
export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:-} -mod=mod"

work="$(mktemp -d "${TMPDIR:-/tmp}/latchkey-envtest-build.XXXXXX")"
cleanup() { rm -rf "${work}"; }
trap cleanup EXIT
trap 'fail "build failed (line ${LINENO}); see the messages above. Alternatively set KUBEBUILDER_ASSETS to a folder that contains kube-apiserver and etcd."' ERR

nice_cmd=()
if command -v nice >/dev/null 2>&1; then nice_cmd=(nice -n 10); fi

go_version_line() { sed -n 's/^go \([0-9.]*\).*$/\1/p' "$1" | head -n1; }

# ---------------------------------------------------------------------------------------------------
# etcd
# ---------------------------------------------------------------------------------------------------
build_etcd() {
  local dir="${work}/etcd"
  mkdir -p "${dir}"
  log "building etcd ${ETCD_VERSION} in ${dir}"
  cat >"${dir}/go.mod" <<EOF
module latchkey.local/envtest/etcd

go 1.24
EOF
  cat >"${dir}/main.go" <<'EOF'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
EOF
  (
    cd "${dir}"
    go mod edit -require="go.etcd.io/etcd/server/v3@${ETCD_VERSION}"
    go mod tidy
    "${nice_cmd[@]}" go build -trimpath -ldflags "-s -w" -o "${dir}/etcd.out" .
  )
  "${dir}/etcd.out" --version >&2
  mv -f "${dir}/etcd.out" "${dest}/etcd"
}

# ---------------------------------------------------------------------------------------------------
# kube-apiserver
# ---------------------------------------------------------------------------------------------------
build_kube_apiserver() {
  local dir="${work}/kube-apiserver"
  mkdir -p "${dir}"
  log "fetching go.mod of k8s.io/kubernetes@${K8S_VERSION} through the module proxy"
  local info gomod
  info="$(cd "${work}" && go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" 2>&1)" ||
    fail "could not download k8s.io/kubernetes@${K8S_VERSION} (is the Go module proxy reachable?): ${info:-}"
  gomod="$(printf '%s\n' "${info}" | sed -n 's/^[[:space:]]*"GoMod":[[:space:]]*"\(.*\)",\{0,1\}$/\1/p')"
  [[ -n "${gomod}" && -f "${gomod}" ]] || fail "could not find the go.mod of k8s.io/kubernetes@${K8S_VERSION} in: ${info}"

  # Every staging module (mapped to ./staging/... in the release's go.mod) is published as v0.Y.Z.
  local staging_version="v0.${K8S_VERSION#v1.}"
  local staging
  staging="$(sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._/-]*\)[[:space:]]*=>[[:space:]]*\./staging/.*$#\1#p' "${gomod}")"
  [[ -n "${staging}" ]] || fail "no '=> ./staging/...' replace lines found in ${gomod}"
  log "replacing $(printf '%s\n' "${staging}" | wc -l) staging modules with ${staging_version}"

  local go_line godebug
  go_line="$(go_version_line "${gomod}")"
  godebug="$(grep -E '^godebug ' "${gomod}" || true)"
  {
    echo "module latchkey.local/envtest/kube-apiserver"
    echo
    echo "go ${go_line}"
    if [[ -n "${godebug}" ]]; then printf '\n%s\n' "${godebug}"; fi
    echo
    echo "require k8s.io/kubernetes ${K8S_VERSION}"
    echo
    echo "replace ("
    local m
    for m in ${staging}; do
      printf '\t%s => %s %s\n' "${m}" "${m}" "${staging_version}"
    done
    echo ")"
  } >"${dir}/go.mod"
  cat >"${dir}/tools.go" <<'EOF'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
EOF

  local major minor build_date
  major="$(echo "${K8S_VERSION#v}" | cut -d. -f1)"
  minor="$(echo "${K8S_VERSION#v}" | cut -d. -f2)"
  build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  local ldflags="-s -w"
  local pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X ${pkg}.gitVersion=${K8S_VERSION}"
    ldflags+=" -X ${pkg}.gitMajor=${major}"
    ldflags+=" -X ${pkg}.gitMinor=${minor}"
    ldflags+=" -X ${pkg}.gitTreeState=clean"
    ldflags+=" -X ${pkg}.buildDate=${build_date}"
  done

  log "building kube-apiserver ${K8S_VERSION} in ${dir} (this takes many minutes on a small machine)"
  (
    cd "${dir}"
    go mod tidy
    "${nice_cmd[@]}" go build -trimpath -ldflags "${ldflags}" -o "${dir}/kube-apiserver.out" k8s.io/kubernetes/cmd/kube-apiserver
  )
  "${dir}/kube-apiserver.out" --version >&2
  mv -f "${dir}/kube-apiserver.out" "${dest}/kube-apiserver"
}

start="$(date +%s)"
if ! { [[ -x "${dest}/etcd" ]] && "${dest}/etcd" --version >/dev/null 2>&1; }; then
  build_etcd
fi
if ! { [[ -x "${dest}/kube-apiserver" ]] && "${dest}/kube-apiserver" --version >/dev/null 2>&1; }; then
  build_kube_apiserver
fi
binaries_work || fail "the binaries in ${dest} were built but do not run"
log "done in $(($(date +%s) - start))s"
echo "${dest}"
