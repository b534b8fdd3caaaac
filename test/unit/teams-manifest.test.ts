import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import JSZip from 'jszip';
import { afterAll, describe, expect, it } from 'vitest';

import {
  DEMO_TEAMS_APP_ID,
  TEAMS_MANIFEST_DIR,
  TEAMS_MANIFEST_PATH,
  TeamsPackageError,
  buildTeamsAppZip,
  checkIcon,
  decodePng,
  deriveTeamsAppId,
  encodePng,
  findPlaceholders,
  packageTeamsApp,
  prepareTeamsPackage,
  readPngInfo,
  resolvePackageVariables,
  substitutePlaceholders,
  validateTeamsManifest,
  type ManifestIssue,
} from '../../src/channels/teams/app-package.js';

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
  TEAMS_DEVELOPER_NAME: 'Test NHS Foundation Trust',
  TEAMS_WEBSITE_URL: 'https://www.test-trust.nhs.uk/safeguarding',
  TEAMS_PRIVACY_URL: 'https://www.test-trust.nhs.uk/privacy',
  TEAMS_TERMS_URL: 'https://www.test-trust.nhs.uk/terms',
};

type Json = Record<string, any>;

function template(): Json {
  return JSON.parse(readFileSync(TEAMS_MANIFEST_PATH, 'utf8')) as Json;
}

function substituted(env: Record<string, string> = TEST_ENV): Json {
  const resolved = resolvePackageVariables(env);
  expect(resolved.errors).toEqual([]);
  return substitutePlaceholders(template(), resolved.variables);
}

function paths(issues: readonly ManifestIssue[]): string[] {
  return issues.map((i) => i.path);
}

const tmpDirs: string[] = [];
function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'teams-manifest-'));
  tmpDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

describe('committed Teams manifest template', () => {
  it('uses a stable numbered schema shipped in @microsoft/app-manifest', () => {
    const m = template();
    expect(m.$schema).toBe(`https://developer.microsoft.com/json-schemas/teams/v${m.manifestVersion}/MicrosoftTeams.schema.json`);
    expect(m.manifestVersion).toMatch(/^1\.(1[7-9]|[2-9]\d)$/);
  });

  it('has the expected placeholders and bot shape', () => {
    const m = template();
    expect(findPlaceholders(m)).toEqual(
      expect.arrayContaining(['MICROSOFT_APP_ID', 'PUBLIC_HOSTNAME', 'TEAMS_APP_ID']),
    );
    expect(m.id).toBe('${{TEAMS_APP_ID}}');
    expect(m.name.short).toBe('SG Supervision');
    expect(m.validDomains).toEqual(['${{PUBLIC_HOSTNAME}}']);
    expect(m.bots).toHaveLength(1);
    const bot = m.bots[0];
    expect(bot.botId).toBe('${{MICROSOFT_APP_ID}}');
    expect([...bot.scopes].sort()).toEqual(['groupChat', 'personal', 'team']);
    expect(bot.supportsFiles).toBe(false);
    const commandsFor = (scope: string): string[] =>
      bot.commandLists.filter((l: Json) => l.scopes.includes(scope)).flatMap((l: Json) => l.commands.map((c: Json) => c.title));
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
    const bind = bot.commandLists.flatMap((l: Json) => l.commands).find((c: Json) => c.title === 'bind triage');
    expect(bind.description).toMatch(/triage channel/i);
    expect(bind.description).toMatch(/admin/i);
  });

  it('is valid against the shipped schema after substitution with test values', () => {
    const m = substituted();
    const result = validateTeamsManifest(m);
    expect(result.issues).toEqual([]);
    expect(result.valid).toBe(true);
    expect(result.schemaPath).toMatch(
      new RegExp(`@microsoft[\\\\/]app-manifest[\\\\/]build[\\\\/]json-schemas[\\\\/]teams[\\\\/]v${m.manifestVersion.replace('.', '\\.')}[\\\\/]MicrosoftTeams\\.schema\\.json$`),
    );
    expect(m.id).toBe(TEAMS_APP_ID);
    expect(m.bots[0].botId).toBe(BOT_ID);
    expect(m.validDomains).toEqual([HOST]);
    expect(m.version).toBe('1.4.2');
    expect(m.developer).toEqual({
      name: 'Test NHS Foundation Trust',
      websiteUrl: 'https://www.test-trust.nhs.uk/safeguarding',
      privacyUrl: 'https://www.test-trust.nhs.uk/privacy',
      termsOfUseUrl: 'https://www.test-trust.nhs.uk/terms',
    });
    expect(findPlaceholders(m)).toEqual([]);
  });

  it('is valid with the generic developer defaults too', () => {
    const { TEAMS_DEVELOPER_NAME, TEAMS_WEBSITE_URL, TEAMS_PRIVACY_URL, TEAMS_TERMS_URL, ...rest } = TEST_ENV;
    const resolved = resolvePackageVariables(rest);
    expect(resolved.errors).toEqual([]);
    expect(resolved.warnings.join('\n')).toMatch(/TEAMS_PRIVACY_URL is not set/);
    expect(validateTeamsManifest(substitutePlaceholders(template(), resolved.variables)).issues).toEqual([]);
  });
});

