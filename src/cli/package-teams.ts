/**
 * npm run package:teams [-- options]
 *
 * Builds the Microsoft Teams app package (dist/teams-app.zip) from
 * manifests/teams/: fills in ${{...}} placeholders from the environment,
 * validates against the Teams schema shipped in @microsoft/app-manifest,
 * checks the icons and zips manifest.json + icons at the archive root.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import {
  DEFAULT_PACKAGE_OUT,
  DEVELOPER_DEFAULTS,
  TEAMS_MANIFEST_DIR,
  TEAMS_MANIFEST_PATH,
  TeamsPackageError,
  buildTeamsAppZip,
  prepareTeamsPackage,
  renderColorIcon,
  renderOutlineIcon,
} from '../channels/teams/app-package.js';

const USAGE = `Usage: npm run package:teams -- [options]

Builds the Teams app package to upload in Teams admin centre
(Teams apps > Manage apps > Upload new app) or via "Upload a custom app".

Options:
  --out <file>           Where to write the zip (default: dist/teams-app.zip)
  --manifest <file>      Manifest template (default: manifests/teams/manifest.json);
                         icons are read from the same folder
  --allow-placeholder    Build without MICROSOFT_APP_ID / PUBLIC_HOSTNAME, using
                         placeholder values (local demos only)
  --check                Validate only; do not write the zip
  --write-icons          (Re)write the default color.png / outline.png next to the
                         manifest, then package as usual
  -h, --help             Show this help

Environment:
  MICROSOFT_APP_ID       Bot's Microsoft Entra application id (GUID). Required.
  PUBLIC_HOSTNAME        Public host the bot is served from, e.g.
                         sg-supervision.example.nhs.uk (a URL is accepted). Required.
  TEAMS_APP_ID           Teams app id (GUID). Default: derived from MICROSOFT_APP_ID,
                         stable across builds.
  TEAMS_APP_VERSION      MAJOR.MINOR.PATCH; bump it for every upload.
                         Default: package.json version.
  TEAMS_DEVELOPER_NAME   Default: "${DEVELOPER_DEFAULTS.TEAMS_DEVELOPER_NAME}" (max 32 characters)
  TEAMS_WEBSITE_URL      Default: ${DEVELOPER_DEFAULTS.TEAMS_WEBSITE_URL}
  TEAMS_PRIVACY_URL      Default: ${DEVELOPER_DEFAULTS.TEAMS_PRIVACY_URL}
  TEAMS_TERMS_URL        Default: ${DEVELOPER_DEFAULTS.TEAMS_TERMS_URL}
                         The developer defaults are generic placeholders: set them to
                         your trust's own support, privacy notice and terms pages.

To read a .env file: npx tsx --env-file=.env src/cli/package-teams.ts
`;

function show(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        out: { type: 'string' },
        manifest: { type: 'string' },
        'allow-placeholder': { type: 'boolean', default: false },
        check: { type: 'boolean', default: false },
        'write-icons': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
      strict: true,
    });
  } catch (err) {
    console.error(`package:teams: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const opts = args.values;
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }

  const manifestPath = opts.manifest ? resolve(opts.manifest) : TEAMS_MANIFEST_PATH;
  const outPath = opts.out ? resolve(opts.out) : DEFAULT_PACKAGE_OUT;

  if (opts['write-icons']) {
    const dir = opts.manifest ? dirname(manifestPath) : TEAMS_MANIFEST_DIR;
    writeFileSync(join(dir, 'color.png'), renderColorIcon());
    writeFileSync(join(dir, 'outline.png'), renderOutlineIcon());
    console.log(`Wrote ${show(join(dir, 'color.png'))} (192x192) and ${show(join(dir, 'outline.png'))} (32x32)`);
  }

  let prepared;
  try {
    prepared = prepareTeamsPackage({ manifestPath, env: process.env, allowPlaceholder: opts['allow-placeholder'] });
  } catch (err) {
    if (err instanceof TeamsPackageError) {
      console.error(`package:teams: ${err.message}`);
      return 1;
    }
    throw err;
  }

  for (const note of prepared.notes) console.log(`note: ${note}`);
  for (const warning of prepared.warnings) console.warn(`warning: ${warning}`);

  const m = prepared.manifest as { id?: string; version?: string; manifestVersion?: string; bots?: { botId?: string }[] };
  console.log(
    `Manifest valid against ${show(prepared.schemaPath)}\n` +
      `  manifestVersion ${m.manifestVersion}, app version ${m.version}\n` +
      `  Teams app id ${m.id}\n` +
      `  bot id       ${m.bots?.[0]?.botId}`,
  );

  if (opts.check) {
    console.log('--check: not writing the package');
    return 0;
  }

  const zip = await buildTeamsAppZip(prepared.files);
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, zip);
  console.log(`Wrote ${show(outPath)} (${zip.length} bytes: ${prepared.files.map((f) => f.name).join(', ')})`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
