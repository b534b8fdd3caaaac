/**
 * npm run package:teams [-- --out <file>] [-- --check]
 *
 * Builds the Teams app package (dist/teams-app.zip) from manifests/teams/ (see teams-app-package.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { DEFAULT_PACKAGE_OUT, DEVELOPER_DEFAULTS, TeamsPackageError, prepareTeamsPackage, zipTeamsPackage } from './teams-app-package.js';

const USAGE = `Usage: npm run package:teams -- [--out <file>] [--check]

Builds the Teams app package to upload in the Teams admin centre (Manage apps > Upload).

  --out <file>   where to write the zip (default: dist/teams-app.zip)
  --check        validate only; do not write the zip

Environment:
  MICROSOFT_APP_ID       the bot's Microsoft Entra application id (GUID), required
  PUBLIC_HOSTNAME        public host the bot is served from (a URL is accepted), required
  TEAMS_APP_ID           Teams app id (GUID); default: derived from MICROSOFT_APP_ID, stable across builds
  TEAMS_APP_VERSION      MAJOR.MINOR.PATCH, bump it for every upload; default: package.json version
  TEAMS_DEVELOPER_NAME   default "${DEVELOPER_DEFAULTS.TEAMS_DEVELOPER_NAME}" (at most 32 characters)
  TEAMS_WEBSITE_URL, TEAMS_PRIVACY_URL, TEAMS_TERMS_URL
                         https:// pages of your organisation; generic NHS defaults, with a warning
`;

async function main(argv: string[]): Promise<number> {
  let values: { out?: string; check?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { out: { type: 'string' }, check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (err) {
    console.error(`package:teams: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }

  let prepared;
  try {
    prepared = await prepareTeamsPackage({ env: process.env });
  } catch (err) {
    if (!(err instanceof TeamsPackageError)) throw err;
    console.error(`package:teams: ${err.message}`);
    return 1;
  }
  for (const note of prepared.notes) console.log(`note: ${note}`);
  for (const warning of prepared.warnings) console.warn(`warning: ${warning}`);
  const m = prepared.manifest as { id?: string; version?: string; manifestVersion?: string };
  console.log(`Manifest valid (schema ${m.manifestVersion}): Teams app id ${m.id}, version ${m.version}`);
  if (values.check) return 0;

  const out = values.out ? resolve(values.out) : DEFAULT_PACKAGE_OUT;
  const zip = await zipTeamsPackage(prepared.files);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, zip);
  console.log(`Wrote ${relative(process.cwd(), out) || out} (${zip.length} bytes: ${prepared.files.map((f) => f.name).join(', ')})`);
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