describe('manifest validation rejects broken manifests, naming the field', () => {
  it('missing bot id', () => {
    const m = substituted();
    delete m.bots[0].botId;
    const r = validateTeamsManifest(m);
    expect(r.valid).toBe(false);
    expect(paths(r.issues)).toContain('/bots/0/botId');
  });

  it('bad manifest version', () => {
    const m = substituted();
    m.manifestVersion = '1.99';
    const r = validateTeamsManifest(m);
    expect(r.valid).toBe(false);
    expect(paths(r.issues)).toContain('/manifestVersion');
  });

  it('bad app version (not MAJOR.MINOR.PATCH)', () => {
    const m = substituted();
    m.version = 'v1-beta';
    const r = validateTeamsManifest(m);
    expect(r.valid).toBe(false);
    expect(r.issues).toContainEqual({ path: '/version', message: expect.stringMatching(/MAJOR\.MINOR\.PATCH/) });
  });

  it('non-GUID ids, bad scope, unknown property, over-long name', () => {
    const m = substituted();
    m.id = 'not-a-guid';
    m.bots[0].botId = 'also-not-a-guid';
    m.bots[0].scopes.push('everywhere');
    m.mysteryField = true;
    m.name.short = 'x'.repeat(31);
    const r = validateTeamsManifest(m);
    expect(paths(r.issues)).toEqual(
      expect.arrayContaining(['/id', '/bots/0/botId', '/bots/0/scopes/3', '/mysteryField', '/name/short']),
    );
  });

  it('unfilled placeholders and bad validDomains', () => {
    const m = template();
    m.validDomains = ['https://example.nhs.uk/path'];
    const r = validateTeamsManifest(m);
    expect(r.valid).toBe(false);
    expect(r.issues).toContainEqual({ path: '/bots/0/botId', message: expect.stringContaining('${{MICROSOFT_APP_ID}}') });
    expect(r.issues).toContainEqual({ path: '/id', message: expect.stringContaining('${{TEAMS_APP_ID}}') });
    expect(paths(r.issues)).toContain('/validDomains/0');
  });

  it('unknown $schema version', () => {
    const m = substituted();
    m.$schema = 'https://developer.microsoft.com/json-schemas/teams/v9.99/MicrosoftTeams.schema.json';
    const r = validateTeamsManifest(m);
    expect(r.valid).toBe(false);
    expect(r.issues[0]).toEqual({ path: '/$schema', message: expect.stringMatching(/v9\.99 is not shipped/) });
  });
});

