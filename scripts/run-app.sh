#!/usr/bin/env bash
# Sets up and runs Flowscope: the desktop app where Electron is installed and a display exists,
# otherwise serve mode (open the printed URL in a browser). Extra arguments go to `serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-system.sh
if ! { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ]; }; then
  # Electron's binary comes from outside the npm registry; offline, install without it.
  npm ci --no-audit --no-fund || ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund
fi
npm run build
if node -e "require('fs').accessSync(require('electron'))" 2>/dev/null && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  npx electron-builder install-app-deps # native modules for Electron's ABI
  exec npx electron-vite preview --skipBuild
fi
echo "Electron or a display is not available here: starting serve mode instead." >&2
node -e "require('better-sqlite3')" 2>/dev/null || npm rebuild better-sqlite3
exec node bin/flowscope.cjs serve "$@"
