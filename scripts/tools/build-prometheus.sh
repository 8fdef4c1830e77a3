#!/usr/bin/env bash
# Builds a pinned Prometheus server and promtool from their Go module for the metrics tests: promtool checks and
# unit-tests the chart's alerting rules, and the server scrapes a running `latchkey dev` for the dashboard's
# picture (test/chart/prometheus-rule.test.ts, test/docs/dashboard.test.ts). No prebuilt binary is downloaded.
#
# Output (outside the repository, keyed by version):
#   ${LATCHKEY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey}/tools/prometheus/<version>/{prometheus,promtool}
#
# If both binaries exist and answer `--version`, nothing is built. Progress goes to stderr; the last line of
# stdout is the folder holding them. Needs Go (>= the version Prometheus's go.mod asks for) and the Go module
# proxy. The build leaves out every service discovery but file and HTTP (Prometheus's `remove_all_sd` tag): the
# tests scrape a static target, and the cloud SDKs dominate the build (a build with them ran 20 minutes on 2 cores
# without getting past the AWS SDK). Without them the first build took 6 minutes on 2 cores with Go's build cache
# warm from the other tools; a cold one takes longer.
set -Eeuo pipefail

# The Go module version v0.316.0 is Prometheus 3.16.0.
PROMETHEUS_MODULE_VERSION="v0.316.0"
PROMETHEUS_VERSION="3.16.0"

log() { printf '[tools/build-prometheus] %s\n' "$*" >&2; }
fail() {
  printf '[tools/build-prometheus] ERROR: %s\n' "$*" >&2
  exit 1
}

cache_root="${LATCHKEY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey}"
dest="${cache_root}/tools/prometheus/${PROMETHEUS_VERSION}"

binaries_work() {
  local name
  for name in prometheus promtool; do
    [[ -x "${dest}/${name}" ]] || return 1
    "${dest}/${name}" --version >/dev/null 2>&1 || return 1
  done
}

if binaries_work; then
  echo "${dest}"
  exit 0
fi

command -v go >/dev/null 2>&1 ||
  fail "Go is not installed or not on PATH. Install Go (>= the version github.com/prometheus/prometheus ${PROMETHEUS_MODULE_VERSION} requires) so that this script can build Prometheus."

mkdir -p "${dest}"

# Only one build at a time (several test files may ask at once).
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

work="$(mktemp -d "${TMPDIR:-/tmp}/latchkey-prometheus-build.XXXXXX")"
cleanup() { rm -rf "${work}"; }
trap cleanup EXIT
trap 'fail "build failed (line ${LINENO}); see the messages above."' ERR

nice_cmd=()
if command -v nice >/dev/null 2>&1; then nice_cmd=(nice -n 10); fi

# `go install module@version` builds with exactly the dependency versions of Prometheus's own go.mod; the
# version ldflags are what its release build sets, so `--version` names the release.
log "building prometheus and promtool ${PROMETHEUS_VERSION} in ${work} (several minutes on a small machine)"
start="$(date +%s)"
GOBIN="${work}/bin" "${nice_cmd[@]}" go install -trimpath -tags remove_all_sd \
  -ldflags "-s -w -X github.com/prometheus/common/version.Version=${PROMETHEUS_VERSION} -X github.com/prometheus/common/version.Branch=HEAD" \
  "github.com/prometheus/prometheus/cmd/prometheus@${PROMETHEUS_MODULE_VERSION}" \
  "github.com/prometheus/prometheus/cmd/promtool@${PROMETHEUS_MODULE_VERSION}"
"${work}/bin/promtool" --version >&2
mv -f "${work}/bin/prometheus" "${work}/bin/promtool" "${dest}/"
binaries_work || fail "${dest} holds binaries that do not run"
log "done in $(($(date +%s) - start))s"
echo "${dest}"
