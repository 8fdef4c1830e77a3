#!/usr/bin/env bash
# Creates a virtualenv with snippets/python/requirements.txt (requests-oauthlib, for the guide's snippet) and
# requirements-checks.txt (authlib, whose RFC 8414 validator the tests run on Latchkey's metadata) in the cache
# and prints the path of its python. Needs Python 3.9+ with the venv module and PyPI.
set -Eeuo pipefail
lang=python
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

src="${root}/snippets/python"
command -v python3 >/dev/null 2>&1 ||
  fail "python3 is not installed or not on PATH: install Python 3.9 or newer with venv (Debian: apt-get install python3 python3-venv)."
python3 -c 'import sys; sys.exit(sys.version_info < (3, 9))' ||
  fail "$(python3 --version) is too old: install Python 3.9 or newer."
python3 -c 'import venv, ensurepip' 2>/dev/null ||
  fail "python3 has no venv/ensurepip module: install it (Debian: apt-get install python3-venv)."

# The interpreter is part of the key: a virtualenv belongs to the python that made it.
interpreter="$(python3 -c 'import sys; print(sys.version, sys.base_prefix)')"
venv="${cache_root}/snippets/python/$(key "${src}/requirements.txt" "${src}/requirements-checks.txt" <(printf '%s' "${interpreter}"))"
works() { [[ -f "${venv}/.complete" ]] && "${venv}/bin/python" -c 'import requests_oauthlib, authlib' 2>/dev/null; }
if works; then
  echo "${venv}/bin/python"
  exit 0
fi

locked "${venv}"
if ! works; then
  log "creating ${venv}"
  rm -rf "${venv}"
  python3 -m venv "${venv}"
  "${venv}/bin/python" -m pip install --quiet --no-input --disable-pip-version-check -r "${src}/requirements.txt" -r "${src}/requirements-checks.txt" >&2
  touch "${venv}/.complete"
fi
echo "${venv}/bin/python"
