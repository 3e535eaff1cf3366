#!/usr/bin/env bash
# Fill Solara's front-end asset cache from the npm registry, so that the dashboard serves
# every file itself and never asks a CDN at run time (offline machines, council networks).
# Solara proxies https://cdn.jsdelivr.net/npm/<package>@<version>/... at /_solara/cdn/ and
# looks in <venv>/share/solara/cdn/ first (shared/reference/mesa.md, section 2.8).
# Usage: scripts/solara-assets.sh [VENV]   (default .venv); safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-.venv}
cache="$venv/share/solara/cdn"

# The packages the served page asks for with ipyvuetify < 3 (read from the served HTML,
# and checked by tests/test_dashboard.py, which fails on any request that leaves the machine).
packages=(
  "@widgetti/solara-vuetify-app@10.1.1"
  "requirejs@2.3.6"
  "font-awesome@4.5.0"
  "@widgetti/vue-grid-layout@2.3.13-alpha.2"
  "mermaid@10.8.0"  # solara.Markdown loads mermaid and katex
  "katex@0.16.9"
)

command -v npm >/dev/null 2>&1 || { echo "error: npm is needed once, to fetch the dashboard's front-end assets (apt-get install npm)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for spec in "${packages[@]}"; do
  target="$cache/$spec"
  [ -f "$target/package.json" ] && continue
  tgz=$(cd "$work" && npm pack --silent "$spec" | tail -1)
  mkdir -p "$target"
  tar xzf "$work/$tgz" -C "$target" --strip-components=1
done