describe('placeholder substitution and environment', () => {
  it('substitutes every string value and reports missing variables by path', () => {
    expect(substitutePlaceholders({ a: ['x-${{ A }}-${{B}}'], k: 1 }, { A: '1', B: '2' })).toEqual({ a: ['x-1-2'], k: 1 });
    try {
      substitutePlaceholders({ bots: [{ botId: '${{NOPE}}' }] }, {});
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(TeamsPackageError);
      expect((err as TeamsPackageError).issues).toEqual([{ path: '/bots/0/botId', message: 'no value for placeholder ${{NOPE}}' }]);
    }
  });

  it('requires MICROSOFT_APP_ID and PUBLIC_HOSTNAME unless placeholders are allowed', () => {
    const strict = resolvePackageVariables({});
    expect(strict.errors.join('\n')).toMatch(/MICROSOFT_APP_ID is not set/);
    expect(strict.errors.join('\n')).toMatch(/PUBLIC_HOSTNAME is not set/);

    const demo = resolvePackageVariables({}, { allowPlaceholder: true });
    expect(demo.errors).toEqual([]);
    expect(demo.variables.TEAMS_APP_ID).toBe(DEMO_TEAMS_APP_ID);
    expect(demo.warnings.join('\n')).toMatch(/fixed demo id/);
    expect(validateTeamsManifest(substitutePlaceholders(template(), demo.variables)).issues).toEqual([]);
  });

  it('derives TEAMS_APP_ID deterministically from MICROSOFT_APP_ID', () => {
    const a = resolvePackageVariables({ MICROSOFT_APP_ID: BOT_ID, PUBLIC_HOSTNAME: HOST });
    const b = resolvePackageVariables({ MICROSOFT_APP_ID: BOT_ID.toUpperCase(), PUBLIC_HOSTNAME: HOST });
    expect(a.variables.TEAMS_APP_ID).toBe(b.variables.TEAMS_APP_ID);
    expect(a.variables.TEAMS_APP_ID).toBe(deriveTeamsAppId(BOT_ID));
    expect(a.variables.TEAMS_APP_ID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.variables.TEAMS_APP_ID).not.toBe(BOT_ID);
    expect(deriveTeamsAppId('00000000-0000-0000-0000-000000000001')).not.toBe(a.variables.TEAMS_APP_ID);
  });

  it('validates ids, host and version from the environment', () => {
    const r = resolvePackageVariables({ MICROSOFT_APP_ID: 'bot', TEAMS_APP_ID: 'app', PUBLIC_HOSTNAME: 'not a host!', TEAMS_APP_VERSION: '1.0' });
    expect(r.errors.join('\n')).toMatch(/MICROSOFT_APP_ID must be a GUID/);
    expect(r.errors.join('\n')).toMatch(/TEAMS_APP_ID must be a GUID/);
    expect(r.errors.join('\n')).toMatch(/PUBLIC_HOSTNAME must be a host name/);
    expect(r.errors.join('\n')).toMatch(/TEAMS_APP_VERSION must be MAJOR\.MINOR\.PATCH/);

    const url = resolvePackageVariables({ MICROSOFT_APP_ID: BOT_ID, PUBLIC_HOSTNAME: 'https://SG.Example.nhs.uk:443/api/messages' });
    expect(url.variables.PUBLIC_HOSTNAME).toBe('sg.example.nhs.uk');
  });
});

describe('icons', () => {
  it('committed icons are valid PNGs of the required sizes', () => {
    const color = readFileSync(join(TEAMS_MANIFEST_DIR, 'color.png'));
    const outline = readFileSync(join(TEAMS_MANIFEST_DIR, 'outline.png'));
    expect(readPngInfo(color)).toMatchObject({ width: 192, height: 192 });
    expect(readPngInfo(outline)).toMatchObject({ width: 32, height: 32 });
    expect(checkIcon('color', color)).toEqual({ errors: [], warnings: [] });
    expect(checkIcon('outline', outline)).toEqual({ errors: [], warnings: [] });

    // colour icon is fully opaque, outline is white on transparent
    const c = decodePng(color)!;
    expect(c.rgba.filter((_, i) => i % 4 === 3).every((a) => a === 255)).toBe(true);
    const o = decodePng(outline)!;
    let visible = 0;
    let transparent = 0;
    for (let i = 0; i < o.rgba.length; i += 4) {
      if (o.rgba[i + 3] === 0) transparent++;
      else {
        visible++;
        expect([o.rgba[i], o.rgba[i + 1], o.rgba[i + 2]]).toEqual([255, 255, 255]);
      }
    }
    expect(visible).toBeGreaterThan(50);
    expect(transparent).toBeGreaterThan(300);
  });

  it('rejects wrong sizes, non-PNGs and a coloured or opaque outline', () => {
    const px = (w: number, h: number, rgba: [number, number, number, number]) =>
      encodePng(w, h, new Uint8Array(w * h * 4).map((_, i) => rgba[i % 4]!));
    expect(checkIcon('color', px(100, 100, [0, 94, 184, 255])).errors).toEqual([
      { path: '/icons/color', message: 'must be 192x192 pixels, is 100x100' },
    ]);
    expect(checkIcon('outline', Buffer.from('not a png')).errors[0]?.message).toMatch(/not a valid PNG/);
    const opaqueBlue = checkIcon('outline', px(32, 32, [0, 94, 184, 255])).errors.map((e) => e.message);
    expect(opaqueBlue).toEqual([
      expect.stringMatching(/transparent background/),
      expect.stringMatching(/white on transparent/),
    ]);
  });

  it('packaging fails when an icon has the wrong size', () => {
    const dir = tmp();
    copyFileSync(TEAMS_MANIFEST_PATH, join(dir, 'manifest.json'));
    copyFileSync(join(TEAMS_MANIFEST_DIR, 'outline.png'), join(dir, 'outline.png'));
    writeFileSync(join(dir, 'color.png'), readFileSync(join(TEAMS_MANIFEST_DIR, 'outline.png')));
    expect(() => prepareTeamsPackage({ manifestPath: join(dir, 'manifest.json'), env: TEST_ENV })).toThrow(
      /\/icons\/color: must be 192x192 pixels, is 32x32/,
    );
  });
});

