// ESLint rule "layers/allowed-imports": a file may import (by relative path) only from the folders
// its runtime allows, written as an allow-list per folder (VS Code's "Bad layering" rule is the
// model). A folder says where its code runs; see docs/architecture.md.
import { dirname, relative, resolve } from 'node:path'

const root = resolve(dirname(new URL(import.meta.url).pathname), '..', '..')

/** Folder (repo-relative, with trailing slash) -> folders it may import from. First match wins. */
export const LAYERS = [
  ['common/', ['common/']],
  ['renderer/', ['renderer/', 'common/']],
  ['electron/shared/', ['common/', 'electron/shared/', 'package.json']],
  // Each worker sees only itself, shared code and the contract: never the engine host.
  ['electron/workers/*/', ['common/', 'electron/shared/', 'electron/workers/$1/']],
  ['electron/engine/', ['common/', 'electron/shared/', 'electron/engine/', 'package.json']],
  ['electron/server/', ['common/', 'electron/shared/', 'electron/engine/', 'electron/server/']],
  [
    'electron/cli/',
    [
      'common/',
      'electron/shared/',
      'electron/engine/',
      'electron/server/',
      'electron/cli/',
      'package.json',
    ],
  ],
  ['electron/preload/', ['common/', 'electron/preload/']],
  [
    'electron/main/',
    ['common/', 'electron/shared/', 'electron/engine/', 'electron/main/', 'package.json'],
  ],
]

function layerOf(file) {
  for (const [folder, allowed] of LAYERS) {
    if (folder.includes('*')) {
      const prefix = folder.slice(0, folder.indexOf('*'))
      if (!file.startsWith(prefix)) continue
      const name = file.slice(prefix.length).split('/')[0]
      if (!file.slice(prefix.length).includes('/')) continue
      return { folder: `${prefix}${name}/`, allowed: allowed.map((a) => a.replace('$1', name)) }
    }
    if (file.startsWith(folder)) return { folder, allowed }
  }
  return null
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'imports follow the runtime layering (allow-list per folder)' },
    schema: [],
  },
  create(context) {
    const file = relative(root, context.filename)
    const layer = layerOf(file)
    if (!layer) return {}
    const check = (node, spec) => {
      if (typeof spec !== 'string' || !spec.startsWith('.')) return
      const target = relative(root, resolve(dirname(context.filename), spec))
      if (layer.allowed.some((a) => target === a || target.startsWith(a))) return
      context.report({
        node,
        message: `Bad layering: ${layer.folder} may import only from ${layer.allowed.join(', ')} (not ${target})`,
      })
    }
    return {
      ImportDeclaration: (n) => check(n, n.source.value),
      ExportNamedDeclaration: (n) => n.source && check(n, n.source.value),
      ExportAllDeclaration: (n) => check(n, n.source.value),
      ImportExpression: (n) => n.source.type === 'Literal' && check(n, n.source.value),
      CallExpression: (n) =>
        n.callee.type === 'Identifier' &&
        n.callee.name === 'require' &&
        n.arguments[0]?.type === 'Literal' &&
        check(n, n.arguments[0].value),
    }
  },
}

export default { rules: { 'allowed-imports': rule } }
