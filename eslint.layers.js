// The layers of src/ and what each may import, as an allowlist (README "Architecture").
// eslint-plugin-boundaries classifies every file of src/ into one layer; an import is allowed
// only when a policy below names it, whether it is another layer, a package or a Node built-in.
// Run alone with `npx eslint --no-config-lookup -c eslint.layers.js src`;
// test/unit/import-boundaries.test.ts runs it in `npm test`.
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

/** Layers, by folder (or file) from the repository root. The first that matches is the file's. */
const LAYERS = [
  { type: 'domain', pattern: 'src/domain' },
  { type: 'db', pattern: 'src/db' },
  { type: 'flows', pattern: 'src/flows' },
  { type: 'cards', pattern: 'src/cards' },
  { type: 'report', pattern: 'src/report' },
  { type: 'calendar', pattern: 'src/calendar' },
  { type: 'directory', pattern: 'src/directory' },
  { type: 'channels-teams', pattern: 'src/channels/teams' },
  { type: 'channels-slack', pattern: 'src/channels/slack' },
  // outbox.ts, message-delivery.ts, rate-limit.ts: delivery by platform and its pacing, shared by
  // both adapters and the workers.
  { type: 'channels', pattern: 'src/channels/*.ts', mode: 'file' },
  { type: 'scheduler', pattern: 'src/scheduler' },
  { type: 'http', pattern: 'src/http' },
  { type: 'local', pattern: 'src/local' },
  { type: 'cli', pattern: 'src/cli' },
  { type: 'config', pattern: 'src/config.ts', mode: 'file' },
  { type: 'logging', pattern: ['src/logger.ts', 'src/request-context.ts'], mode: 'file' },
  { type: 'server', pattern: 'src/server.ts', mode: 'file' },
  // Composition roots: app.ts wires the web role, main.ts the process roles.
  { type: 'app', pattern: 'src/app.ts', mode: 'file' },
  { type: 'main', pattern: 'src/main.ts', mode: 'file' },
].map((layer) => (layer.mode === 'file' ? layer : { partialMatch: false, ...layer }));

/** Which layers each layer may import (its own files always). */
const MAY_IMPORT = {
  domain: [],
  config: [],
  logging: [],
  db: ['domain', 'config'],
  report: ['domain'],
  calendar: ['domain'],
  flows: ['domain', 'db', 'report', 'logging'],
  directory: ['domain', 'db'],
  channels: ['domain', 'db', 'flows', 'logging'],
  'channels-teams': ['channels', 'cards', 'domain', 'db', 'flows', 'http', 'config', 'logging'],
  'channels-slack': ['channels', 'cards', 'domain', 'db', 'flows', 'logging'],
  scheduler: ['channels', 'domain', 'db', 'flows', 'logging'],
  http: ['domain', 'db', 'flows', 'calendar', 'logging'],
  server: ['logging'],
  local: ['channels-teams', 'domain', 'db', 'config', 'logging'],
  // The organisation CLI offers a new agreement version to its parties: the agreements flow, through the outbox.
  cli: ['domain', 'db', 'directory', 'flows', 'channels', 'config', 'logging'],
  app: ['channels', 'channels-teams', 'channels-slack', 'scheduler', 'http', 'flows', 'domain', 'db', 'config', 'logging', 'server'],
  main: ['app', 'local', 'channels', 'scheduler', 'http', 'flows', 'domain', 'db', 'config', 'logging', 'server'],
};

/** Layers that may import another layer's types only (`import type`), never its code. */
const MAY_IMPORT_TYPES = {
  // CardRef: the template name and data a flow asks for.
  cards: ['flows'],
};

/**
 * Packages and Node built-ins each layer may import (micromatch on the specifier's package name;
 * a [name, { path }] pair limits it to a subpath). The domain: pure packages only, no built-in.
 */