describe('app package zip', () => {
  it('contains exactly manifest.json and both icons at the root, with substituted ids', async () => {
    const { zip, files } = await packageTeamsApp({ env: TEST_ENV });
    expect(files.map((f) => f.name)).toEqual(['manifest.json', 'color.png', 'outline.png']);

    const archive = await JSZip.loadAsync(zip);
    const entries = Object.values(archive.files);
    expect(entries.filter((e) => e.dir)).toEqual([]);
    expect(entries.map((e) => e.name).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);

    const manifest = JSON.parse(await archive.file('manifest.json')!.async('string')) as Json;
    expect(manifest.id).toBe(TEAMS_APP_ID);
    expect(manifest.bots[0].botId).toBe(BOT_ID);
    expect(manifest.validDomains).toEqual([HOST]);
    expect(findPlaceholders(manifest)).toEqual([]);
    expect(validateTeamsManifest(manifest).issues).toEqual([]);

    for (const name of ['color.png', 'outline.png']) {
      const data = await archive.file(name)!.async('nodebuffer');
      expect(data.equals(readFileSync(join(TEAMS_MANIFEST_DIR, name)))).toBe(true);
    }
  });

  it('is byte-for-byte reproducible', async () => {
    const a = await packageTeamsApp({ env: TEST_ENV });
    const b = await packageTeamsApp({ env: TEST_ENV });
    expect(a.zip.equals(b.zip)).toBe(true);
  });

  it('refuses nested or duplicate file names', async () => {
    await expect(buildTeamsAppZip([{ name: 'icons/color.png', data: Buffer.alloc(1) }])).rejects.toThrow(TeamsPackageError);
    await expect(
      buildTeamsAppZip([
        { name: 'a.png', data: Buffer.alloc(1) },
        { name: 'a.png', data: Buffer.alloc(1) },
      ]),
    ).rejects.toThrow(/duplicate/);
  });
});

describe('package:teams CLI', () => {
  const tsx = join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'tsx.cmd' : 'tsx');
  const cli = join(ROOT, 'src', 'cli', 'package-teams.ts');
  const run = (args: string[], env: Record<string, string>) =>
    spawnSync(tsx, [cli, ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });

  it('writes the zip to --out', async () => {
    const out = join(tmp(), 'nested', 'teams-app.zip');
    const r = run(['--out', out], TEST_ENV);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    const archive = await JSZip.loadAsync(readFileSync(out));
    expect(Object.keys(archive.files).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    const manifest = JSON.parse(await archive.file('manifest.json')!.async('string')) as Json;
    expect(manifest.id).toBe(TEAMS_APP_ID);
  });

  it('exits non-zero with a clear message when MICROSOFT_APP_ID is missing', () => {
    const r = run(['--check'], { PUBLIC_HOSTNAME: HOST });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/MICROSOFT_APP_ID is not set/);
    expect(r.stderr).toMatch(/--allow-placeholder/);
  });
});
