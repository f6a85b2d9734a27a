#!/usr/bin/env bash
# Print the path of a Python 3.12 interpreter (the Lambda runtime's version) for `sam build`
# and the built-artifact smoke test: python3.12 on the PATH, else pyenv's newest 3.12.x.
# Exits 1 with what to install when there is none.
set -euo pipefail

if python3.12 -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
  python3.12 -c 'import sys; print(sys.executable)'
  exit 0
fi
if command -v pyenv >/dev/null 2>&1; then
  version=$(pyenv versions --bare 2>/dev/null | grep -E '^3\.12\.[0-9]+$' | sort -t. -k3,3n | tail -1 || true)
  if [ -n "$version" ]; then
    PYENV_VERSION="$version" pyenv which python3.12
    exit 0
  fi
fi
echo "No Python 3.12 found (the Lambda runtime of template.yaml): sam build needs it." >&2
echo "Install it (e.g. 'pyenv install 3.12' or your system's python3.12 package) and retry." >&2
exit 1
