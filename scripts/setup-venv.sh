#!/usr/bin/env bash
# Create .venv with Python >= 3.12 (Mesa 3.5 requires it) and install the project into it.
# The machine's default python3 may be older: look for 3.12+ on PATH, then in pyenv.
set -euo pipefail
cd "$(dirname "$0")/.."

is_new_enough() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.12 python3.13 python3 python; do
    [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && is_new_enough "$candidate" && { echo "$candidate"; return; }
  done
  if command -v pyenv >/dev/null 2>&1; then
    for candidate in "$(pyenv root)"/versions/3.1[2-9]*/bin/python3; do
      [ -x "$candidate" ] && is_new_enough "$candidate" && { echo "$candidate"; return; }
    done
  fi
  echo "error: no Python >= 3.12 found; install one (for example 'pyenv install 3.12') or set PYTHON=/path/to/python3.12" >&2
  exit 2
}

if [ ! -x .venv/bin/python ] || ! is_new_enough .venv/bin/python; then
  rm -rf .venv
  "$(find_python)" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
# The dashboard's front-end files, so that it never needs the internet at run time.
bash scripts/solara-assets.sh .venv
# The project's own bytecode, as pip writes it for an installed package: an editable
# install has none, and where PYTHONDONTWRITEBYTECODE is set every command would compile
# the modules it imports again (about 0.1 s of `pathways run`).
.venv/bin/python -m compileall -q sim dashboards >/dev/null
