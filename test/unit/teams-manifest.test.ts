import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import JSZip from 'jszip';
import { afterAll, describe, expect, it } from 'vitest';

import {
  TEAMS_MANIFEST_DIR,
  TeamsPackageError,
  deriveTeamsAppId,
  fillTemplate,
  pngSize,
  prepareTeamsPackage,
  resolveVariables,
  validateManifest,
  zipTeamsPackage,
} from '../../tools/teams-app-package.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const BOT_ID = '3f2c9a1e-7b4d-4e8a-9c1f-0d2e3b4a5c6d';
const TEAMS_APP_ID = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const HOST = 'sg-supervision.test.nhs.uk';

/** Hermetic environment: nothing leaks in from the developer's shell. */
const TEST_ENV = {
  MICROSOFT_APP_ID: BOT_ID,
  TEAMS_APP_ID,
  PUBLIC_HOSTNAME: HOST,
  TEAMS_APP_VERSION: '1.4.2',
  TEAMS_DEVELOPER_NAME: 'Test "NHS" Foundation Trust',
  TEAMS_WEBSITE_URL: 'https://www.test-trust.nhs.uk/safeguarding',
  TEAMS_PRIVACY_URL: 'https://www.test-trust.nhs.uk/privacy',
  TEAMS_TERMS_URL: 'https://www.test-trust.nhs.uk/terms',
};

interface Command {
  title: string;
  description: string;
}
interface Manifest {
  $schema: string;
  manifestVersion: string;
  id: string;
  version: string;
  name: { short: string };
  developer: Record<string, string>;
  validDomains: string[];
  bots: { botId?: string; scopes: string[]; supportsFiles: boolean; commandLists: { scopes: string[]; commands: Command[] }[] }[];
  [key: string]: unknown;
}

const templateText = (): string => readFileSync(join(TEAMS_MANIFEST_DIR, 'manifest.json'), 'utf8');

function filled(env: Record<string, string> = TEST_ENV): Manifest {
  const resolved = resolveVariables(env);
  expect(resolved.errors).toEqual([]);
  return fillTemplate(templateText(), resolved.variables) as unknown as Manifest;
}

async function problemsOf(run: () => Promise<unknown>): Promise<string[]> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(TeamsPackageError);
    return [...(err as TeamsPackageError).problems];
  }
  throw new Error('expected a TeamsPackageError');
}

const tmpDirs: string[] = [];
function tmpManifestDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'teams-manifest-'));
  tmpDirs.push(dir);
  for (const name of ['manifest.json', 'color.png', 'outline.png']) copyFileSync(join(TEAMS_MANIFEST_DIR, name), join(dir, name));
  return dir;
}
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

describe('committed Teams manifest template', () => {
  it('names a numbered schema that @microsoft/app-manifest ships', () => {
    const m = JSON.parse(templateText()) as Manifest;
    expect(m.$schema).toBe(`https://developer.microsoft.com/json-schemas/teams/v${m.manifestVersion}/MicrosoftTeams.schema.json`);
    expect(m.manifestVersion).toMatch(/^1\.(1[7-9]|[2-9]\d)$/);
  });

  it('has the expected placeholders, bot and commands', () => {
    const m = JSON.parse(templateText()) as Manifest;
    expect(m.id).toBe('${{TEAMS_APP_ID}}');
    expect(m.validDomains).toEqual(['${{PUBLIC_HOSTNAME}}']);
    expect(m.name.short).toBe('SG Supervision');
    expect(m.bots).toHaveLength(1);
    const bot = m.bots[0]!;
    expect(bot.botId).toBe('${{MICROSOFT_APP_ID}}');
    expect([...bot.scopes].sort()).toEqual(['groupChat', 'personal', 'team']);
    expect(bot.supportsFiles).toBe(false);
    const commandsFor = (scope: string): string[] =>
      bot.commandLists.filter((l) => l.scopes.includes(scope)).flatMap((l) => l.commands.map((c) => c.title));
    expect(commandsFor('personal')).toEqual([
      'help',
      'new request',
      'book supervision',
      'my actions',
      'history',
      'my team',
      'overdue supervision',
      'report',
      'audit',
      'failed reminders',
    ]);
    expect(commandsFor('team')).toEqual(['bind triage', 'help']);
    const bind = bot.commandLists.flatMap((l) => l.commands).find((c) => c.title === 'bind triage');
    expect(bind?.description).toMatch(/triage channel.*admin/i);
  });

  it('is valid against the shipped schema once filled in, with every value in its place', async () => {
    const m = filled();
    expect(await validateManifest(m)).toEqual([]);
    expect(m.id).toBe(TEAMS_APP_ID);
    expect(m.bots[0]!.botId).toBe(BOT_ID);
    expect(m.validDomains).toEqual([HOST]);
    expect(m.version).toBe('1.4.2');
    expect(m.developer).toEqual({
      name: 'Test "NHS" Foundation Trust',
      websiteUrl: 'https://www.test-trust.nhs.uk/safeguarding',
      privacyUrl: 'https://www.test-trust.nhs.uk/privacy',
      termsOfUseUrl: 'https://www.test-trust.nhs.uk/terms',
    });
    expect(JSON.stringify(m)).not.toContain('${{');
  });

  it('is valid with the generic developer defaults, which are warned about', async () => {
    const { MICROSOFT_APP_ID, PUBLIC_HOSTNAME } = TEST_ENV;
    const resolved = resolveVariables({ MICROSOFT_APP_ID, PUBLIC_HOSTNAME });
    expect(resolved.errors).toEqual([]);
    expect(resolved.warnings.join('\n')).toMatch(/TEAMS_PRIVACY_URL is not set/);
    expect(await validateManifest(fillTemplate(templateText(), resolved.variables))).toEqual([]);
  });
});

