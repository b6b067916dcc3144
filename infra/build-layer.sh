#!/usr/bin/env bash
# One Lambda layer's packages, without Docker: uv (or pip) fetches Linux x86_64 wheels for the Lambda
# runtime's Python (3.12 on Amazon Linux 2023; numpy 2.4 wheels need glibc 2.28, which the 3.11
# runtime on Amazon Linux 2 does not have). boto3 and botocore are the runtime's own.
# Usage: infra/build-layer.sh PYTHON NAME OUT   (reads infra/layers/NAME.txt, writes OUT/python)
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-.venv/bin/python}
name=${2:?layer name: base, data or web}
out=${3:-build/layers/$name}
rm -rf "$out"
# The runtime's own packages stay out even when a layer's package needs them (the X-Ray SDK needs
# botocore): a copy in the layer would come before the runtime's on sys.path, with its own urllib3.
provided=$(mktemp) && trap 'rm -f "$provided"' EXIT && printf 'boto3\nbotocore\ns3transfer\n' >"$provided"
if "$python" -m uv --version >/dev/null 2>&1; then  # bootstrapped by tools/venv-install.sh: seconds, not tens
  "$python" -m uv pip install --quiet --only-binary :all: --python-version 3.12 --excludes "$provided" \
    --python-platform x86_64-manylinux_2_28 --target "$out/python" -r "infra/layers/$name.txt"
else  # pip cannot exclude: it installs the layer's file alone, which lists every package the layer needs
  "$python" -m pip --version >/dev/null 2>&1 || "$python" -m ensurepip --upgrade >/dev/null  # a venv made without pip
  "$python" -m pip install --quiet --no-compile --only-binary=:all: --implementation cp --no-deps \
    --python-version 3.12 --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 \
    --target "$out/python" -r "infra/layers/$name.txt"
fi
# Test suites and caches are a third of the size; Lambda allows 250 MB unzipped for code and layers.
find "$out/python" -depth -type d \( -name tests -o -name __pycache__ \) -exec rm -rf {} +
# Bytecode for the runtime's Python: /opt is read-only on Lambda, so a layer without it is compiled
# again on every cold start (pandas and numpy: most of the transformer's). unchecked-hash: the zip's
# timestamps do not matter. Needs a Python 3.12 here (PATH or pyenv); without one, none is shipped.
py312=""
for candidate in "$(command -v python3.12 || true)" \
    $(command -v pyenv >/dev/null && for v in $(pyenv versions --bare | grep -E '^3\.12'); do
        echo "$(pyenv prefix "$v")/bin/python3"; done); do  # a pyenv shim may refuse: try them in turn
  if [ -n "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
    py312=$candidate && break
  fi
done
if [ -n "$py312" ]; then
  "$py312" -m compileall -q -j 0 --invalidation-mode unchecked-hash "$out/python" >/dev/null || \
    echo "some files of layer $name did not compile (those are compiled at import, as before)"
else
  echo "no Python 3.12 here: layer $name ships without bytecode (each cold start compiles it)"
fi
touch "$out/.built"
du -sh "$out"
