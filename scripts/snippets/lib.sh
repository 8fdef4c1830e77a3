# Shared by the setup-<lang>.sh scripts; sourced, not run.
#
# Every script installs or builds one snippet's dependencies into
#   ${LATCHKEY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey}/snippets/<lang>/<key>/
# where <key> is a hash of the files that decide the result, so an edit rebuilds and an unchanged tree
# does nothing. Progress goes to stderr; the last line of stdout is what the tests run.

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache_root="${LATCHKEY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey}"

log() { printf '[snippets/%s] %s\n' "${lang}" "$*" >&2; }
fail() {
  printf '[snippets/%s] ERROR: %s\n' "${lang}" "$*" >&2
  exit 1
}

# key FILE...: a short hash of the files' names and contents.
key() {
  local f
  for f in "$@"; do
    printf '%s\n' "${f#"${root}"/}"
    cat "${f}"
  done | sha256sum | cut -c1-16
}

# locked DIR: takes a lock on DIR (several test processes may set up at once); waits for another holder.
locked() {
  mkdir -p "$1"
  exec 9>"$1.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
}
