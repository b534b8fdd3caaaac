/**
 * Builds the Microsoft Teams app package: manifest.json + the two icons, zipped at the root.
 *
 * The committed template (manifests/teams/manifest.json) has `${{NAME}}` placeholders filled in
 * from the environment; the result is checked with Microsoft's own manifest tooling
 * (@microsoft/app-manifest, against the schema it ships, offline); the committed icons are checked
 * from their PNG header (size only, no codec). Build tooling: nothing in src/ imports this.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { AppManifestUtils, type TeamsManifest } from '@microsoft/app-manifest';
import JSZip from 'jszip';

const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

export const TEAMS_MANIFEST_DIR = join(PROJECT_ROOT, 'manifests', 'teams');
export const DEFAULT_PACKAGE_OUT = join(PROJECT_ROOT, 'dist', 'teams-app.zip');

/** Generic defaults for the developer block; each one in use is warned about. */
export const DEVELOPER_DEFAULTS = {
  TEAMS_DEVELOPER_NAME: 'NHS Safeguarding Team',
  TEAMS_WEBSITE_URL: 'https://www.nhs.uk',
  TEAMS_PRIVACY_URL: 'https://www.nhs.uk/our-policies/privacy-policy/',
  TEAMS_TERMS_URL: 'https://www.nhs.uk/our-policies/terms-and-conditions/',
} as const;

/** Teams wants a 192x192 colour icon and a 32x32 outline icon. */
export const ICON_SIZES = { color: 192, outline: 32 } as const;

/** UUIDv5 namespace for deriving the Teams app id from the bot's app id. */
const TEAMS_APP_ID_NAMESPACE = '55b8aad8-e706-48f9-858d-8282fa7381f2';
const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SEMVER_RE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const HOSTNAME_RE = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;
const PLACEHOLDER_RE = /\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const SCHEMA_URL_RE = /^https:\/\/developer\.microsoft\.com\/json-schemas\/teams\/(v[0-9.]+|vDevPreview)\/MicrosoftTeams\.schema\.json$/;

export type Env = Record<string, string | undefined>;

/** The package cannot be built; `problems` lists each reason, naming the variable or field. */
export class TeamsPackageError extends Error {
  constructor(
    message: string,
    readonly problems: readonly string[] = [],
  ) {
    super([message, ...problems.map((p) => `  - ${p}`)].join('\n'));
    this.name = 'TeamsPackageError';
  }
}

export interface PackageFile {
  name: string;
  data: Buffer;
}

export interface PreparedPackage {
  manifest: Record<string, unknown>;
  /** manifest.json, then the colour and outline icons. */
  files: PackageFile[];
  warnings: string[];
  notes: string[];
}

/** Deterministic UUIDv5 (RFC 9562), so the Teams app id stays the same for one bot across builds. */
export function deriveTeamsAppId(microsoftAppId: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(TEAMS_APP_ID_NAMESPACE.replace(/-/g, ''), 'hex'))
    .update(`sg-supervision/teams-app/${microsoftAppId.toLowerCase()}`, 'utf8')
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A bare host, or the host of a URL ("https://bot.example.nhs.uk/api/messages"). */
function hostOf(raw: string): string | undefined {
  const value = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  try {
    const host = new URL(value).hostname.toLowerCase().replace(/\.$/, '');
    return HOSTNAME_RE.test(host) ? host : undefined;
  } catch {
    return undefined;
  }
}

function projectVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '1.0.0';
}