describe('a broken manifest is refused, naming the field', () => {
  it('a bot id that is not a GUID', async () => {
    const m = filled();
    m.bots[0]!.botId = 'not-a-guid';
    expect(await validateManifest(m)).toEqual([expect.stringMatching(/^\/bots\/0\/botId must match pattern/)]);
  });

  it('a missing bot id, an unknown property, an over-long name', async () => {
    const m = filled();
    delete m.bots[0]!.botId;
    m.mysteryField = true;
    m.name.short = 'x'.repeat(31);
    const problems = (await validateManifest(m)).join('\n');
    expect(problems).toMatch(/\/bots\/0 must have required property 'botId'/);
    expect(problems).toMatch(/additional properties.*mysteryField/);
    expect(problems).toMatch(/\/name\/short must NOT have more than 30 characters/);
  });

  it('a schema version that is not shipped (never fetched from the network)', async () => {
    const m = filled();
    m.$schema = 'https://developer.microsoft.com/json-schemas/teams/v9.99/MicrosoftTeams.schema.json';
    expect(await validateManifest(m)).toEqual([expect.stringMatching(/^\/\$schema .*v9\.99.* is not a Teams manifest schema shipped/)]);
  });

  it('a placeholder with no value', () => {
    expect(() => fillTemplate('{"bots":[{"botId":"${{ NOPE }}"}]}', {})).toThrow(/placeholders with no value:\n {2}- \$\{\{ NOPE \}\}/);
  });
});

describe('values from the environment', () => {
  it('a missing MICROSOFT_APP_ID or PUBLIC_HOSTNAME is refused by name', async () => {
    const problems = await problemsOf(() => prepareTeamsPackage({ env: {} }));
    expect(problems).toEqual([
      expect.stringMatching(/^MICROSOFT_APP_ID is not set/),
      expect.stringMatching(/^PUBLIC_HOSTNAME is not set/),
    ]);
  });

  it('ids, host, version and URLs in the wrong form are refused by name', () => {
    const r = resolveVariables({
      MICROSOFT_APP_ID: 'bot',
      TEAMS_APP_ID: 'app',
      PUBLIC_HOSTNAME: 'not a host!',
      TEAMS_APP_VERSION: '1.0',
      TEAMS_PRIVACY_URL: 'http://www.test-trust.nhs.uk/privacy',
    });
    expect(r.errors).toEqual([
      'MICROSOFT_APP_ID must be a GUID (the bot\'s Microsoft Entra application id), got "bot"',
      'TEAMS_APP_ID must be a GUID, got "app"',
      'PUBLIC_HOSTNAME must be a host name such as "sg-supervision.example.nhs.uk", got "not a host!"',
      'TEAMS_APP_VERSION must be MAJOR.MINOR.PATCH (e.g. 1.2.0), got "1.0"',
      'TEAMS_PRIVACY_URL must be an https:// URL, got "http://www.test-trust.nhs.uk/privacy"',
    ]);
  });

  it('takes the host of a URL and derives a stable TEAMS_APP_ID from MICROSOFT_APP_ID', () => {
    const a = resolveVariables({ MICROSOFT_APP_ID: BOT_ID, PUBLIC_HOSTNAME: 'https://SG.Example.nhs.uk:443/api/messages' });
    const b = resolveVariables({ MICROSOFT_APP_ID: BOT_ID.toUpperCase(), PUBLIC_HOSTNAME: HOST });
    expect(a.variables.PUBLIC_HOSTNAME).toBe('sg.example.nhs.uk');
    expect(a.variables.TEAMS_APP_ID).toBe(b.variables.TEAMS_APP_ID);
    expect(a.variables.TEAMS_APP_ID).toBe(deriveTeamsAppId(BOT_ID));
    expect(a.variables.TEAMS_APP_ID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.variables.TEAMS_APP_ID).not.toBe(deriveTeamsAppId('00000000-0000-0000-0000-000000000001'));
  });
});

