#!/usr/bin/env bash
# The README's run command: installs what is missing, builds the release site
# and starts it on SQLite with the sandbox processor and demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
source scripts/env.sh

cargo leptos build --release
scripts/precompress.sh target/site/pkg

export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
export TOLEM_DEMO_DATA="${TOLEM_DEMO_DATA:-true}"
echo "tolem: http://$LEPTOS_SITE_ADDR"
exec ./target/release/server
