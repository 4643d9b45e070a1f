#!/usr/bin/env bash
# Runs the whole test suite once more under Node 22, on the tree `npm test` installed and built under Node 20.
# Node 22 comes from the npm registry (package node@22, which ships its headers, so better-sqlite3 can be
# rebuilt for it without downloading anything else). The Node 20 build of better-sqlite3 is restored at the end,
# except in CI, where the checkout is thrown away.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error node@22 >/dev/null
header=$(find "$dir" -path '*include/node/node_version.h' | head -n 1)
home=$(dirname "$(dirname "$(dirname "$header")")")
node20=$(command -v node)
restore() {
  echo "[mcp-warden] restoring the Node 20 build of better-sqlite3" >&2
  PATH="$(dirname "$node20"):$PATH" pnpm rebuild better-sqlite3 >/dev/null
}
[ -n "${CI:-}" ] || trap restore EXIT
export PATH="$home/bin:$PATH"
echo "[mcp-warden] second run under $(node --version)" >&2
case "$(node --version)" in v22.*) ;; *) echo "expected Node 22" >&2; exit 1 ;; esac
echo "[mcp-warden] rebuilding better-sqlite3 for Node 22" >&2
npm_config_nodedir="$home" pnpm rebuild better-sqlite3 >/dev/null
node scripts/dev.mjs test --no-install
