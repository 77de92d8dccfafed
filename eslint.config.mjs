// Flat ESLint config: TypeScript + Vue, import zones by runtime folder, Prettier last.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import pluginVue from 'eslint-plugin-vue'
import prettier from 'eslint-config-prettier'
import globals from 'globals'
import layers from './scripts/eslint/layers.mjs'

const nodeBuiltins = [
  'node:*',
  'fs',
  'path',
  'os',
  'child_process',
  'net',
  'http',
  'https',
  'crypto',
  'events',
  'util',
  'stream',
  'url',
  'dgram',
  'dns',
  'worker_threads',
]

/** Import rules per runtime: renderer and common never reach Node or electron; engine never electron. */
const banned = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
})

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      'test/e2e/artifacts/**',
      'test-results/**',
      'playwright-report/**',
      'native/*/build/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
  },
  {
    files: ['**/*.{ts,mts,cts,js,mjs,cjs}'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['renderer/**/*.{ts,vue}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: banned(
      [...nodeBuiltins, 'electron', 'electron/*', '**/electron/**'],
      'renderer code talks only to the contract (common/)',
    ),
  },
  {
    files: ['common/**/*.ts'],
    rules: banned(
      [...nodeBuiltins, 'electron', 'electron/*', 'vue', '**/electron/**', '**/renderer/**'],
      'common/ is pure TypeScript shared by every side',
    ),
  },
  {
    files: [
      'electron/shared/**/*.ts',
      'electron/engine/**/*.ts',
      'electron/server/**/*.ts',
      'electron/cli/**/*.ts',
      'electron/workers/**/*.ts',
    ],
    rules: banned(
      ['electron', 'electron/*', '**/renderer/**', '**/main/**', '**/preload/**'],
      'shared code, the engine, server, CLI and workers run in plain Node: no electron imports',
    ),
  },
  {
    // Only the IPC wiring module may touch ipcMain / ipcRenderer directly.
    files: ['electron/main/**/*.ts', 'electron/preload/**/*.ts'],
    ignores: ['electron/main/ipc.ts', 'electron/preload/index.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportSpecifier[imported.name=/^ipc(Main|Renderer)$/]',
          message: 'use electron/main/ipc.ts',
        },
      ],
    },
  },
  {
    // Relative imports follow the runtime layering: an allow-list per folder.
    files: ['common/**', 'renderer/**', 'electron/**'],
    plugins: { layers },
    rules: { 'layers/allowed-imports': 'error' },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'vue/multi-word-component-names': 'off',
    },
  },
  prettier,
)
