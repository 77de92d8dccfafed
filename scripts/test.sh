#!/usr/bin/env bash
# The whole test suite: install, lint, typecheck, build, unit + integration (Vitest), e2e (Playwright).
set -euo pipefail
cd "$(dirname "$0")/.."
# Electron's binary can't always be downloaded (offline CI); the tests don't need it.
export ELECTRON_SKIP_BINARY_DOWNLOAD="${ELECTRON_SKIP_BINARY_DOWNLOAD:-1}"
[ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
# `npm start` rebuilds better-sqlite3 for Electron; the tests run it under Node.
node -e "require('better-sqlite3')" 2>/dev/null || npm rebuild better-sqlite3
npm run lint
npm run typecheck
npm run build
npx vitest run
# The desktop-window test needs a display; give it a virtual one where there is none.
if [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null; then
  xvfb-run -a npx playwright test
else
  npx playwright test
fi
