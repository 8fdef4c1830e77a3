#!/usr/bin/env bash
# Makes sure Debian's chromium is installed for the browser tests (test/browser/), which drive it with
# playwright-core. No browser build of Playwright's own is downloaded: the browser comes from Debian's packages.
#
# The browser used, in this order:
#   1. LATCHKEY_CHROMIUM, a chromium binary to use as it is (nothing is installed then);
#   2. `chromium` on PATH (Debian's package installs /usr/bin/chromium);
#   3. otherwise, as root with apt-get: `apt-get update && apt-get install -y --no-install-recommends chromium`.
# Not root and no chromium: fails with the command to run. The last line of stdout is the binary's path;
# progress goes to stderr. Installing takes a minute or two on 2 cores and about 300 MB of disk.
set -Eeuo pipefail

INSTALL_COMMAND="sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium"

log() { printf '[tools/install-chromium] %s\n' "$*" >&2; }
fail() {
  printf '[tools/install-chromium] ERROR: %s\n' "$*" >&2
  exit 1
}

# A binary counts only when it answers --version: a broken or half-installed package must not look present.
works() { [[ -x "$1" ]] && "$1" --version >/dev/null 2>&1; }

if [[ -n "${LATCHKEY_CHROMIUM:-}" ]]; then
  works "${LATCHKEY_CHROMIUM}" || fail "LATCHKEY_CHROMIUM=${LATCHKEY_CHROMIUM} does not run (\`${LATCHKEY_CHROMIUM} --version\` failed)."
  echo "${LATCHKEY_CHROMIUM}"
  exit 0
fi

found() {
  local path
  path="$(command -v chromium 2>/dev/null)" || return 1
  works "${path}" || return 1
  echo "${path}"
}

if found; then exit 0; fi

if [[ "$(id -u)" != 0 ]]; then
  fail "Debian's chromium is needed by the browser tests and is not installed. Install it with:
  ${INSTALL_COMMAND}
or set LATCHKEY_CHROMIUM to a chromium binary."
fi
command -v apt-get >/dev/null 2>&1 ||
  fail "chromium is not installed and there is no apt-get to install it with. Install chromium with the system's package manager, or set LATCHKEY_CHROMIUM to a chromium binary."

# Only one install at a time: parallel test runs on one machine would otherwise meet dpkg's lock and fail.
lock="/var/lock/latchkey-install-chromium.lock"
exec 9>"${lock}"
if command -v flock >/dev/null 2>&1; then
  log "taking the install lock ${lock} (another install may be running)"
  flock 9
  if found; then exit 0; fi
fi

export DEBIAN_FRONTEND=noninteractive
# Waits for a dpkg lock held by something else (unattended upgrades) instead of failing at once.
apt_options=(-o DPkg::Lock::Timeout=300)
log "installing Debian's chromium: apt-get update && apt-get install -y --no-install-recommends chromium"
start="$(date +%s)"
apt-get "${apt_options[@]}" update >&2
apt-get "${apt_options[@]}" install -y --no-install-recommends chromium >&2
found >/dev/null || fail "apt-get installed chromium, but \`chromium --version\` does not run"
log "done in $(($(date +%s) - start))s"
found
