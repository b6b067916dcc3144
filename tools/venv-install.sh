#!/usr/bin/env bash
# Install into a virtual environment, creating it if needed:  tools/venv-install.sh VENV PYTHON PIP-ARGS...
# uv (pinned below) is bootstrapped inside VENV, never globally; it installs a lockfile in seconds
# where pip takes a minute. Where uv cannot be had, plain pip does the same install.
# COVID_ETL_INSTALLER=pip forces pip.
set -euo pipefail
UV_VERSION=0.13.9
venv=$1 python=$2
shift 2
py=$venv/bin/python
# No pip in the venv unless it is needed: ensurepip alone takes longer than uv's whole install.
[ -x "$py" ] || "$python" -m venv --without-pip "$venv"

has_uv() { "$py" -m uv --version 2>/dev/null | grep -q "^uv $UV_VERSION "; }
ensure_pip() { "$py" -m pip --version >/dev/null 2>&1 || "$py" -m ensurepip --upgrade >/dev/null; }
bootstrap_uv() {
  [ "${COVID_ETL_INSTALLER:-uv}" = uv ] || return 1
  has_uv && return 0
  # The base interpreter's pip installs into the venv (pip >= 22.3); else the venv's own pip.
  "$python" -m pip --python "$py" install --quiet "uv==$UV_VERSION" 2>/dev/null ||
    { ensure_pip && "$py" -m pip install --quiet "uv==$UV_VERSION"; } || return 1
  has_uv
}

if bootstrap_uv; then
  # uv reads no pip.conf; it uses PyPI and its own cache (UV_CACHE_DIR).
  if "$py" -m uv pip install --quiet --python "$py" "$@"; then exit 0; fi
  echo "uv could not install $*; trying pip" >&2
else
  echo "uv $UV_VERSION is not available: installing with pip" >&2
fi
ensure_pip
"$py" -m pip install "$@"
