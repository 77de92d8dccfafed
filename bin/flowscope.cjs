#!/usr/bin/env node
'use strict'
// Launcher for the built CLI (out/main/cli.js, made by `npm run build`).
const fs = require('node:fs')
const path = require('node:path')

const entry = path.join(__dirname, '..', 'out', 'main', 'cli.js')
if (!fs.existsSync(entry)) {
  process.stderr.write('flowscope: not built yet: run `npm run build` in the checkout first\n')
  process.exit(2)
}
require(entry)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code
  })