describe('icons', () => {
  it('the committed icons are PNGs of the sizes Teams requires', () => {
    expect(pngSize(readFileSync(join(TEAMS_MANIFEST_DIR, 'color.png')))).toEqual({ width: 192, height: 192 });
    expect(pngSize(readFileSync(join(TEAMS_MANIFEST_DIR, 'outline.png')))).toEqual({ width: 32, height: 32 });
    expect(pngSize(Buffer.from('not a png, but long enough to have a header'))).toBeUndefined();
  });

  it('an icon of the wrong size or not a PNG is refused', async () => {
    const dir = tmpManifestDir();
    copyFileSync(join(TEAMS_MANIFEST_DIR, 'outline.png'), join(dir, 'color.png'));
    writeFileSync(join(dir, 'outline.png'), 'GIF89a');
    expect(await problemsOf(() => prepareTeamsPackage({ env: TEST_ENV, manifestDir: dir }))).toEqual([
      '/icons/color: color.png must be 192x192 pixels, is 32x32',
      '/icons/outline: outline.png is not a PNG',
    ]);
  });
});

describe('app package zip', () => {
  it('holds exactly manifest.json and the two icons at the root, with the filled-in values', async () => {
    const { files } = await prepareTeamsPackage({ env: TEST_ENV });
    const archive = await JSZip.loadAsync(await zipTeamsPackage(files));
    expect(Object.keys(archive.files).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);

    const manifest = JSON.parse(await archive.file('manifest.json')!.async('string')) as Manifest;
    expect(manifest.id).toBe(TEAMS_APP_ID);
    expect(manifest.bots[0]!.botId).toBe(BOT_ID);
    expect(manifest.validDomains).toEqual([HOST]);
    expect(manifest.version).toBe('1.4.2');
    expect(await validateManifest(manifest)).toEqual([]);
    for (const name of ['color.png', 'outline.png']) {
      const data = await archive.file(name)!.async('nodebuffer');
      expect(data.equals(readFileSync(join(TEAMS_MANIFEST_DIR, name)))).toBe(true);
    }
  });

  it('is byte-for-byte reproducible', async () => {
    const { files } = await prepareTeamsPackage({ env: TEST_ENV });
    expect((await zipTeamsPackage(files)).equals(await zipTeamsPackage(files))).toBe(true);
  });
});

describe('npm run package:teams (tools/package-teams.ts)', () => {
  const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
  const run = (args: string[], env: Record<string, string>) =>
    spawnSync(tsx, [join(ROOT, 'tools', 'package-teams.ts'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });

  it('writes the zip to --out', async () => {
    const out = join(tmpManifestDir(), 'nested', 'teams-app.zip');
    const r = run(['--out', out], TEST_ENV);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const archive = await JSZip.loadAsync(readFileSync(out));
    expect(Object.keys(archive.files).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    const manifest = JSON.parse(await archive.file('manifest.json')!.async('string')) as Manifest;
    expect(manifest.id).toBe(TEAMS_APP_ID);
  });

  it('exits 1 naming the variable when MICROSOFT_APP_ID is missing', () => {
    const r = run(['--check'], { PUBLIC_HOSTNAME: HOST });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^package:teams: Cannot fill in the Teams app manifest:\n {2}- MICROSOFT_APP_ID is not set/);
  });
});