const PACKAGES = {
  domain: ['luxon', 'zod', ['csv-parse', { path: 'sync' }], 'wink-nlp', 'wink-eng-lite-web-model'],
  config: ['zod', 'node:crypto'],
  logging: ['pino', 'node:async_hooks', 'node:crypto', 'express', 'bullmq'],
  db: ['@prisma/*', 'pg', 'zod', 'node:async_hooks', 'node:crypto', 'node:fs', 'node:fs/promises', 'node:module', 'node:path', 'node:url'],
  report: ['echarts', '@resvg/resvg-js'],
  calendar: ['ical-generator'],
  // node:fs for the urgent copy and spool (urgent-copy.ts, urgent-spool.ts), which must outlive a database outage.
  flows: ['luxon', 'zod', 'node:crypto', 'node:fs', 'node:path'],
  cards: ['adaptivecards-templating', 'node:fs', 'node:url'],
  // The Entra ID import signs its token request with a certificate (fetch is a global).
  directory: ['node:crypto'],
  // ioredis: the send limiter shares its slots through Redis.
  channels: ['zod', 'ioredis'],
  'channels-teams': ['botbuilder', 'botframework-connector', 'zod'],
  'channels-slack': ['@slack/bolt', '@slack/web-api', '@slack/types', 'express', 'zod', 'node:crypto'],
  scheduler: ['bullmq', 'ioredis', 'node-cron', 'prom-client', 'luxon', 'zod'],
  http: ['express', '@bull-board/*', 'bullmq', 'prom-client', 'node:crypto', 'node:http'],
  server: ['express', 'node:async_hooks', 'node:http'],
  local: ['node:child_process', 'node:crypto', 'node:fs', 'node:module', 'node:path', 'node:url'],
  cli: ['luxon', 'node:fs', 'node:fs/promises', 'node:path', 'node:url', 'node:util'],
  app: ['ioredis', 'node:crypto'],
  main: ['ioredis', 'prom-client', 'node:http'],
};

const layerPolicies = Object.entries(MAY_IMPORT).map(([from, to]) => ({
  from: { element: { type: from } },
  allow: { to: { element: { types: [from, ...to] } } },
}));

const typePolicies = Object.entries(MAY_IMPORT_TYPES).map(([from, to]) => ({
  from: { element: { type: from } },
  allow: { dependency: { kind: 'type' }, to: { element: { types: to } } },
}));

const packagePolicies = Object.entries(PACKAGES)
  .filter(([, packages]) => packages.length > 0)
  .map(([from, packages]) => ({
    from: { element: { type: from } },
    // One selector for the plain names (a pattern list matches any of them), one per subpath pair.
    allow: [
      { to: { module: { origin: ['external', 'core'], source: packages.filter((entry) => !Array.isArray(entry)) } } },
      ...packages.filter((entry) => Array.isArray(entry)).map(([source, { path }]) => ({ to: { module: { origin: ['external', 'core'], source, internalPath: path } } })),
    ],
  }));

const files = ['src/**/*.ts'];

/** Not a layer: generated by Prisma (the db layer's own files import it). */
const NOT_LAYERED = ['src/db/generated/**'];

/**
 * The layer rules alone, for the main eslint.config.js to spread after its own (they set no
 * parser and no linter options).
 */
export const layers = [
  {
    files,
    ignores: NOT_LAYERED,
    plugins: { boundaries },
    settings: {
      'boundaries/elements': LAYERS,
      'boundaries/dependency-nodes': ['import', 'export', 'dynamic-import', 'require'],
      'boundaries/legacy-templates': false,
      // A one-file layer (config.ts, server.ts...) needs the element descriptor's `mode: 'file'`,
      // which v7 marks deprecated without a replacement for single files yet: its warning is off.
      'boundaries/legacy-warnings': false,
      'import/resolver': { typescript: { project: 'tsconfig.json', alwaysTryTypes: true }, node: true },
    },
    rules: {
      // Every import of every kind (another layer, a package, a built-in) must be allowed above.
      'boundaries/dependencies': ['error', { default: 'disallow', checkAllOrigins: true, checkUnknownLocals: true, policies: [...layerPolicies, ...typePolicies, ...packagePolicies] }],
      // Every file of src/ belongs to a layer, and so does everything it imports.
      'boundaries/no-unknown-files': 'error',
      'boundaries/no-unknown-dependencies': 'error',
    },
  },
  {
    // The domain does no I/O: no network, no process, no environment.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        ...['fetch', 'XMLHttpRequest', 'WebSocket', 'EventSource', 'process', 'require'].map((name) => ({
          name,
          message: 'The domain does no I/O: the layers around it do, and pass it what it needs.',
        })),
      ],
    },
  },
];

/** Run alone (the test, or `npx eslint --no-config-lookup -c eslint.layers.js src`). */
export default [
  { ignores: ['src/db/generated/**'] },
  {
    files,
    languageOptions: { parser: tseslint.parser, sourceType: 'module' },
    // The main config's rules are not run here: their disable comments are not unused, and
    // typescript-eslint's plugin is registered only so that those comments name known rules.
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    plugins: { '@typescript-eslint': tseslint.plugin },
  },
  ...layers,
];