/** Every `${{NAME}}` value, from the environment; `errors` name the variable and what it must be. */
export function resolveVariables(env: Env): { variables: Record<string, string>; errors: string[]; warnings: string[]; notes: string[] } {
  const get = (name: string): string | undefined => env[name]?.trim() || undefined;
  const variables: Record<string, string> = {};
  const errors: string[] = [];
  const warnings: string[] = [];
  const notes: string[] = [];

  const botId = get('MICROSOFT_APP_ID');
  if (!botId) errors.push("MICROSOFT_APP_ID is not set: it must be the bot's Microsoft Entra application id (a GUID)");
  else if (!GUID_RE.test(botId)) errors.push(`MICROSOFT_APP_ID must be a GUID (the bot's Microsoft Entra application id), got "${botId}"`);
  else variables.MICROSOFT_APP_ID = botId.toLowerCase();

  const appId = get('TEAMS_APP_ID');
  if (appId && !GUID_RE.test(appId)) errors.push(`TEAMS_APP_ID must be a GUID, got "${appId}"`);
  else if (appId) variables.TEAMS_APP_ID = appId.toLowerCase();
  else if (variables.MICROSOFT_APP_ID) {
    variables.TEAMS_APP_ID = deriveTeamsAppId(variables.MICROSOFT_APP_ID);
    notes.push(`TEAMS_APP_ID is not set: derived ${variables.TEAMS_APP_ID} from MICROSOFT_APP_ID (stable for this bot)`);
  }

  const hostRaw = get('PUBLIC_HOSTNAME');
  const host = hostRaw ? hostOf(hostRaw) : undefined;
  if (!hostRaw) errors.push('PUBLIC_HOSTNAME is not set: it must be the public host the bot is served from, e.g. sg-supervision.example.nhs.uk');
  else if (!host) errors.push(`PUBLIC_HOSTNAME must be a host name such as "sg-supervision.example.nhs.uk", got "${hostRaw}"`);
  else variables.PUBLIC_HOSTNAME = host;

  const version = get('TEAMS_APP_VERSION') ?? projectVersion();
  if (SEMVER_RE.test(version)) variables.TEAMS_APP_VERSION = version;
  else errors.push(`TEAMS_APP_VERSION must be MAJOR.MINOR.PATCH (e.g. 1.2.0), got "${version}"`);

  for (const [name, fallback] of Object.entries(DEVELOPER_DEFAULTS)) {
    const value = get(name);
    if (value && name.endsWith('_URL') && !/^https:\/\//i.test(value)) errors.push(`${name} must be an https:// URL, got "${value}"`);
    variables[name] = value ?? fallback;
    if (!value) warnings.push(`${name} is not set: using the generic default "${fallback}". Set it to your organisation's own.`);
  }
  return { variables, errors, warnings, notes };
}

/** Fills `${{NAME}}` in the template text (values JSON-escaped) and parses it; refuses unfilled placeholders by name. */
export function fillTemplate(text: string, variables: Readonly<Record<string, string>>): Record<string, unknown> {
  const missing = new Set<string>();
  const filled = text.replace(PLACEHOLDER_RE, (whole, name: string) => {
    const value = variables[name];
    if (value === undefined) missing.add(whole);
    return value === undefined ? whole : JSON.stringify(value).slice(1, -1);
  });
  if (missing.size) throw new TeamsPackageError('The manifest template has placeholders with no value:', [...missing]);
  return JSON.parse(filled) as Record<string, unknown>;
}

/**
 * Schema problems of a filled manifest ("/bots/0/botId must match pattern ..."), empty when valid.
 * Only schemas shipped in @microsoft/app-manifest are used, so this never goes to the network.
 */
export async function validateManifest(manifest: Record<string, unknown>): Promise<string[]> {
  const url = typeof manifest.$schema === 'string' ? manifest.$schema : '';
  const folder = SCHEMA_URL_RE.exec(url)?.[1];
  const shipped = folder && join(dirname(createRequire(import.meta.url).resolve('@microsoft/app-manifest')), 'json-schemas', 'teams', folder, 'MicrosoftTeams.schema.json');
  if (!shipped || !existsSync(shipped)) {
    return [`/$schema "${url}" is not a Teams manifest schema shipped in @microsoft/app-manifest`];
  }
  const failures = await AppManifestUtils.validateAgainstSchema(manifest as unknown as TeamsManifest);
  return failures.map((f) => (f.startsWith('/') ? f : `/${f}`));
}

/** Width and height from a PNG's IHDR header (bytes 16-23), or undefined if it is not a PNG. */
export function pngSize(data: Buffer): { width: number; height: number } | undefined {
  const signature = '89504e470d0a1a0a';
  if (data.length < 24 || data.toString('hex', 0, 8) !== signature || data.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

/** The icons the manifest names, read from `dir`, with a problem per missing, non-PNG or wrongly sized one. */
function readIcons(manifest: Record<string, unknown>, dir: string): { files: PackageFile[]; problems: string[] } {
  const icons = (manifest.icons ?? {}) as Record<string, unknown>;
  const files: PackageFile[] = [];
  const problems: string[] = [];
  for (const kind of ['color', 'outline'] as const) {
    const name = icons[kind];
    const size = ICON_SIZES[kind];
    if (typeof name !== 'string' || name !== basename(name)) {
      problems.push(`/icons/${kind} must be a file name next to the manifest`);
      continue;
    }
    const file = join(dir, name);
    if (!existsSync(file)) {
      problems.push(`/icons/${kind}: ${file} does not exist`);
      continue;
    }
    const data = readFileSync(file);
    const dims = pngSize(data);
    if (!dims) problems.push(`/icons/${kind}: ${name} is not a PNG`);
    else if (dims.width !== size || dims.height !== size) {
      problems.push(`/icons/${kind}: ${name} must be ${size}x${size} pixels, is ${dims.width}x${dims.height}`);
    }
    files.push({ name, data });
  }
  return { files, problems };
}

/** Reads, fills in and validates the manifest and icons in `manifestDir`; throws TeamsPackageError listing every problem. */
export async function prepareTeamsPackage(options: { env: Env; manifestDir?: string }): Promise<PreparedPackage> {
  const dir = options.manifestDir ?? TEAMS_MANIFEST_DIR;
  const resolved = resolveVariables(options.env);
  if (resolved.errors.length) throw new TeamsPackageError('Cannot fill in the Teams app manifest:', resolved.errors);

  const manifest = fillTemplate(readFileSync(join(dir, 'manifest.json'), 'utf8').replace(/^\uFEFF/, ''), resolved.variables);
  const icons = readIcons(manifest, dir);
  const problems = [...(await validateManifest(manifest)), ...icons.problems];
  if (problems.length) throw new TeamsPackageError('The Teams app manifest is not valid:', problems);

  const manifestFile = { name: 'manifest.json', data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) };
  return { manifest, files: [manifestFile, ...icons.files], warnings: resolved.warnings, notes: resolved.notes };
}

/** Fixed timestamp, so the same inputs give a byte-identical zip. */
const ZIP_DATE = new Date(Date.UTC(2024, 0, 1));

/** Zips the files at the root of the archive, the layout Teams expects. */
export async function zipTeamsPackage(files: readonly PackageFile[]): Promise<Buffer> {
  const zip = new JSZip();
  for (const f of files) zip.file(f.name, f.data, { date: ZIP_DATE, binary: true });
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 }, platform: 'DOS' });
}
