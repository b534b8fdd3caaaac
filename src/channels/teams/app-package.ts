/**
 * Building the Microsoft Teams app package (manifest.json + icons, zipped).
 *
 * The committed template lives in manifests/teams/. It contains `${{NAME}}`
 * placeholders which are filled in from the environment at packaging time,
 * the result is validated against the Teams JSON schema shipped inside
 * @microsoft/app-manifest (offline, no network), the icons are checked, and
 * everything is zipped with the three files at the root of the archive, which
 * is the layout Teams admin centre / "Upload a custom app" expects.
 *
 * src/cli/package-teams.ts wires these functions into `npm run package:teams`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync, inflateSync } from 'node:zlib';

import { Ajv, type ErrorObject, type Options as AjvOptions, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import AjvDraft04Module from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import JSZip from 'jszip';

// ajv-draft-04 and ajv-formats are CommonJS; their `.default` is the export
// both at runtime (they set exports.default) and in the NodeNext typings.
const AjvDraft04 = AjvDraft04Module.default;
const addFormats = addFormatsModule.default;

// ---------------------------------------------------------------------------
// Locations and constants
// ---------------------------------------------------------------------------

const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Directory holding the committed manifest template and icons. */
export const TEAMS_MANIFEST_DIR = join(PROJECT_ROOT, 'manifests', 'teams');
export const TEAMS_MANIFEST_PATH = join(TEAMS_MANIFEST_DIR, 'manifest.json');
export const DEFAULT_PACKAGE_OUT = join(PROJECT_ROOT, 'dist', 'teams-app.zip');

/** Used as TEAMS_APP_ID when nothing better is available (with a warning). */
export const DEMO_TEAMS_APP_ID = 'f98169a8-a27d-420b-83b2-0a05893043ed';
/** Used as MICROSOFT_APP_ID only with --allow-placeholder (with a warning). */
export const PLACEHOLDER_MICROSOFT_APP_ID = '00000000-0000-0000-0000-000000000000';
/** Used as PUBLIC_HOSTNAME only with --allow-placeholder (with a warning). */
export const PLACEHOLDER_PUBLIC_HOSTNAME = 'localhost';
/** UUIDv5 namespace for deriving the Teams app id from the bot's app id. */
const TEAMS_APP_ID_NAMESPACE = '55b8aad8-e706-48f9-858d-8282fa7381f2';

/**
 * Defaults for the developer block. They are generic NHS placeholders so the
 * package can be built out of the box; the CLI warns while they are in use
 * because each trust must point them at its own pages.
 */
export const DEVELOPER_DEFAULTS = {
  TEAMS_DEVELOPER_NAME: 'NHS Safeguarding Team',
  TEAMS_WEBSITE_URL: 'https://www.nhs.uk',
  TEAMS_PRIVACY_URL: 'https://www.nhs.uk/our-policies/privacy-policy/',
  TEAMS_TERMS_URL: 'https://www.nhs.uk/our-policies/terms-and-conditions/',
} as const;

export const ICON_SIZES = { color: 192, outline: 32 } as const;

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SEMVER_RE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const HOSTNAME_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const PLACEHOLDER_RE = /\$\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const HAS_PLACEHOLDER_RE = /\$\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}/;

export type Env = Record<string, string | undefined>;

/** One problem found in a manifest; `path` is a JSON pointer such as `/bots/0/botId`. */
export interface ManifestIssue {
  path: string;
  message: string;
}

export function formatIssues(issues: readonly ManifestIssue[]): string {
  return issues.map((i) => `  - ${i.path || '/'}: ${i.message}`).join('\n');
}

/** Thrown by packageTeamsApp when the package cannot be built. */
export class TeamsPackageError extends Error {
  constructor(
    message: string,
    readonly issues: readonly ManifestIssue[] = [],
  ) {
    super(issues.length ? `${message}\n${formatIssues(issues)}` : message);
    this.name = 'TeamsPackageError';
  }
}

// ---------------------------------------------------------------------------
// Variables and substitution
// ---------------------------------------------------------------------------

/** Deterministic UUIDv5 (RFC 9562) of `name` in `namespace`. */
export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The Teams app id used when TEAMS_APP_ID is not set: stable per bot registration. */
export function deriveTeamsAppId(microsoftAppId: string): string {
  return uuidV5(`sg-supervision/teams-app/${microsoftAppId.toLowerCase()}`, TEAMS_APP_ID_NAMESPACE);
}

/** Accepts a bare host or a URL ("https://bot.example.nhs.uk/api/messages") and returns the host name. */
export function normalisePublicHostname(raw: string): string | undefined {
  let value = raw.trim().toLowerCase();
  if (!value) return undefined;
  if (!/^[a-z][a-z0-9+.-]*:\/\//.test(value)) value = `https://${value}`;
  let host: string;
  try {
    host = new URL(value).hostname;
  } catch {
    return undefined;
  }
  host = host.replace(/\.$/, '');
  return HOSTNAME_RE.test(host) ? host : undefined;
}

function readProjectVersion(): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

export interface ResolveOptions {
  /** Build with placeholder ids/host instead of failing (local demos only). */
  allowPlaceholder?: boolean;
}

export interface ResolvedVariables {
  variables: Record<string, string>;
  warnings: string[];
  notes: string[];
  errors: string[];
}

/**
 * Works out every `${{NAME}}` value from the environment.
 *
 *  - MICROSOFT_APP_ID (or MicrosoftAppId): the bot's Entra app id, required
 *    unless allowPlaceholder.
 *  - TEAMS_APP_ID: GUID; defaults to a UUIDv5 derived from MICROSOFT_APP_ID,
 *    or to a fixed demo GUID (warning) when there is no bot id either.
 *  - PUBLIC_HOSTNAME: host (or URL) the bot is served from -> validDomains.
 *  - TEAMS_APP_VERSION: defaults to package.json "version".
 *  - TEAMS_DEVELOPER_NAME / TEAMS_WEBSITE_URL / TEAMS_PRIVACY_URL /
 *    TEAMS_TERMS_URL: developer block; generic defaults with a warning.
 */
export function resolvePackageVariables(env: Env, options: ResolveOptions = {}): ResolvedVariables {
  const allow = options.allowPlaceholder ?? false;
  const warnings: string[] = [];
  const notes: string[] = [];
  const errors: string[] = [];
  const variables: Record<string, string> = {};
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };

  // Bot id
  const botId = get('MICROSOFT_APP_ID') ?? get('MicrosoftAppId');
  if (botId) {
    if (GUID_RE.test(botId)) variables.MICROSOFT_APP_ID = botId.toLowerCase();
    else errors.push(`MICROSOFT_APP_ID must be a GUID (the bot's Microsoft Entra application id), got "${botId}"`);
  } else if (allow) {
    variables.MICROSOFT_APP_ID = PLACEHOLDER_MICROSOFT_APP_ID;
    warnings.push(
      `MICROSOFT_APP_ID is not set: using the placeholder bot id ${PLACEHOLDER_MICROSOFT_APP_ID}. ` +
        'The package will install but the bot will not answer. Do not distribute it.',
    );
  } else {
    errors.push(
      "MICROSOFT_APP_ID is not set: it must be the bot's Microsoft Entra application id " +
        '(pass --allow-placeholder to build a demo package without one)',
    );
  }

  // Teams app id
  const teamsAppId = get('TEAMS_APP_ID');
  if (teamsAppId) {
    if (GUID_RE.test(teamsAppId)) variables.TEAMS_APP_ID = teamsAppId.toLowerCase();
    else errors.push(`TEAMS_APP_ID must be a GUID, got "${teamsAppId}"`);
  } else if (botId && GUID_RE.test(botId)) {
    variables.TEAMS_APP_ID = deriveTeamsAppId(botId);
    notes.push(
      `TEAMS_APP_ID is not set: derived ${variables.TEAMS_APP_ID} from MICROSOFT_APP_ID ` +
        '(stable for this bot; set TEAMS_APP_ID to pin it explicitly).',
    );
  } else {
    variables.TEAMS_APP_ID = DEMO_TEAMS_APP_ID;
    warnings.push(
      `TEAMS_APP_ID is not set and there is no MICROSOFT_APP_ID to derive it from: using the fixed demo id ${DEMO_TEAMS_APP_ID}. ` +
        'Every demo package shares this id; set TEAMS_APP_ID for a real deployment.',
    );
  }

  // Public host
  const hostRaw = get('PUBLIC_HOSTNAME');
  if (hostRaw) {
    const host = normalisePublicHostname(hostRaw);
    if (host) variables.PUBLIC_HOSTNAME = host;
    else errors.push(`PUBLIC_HOSTNAME must be a host name such as "sg-supervision.example.nhs.uk", got "${hostRaw}"`);
  } else if (allow) {
    variables.PUBLIC_HOSTNAME = PLACEHOLDER_PUBLIC_HOSTNAME;
    warnings.push(`PUBLIC_HOSTNAME is not set: using "${PLACEHOLDER_PUBLIC_HOSTNAME}" in validDomains.`);
  } else {
    errors.push(
      'PUBLIC_HOSTNAME is not set: it must be the public host name the bot is served from, ' +
        'e.g. sg-supervision.example.nhs.uk (pass --allow-placeholder to build a demo package without one)',
    );
  }

  // App version
  const version = get('TEAMS_APP_VERSION') ?? readProjectVersion() ?? '1.0.0';
  variables.TEAMS_APP_VERSION = version;
  if (!SEMVER_RE.test(version)) {
    errors.push(`TEAMS_APP_VERSION must be MAJOR.MINOR.PATCH (e.g. 1.2.0), got "${version}"`);
  }

  // Developer block
  for (const [name, fallback] of Object.entries(DEVELOPER_DEFAULTS)) {
    const value = get(name);
    if (value) {
      variables[name] = value;
      if (name.endsWith('_URL') && !/^https:\/\//i.test(value)) {
        errors.push(`${name} must be an https:// URL, got "${value}"`);
      }
    } else {
      variables[name] = fallback;
      warnings.push(`${name} is not set: using the generic default "${fallback}". Set it to your trust's own value.`);
    }
  }

  return { variables, warnings, notes, errors };
}

/** Names of all `${{NAME}}` placeholders in a string, object or array. */
export function findPlaceholders(value: unknown): string[] {
  const found = new Set<string>();
  walkStrings(value, '', (s) => {
    for (const m of s.matchAll(PLACEHOLDER_RE)) found.add(m[1]!);
    return s;
  });
  return [...found].sort();
}

/**
 * Replaces `${{NAME}}` in every string value (keys are left alone) and returns
 * a new object. Throws a TeamsPackageError naming every placeholder that has
 * no value, with the JSON pointer where it occurs.
 */
export function substitutePlaceholders<T>(template: T, variables: Readonly<Record<string, string>>): T {
  const missing: ManifestIssue[] = [];
  const result = walkStrings(template, '', (s, path) =>
    s.replace(PLACEHOLDER_RE, (whole, name: string) => {
      const value = variables[name];
      if (value === undefined) {
        missing.push({ path, message: `no value for placeholder ${whole}` });
        return whole;
      }
      return value;
    }),
  );
  if (missing.length) throw new TeamsPackageError('Manifest placeholders could not be filled in:', missing);
  return result as T;
}

function walkStrings(value: unknown, path: string, fn: (s: string, path: string) => string): unknown {
  if (typeof value === 'string') return fn(value, path);
  if (Array.isArray(value)) return value.map((v, i) => walkStrings(v, `${path}/${i}`, fn));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = walkStrings(v, `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, fn);
    }
    return out;
  }
  return value;
}

// ---------------------------------------------------------------------------
// Schema validation
// ---------------------------------------------------------------------------

const requireFromHere = createRequire(import.meta.url);

/** Folder of Teams schemas inside @microsoft/app-manifest (v1.0 ... v1.30, vDevPreview). */
export function teamsSchemaRoot(): string {
  const pkgJson = requireFromHere.resolve('@microsoft/app-manifest/package.json');
  return join(dirname(pkgJson), 'build', 'json-schemas', 'teams');
}

/**
 * Local schema file for a manifest, chosen from its `$schema` URL
 * (…/json-schemas/teams/v1.30/MicrosoftTeams.schema.json) or, failing that,
 * from `manifestVersion`.
 */
export function teamsSchemaPathFor(manifest: unknown): string {
  const m = (manifest ?? {}) as { $schema?: unknown; manifestVersion?: unknown };
  let folder: string | undefined;
  if (typeof m.$schema === 'string') {
    folder = /\/json-schemas\/teams\/(v[0-9.]+|vDevPreview)\/MicrosoftTeams\.schema\.json$/i.exec(m.$schema)?.[1];
    if (!folder) {
      throw new TeamsPackageError(
        `$schema "${m.$schema}" is not a Teams manifest schema URL ` +
          '(expected https://developer.microsoft.com/json-schemas/teams/v1.xx/MicrosoftTeams.schema.json)',
      );
    }
  } else if (typeof m.manifestVersion === 'string') {
    folder = m.manifestVersion === 'devPreview' ? 'vDevPreview' : `v${m.manifestVersion}`;
  } else {
    throw new TeamsPackageError('The manifest has neither $schema nor manifestVersion, so no schema can be chosen');
  }
  const file = join(teamsSchemaRoot(), folder, 'MicrosoftTeams.schema.json');
  if (!existsSync(file)) {
    throw new TeamsPackageError(`Teams manifest schema ${folder} is not shipped in @microsoft/app-manifest (looked for ${file})`);
  }
  return file;
}

/** Reads a schema file, repairing the regex escapes (\a, \v) some Teams schemas use and JS regexes reject. */
export function loadJsonSchema(file: string): Record<string, unknown> {
  const raw = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  return JSON.parse(raw.replace(/\\\\a/g, '\\\\x07').replace(/\\\\v/g, '\\\\x0b')) as Record<string, unknown>;
}

const validatorCache = new Map<string, ValidateFunction>();

/** Compiles a JSON schema with the Ajv flavour for the draft its `$schema` declares. */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  const declared = typeof schema.$schema === 'string' ? schema.$schema : '';
  const options: AjvOptions = {
    allErrors: true,
    // Teams schemas use `additionalProperties` etc. without `type` and
    // `required` inside `anyOf` branches; that is valid JSON Schema but trips
    // Ajv's optional strictness checks. Unknown keywords still fail.
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    logger: false,
  };
  let ajv: Ajv | Ajv2019 | Ajv2020 | InstanceType<typeof AjvDraft04>;
  if (/draft-04/.test(declared)) ajv = new AjvDraft04(options);
  else if (/draft\/2020-12/.test(declared)) ajv = new Ajv2020(options);
  else if (/draft\/2019-09/.test(declared)) ajv = new Ajv2019(options);
  else if (/draft-06/.test(declared)) {
    ajv = new Ajv(options);
    ajv.addMetaSchema(requireFromHere('ajv/dist/refs/json-schema-draft-06.json') as Record<string, unknown>);
  } else if (declared === '' || /draft-07/.test(declared)) ajv = new Ajv(options);
  else throw new TeamsPackageError(`Unsupported JSON Schema draft "${declared}"`);
  addFormats(ajv);
  return ajv.compile(schema);
}

function validatorFor(file: string): ValidateFunction {
  let validate = validatorCache.get(file);
  if (!validate) {
    validate = compileSchema(loadJsonSchema(file));
    validatorCache.set(file, validate);
  }
  return validate;
}

/** Turns Ajv errors into path + message pairs that name the offending field. */
export function ajvErrorsToIssues(errors: readonly ErrorObject[] | null | undefined): ManifestIssue[] {
  const seen = new Set<string>();
  const out: ManifestIssue[] = [];
  for (const e of errors ?? []) {
    const p = e.params as Record<string, unknown>;
    let path = e.instancePath;
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'required' && typeof p.missingProperty === 'string') {
      path = `${path}/${p.missingProperty}`;
      message = 'is required but missing';
    } else if (e.keyword === 'additionalProperties' && typeof p.additionalProperty === 'string') {
      path = `${path}/${p.additionalProperty}`;
      message = 'is not allowed here (unknown property)';
    } else if (e.keyword === 'enum' && Array.isArray(p.allowedValues)) {
      message = `must be one of ${p.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    } else if (e.keyword === 'const') {
      message = `must be ${JSON.stringify(p.allowedValue)}`;
    }
    const key = `${path}\u0000${message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ path, message });
    }
  }
  return out;
}

/** Checks the schema cannot express but Teams enforces at upload time. */
export function lintManifest(manifest: unknown): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest)) {
    return [{ path: '', message: 'manifest must be a JSON object' }];
  }
  const m = manifest as Record<string, unknown>;

  walkStrings(m, '', (s, path) => {
    for (const match of s.matchAll(PLACEHOLDER_RE)) {
      issues.push({ path, message: `still contains the placeholder ${match[0]}` });
    }
    return s;
  });

  if (typeof m.version === 'string' && !SEMVER_RE.test(m.version)) {
    issues.push({ path: '/version', message: `must be a MAJOR.MINOR.PATCH version such as 1.0.0, got "${m.version}"` });
  }

  const dev = m.developer as Record<string, unknown> | undefined;
  for (const key of ['websiteUrl', 'privacyUrl', 'termsOfUseUrl']) {
    const url = dev?.[key];
    if (typeof url === 'string' && !/^https:\/\//i.test(url)) {
      issues.push({ path: `/developer/${key}`, message: 'must be an https:// URL' });
    }
  }

  const icons = m.icons as Record<string, unknown> | undefined;
  for (const key of ['color', 'outline']) {
    const file = icons?.[key];
    if (typeof file === 'string' && (file !== basename(file) || file.includes('\\') || !/\.png$/i.test(file))) {
      issues.push({ path: `/icons/${key}`, message: 'must be a bare .png file name (icons sit at the root of the package)' });
    }
  }

  if (Array.isArray(m.validDomains)) {
    m.validDomains.forEach((d, i) => {
      if (typeof d !== 'string' || HAS_PLACEHOLDER_RE.test(d)) return; // placeholders reported above
      const host = d.startsWith('*.') ? d.slice(2) : d;
      if (!HOSTNAME_RE.test(host.toLowerCase()) || !host.includes('.') && host !== 'localhost') {
        issues.push({ path: `/validDomains/${i}`, message: `must be a bare host name without scheme, port or path, got "${d}"` });
      }
    });
  }

  if (Array.isArray(m.bots)) {
    m.bots.forEach((bot, i) => {
      const lists = (bot as Record<string, unknown> | null)?.commandLists;
      if (!Array.isArray(lists)) return;
      const seenScopes = new Set<string>();
      lists.forEach((list, j) => {
        const scopes = (list as Record<string, unknown> | null)?.scopes;
        if (!Array.isArray(scopes)) return;
        for (const s of scopes) {
          if (typeof s === 'string' && seenScopes.has(s)) {
            issues.push({ path: `/bots/${i}/commandLists/${j}/scopes`, message: `scope "${s}" already has a command list` });
          }
          if (typeof s === 'string') seenScopes.add(s);
        }
      });
    });
  }
  return issues;
}

export interface ValidationResult {
  valid: boolean;
  /** Which shipped schema was used (absolute path). */
  schemaPath?: string;
  issues: ManifestIssue[];
}

/** Validates a (substituted) manifest against the shipped Teams schema plus lintManifest(). */
export function validateTeamsManifest(manifest: unknown): ValidationResult {
  let schemaPath: string;
  try {
    schemaPath = teamsSchemaPathFor(manifest);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { valid: false, issues: [{ path: '/$schema', message }, ...lintManifest(manifest)] };
  }
  const validate = validatorFor(schemaPath);
  // JSON round trip so only what would be written to disk is validated.
  const ok = validate(JSON.parse(JSON.stringify(manifest)));
  const issues = [...(ok ? [] : ajvErrorsToIssues(validate.errors)), ...lintManifest(manifest)];
  return { valid: issues.length === 0, schemaPath, issues };
}

// ---------------------------------------------------------------------------
// PNG: a minimal encoder / decoder (enough for icons, no dependencies)
// ---------------------------------------------------------------------------

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Encodes 8-bit RGBA pixels (row-major, 4 bytes per pixel) as a PNG. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  if (rgba.length !== width * height * 4) throw new Error('encodePng: pixel buffer has the wrong length');
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type RGBA
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // not interlaced
  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * stride, stride).copy(raw, y * (stride + 1) + 1);
  }
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw, { level: 9 })),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

export interface PngInfo {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
}

interface PngChunk {
  type: string;
  data: Buffer;
}

function readPngChunks(buf: Buffer): PngChunk[] {
  if (buf.length < 8 || !buf.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('not a PNG file (bad signature)');
  const chunks: PngChunk[] = [];
  let off = 8;
  while (off + 12 <= buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    if (off + 12 + len > buf.length) throw new Error(`PNG chunk ${type} is truncated`);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (crc32(buf.subarray(off + 4, off + 8 + len)) !== buf.readUInt32BE(off + 8 + len)) {
      throw new Error(`PNG chunk ${type} has a bad CRC`);
    }
    chunks.push({ type, data });
    off += 12 + len;
    if (type === 'IEND') break;
  }
  if (chunks[0]?.type !== 'IHDR') throw new Error('PNG does not start with an IHDR chunk');
  if (!chunks.some((c) => c.type === 'IEND')) throw new Error('PNG has no IEND chunk');
  return chunks;
}

/** Header facts of a PNG (throws if the bytes are not a well-formed PNG). */
export function readPngInfo(buf: Buffer): PngInfo {
  const ihdr = readPngChunks(buf)[0]!.data;
  return {
    width: ihdr.readUInt32BE(0),
    height: ihdr.readUInt32BE(4),
    bitDepth: ihdr[8]!,
    colorType: ihdr[9]!,
    interlaced: ihdr[12] === 1,
  };
}

export interface DecodedPng extends PngInfo {
  /** 8-bit RGBA, row-major. */
  rgba: Uint8Array;
}

/**
 * Decodes non-interlaced PNGs with 8- or 16-bit grey/RGB/grey+alpha/RGBA or
 * 8-bit palette pixels (what design tools export). Returns undefined for
 * other layouts, which callers treat as "cannot inspect pixels".
 */
export function decodePng(buf: Buffer): DecodedPng | undefined {
  const chunks = readPngChunks(buf);
  const info = readPngInfo(buf);
  const { width, height, bitDepth, colorType, interlaced } = info;
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colorType];
  if (interlaced || channels === undefined) return undefined;
  if (colorType === 3 ? bitDepth !== 8 : bitDepth !== 8 && bitDepth !== 16) return undefined;

  const bpp = (channels * bitDepth) / 8;
  const stride = width * bpp;
  const raw = inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
  if (raw.length < (stride + 1) * height) throw new Error('PNG image data is too short');

  const px = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const dst = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? px[dst + x - bpp]! : 0;
      const b = y > 0 ? px[dst - stride + x]! : 0;
      const c = x >= bpp && y > 0 ? px[dst - stride + x - bpp]! : 0;
      let pred: number;
      switch (filter) {
        case 0: pred = 0; break;
        case 1: pred = a; break;
        case 2: pred = b; break;
        case 3: pred = (a + b) >> 1; break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
          pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw new Error(`PNG uses unknown filter type ${filter}`);
      }
      px[dst + x] = (raw[src + x]! + pred) & 0xff;
    }
  }

  const palette = chunks.find((c) => c.type === 'PLTE')?.data;
  const trns = chunks.find((c) => c.type === 'tRNS')?.data;
  const rgba = new Uint8Array(width * height * 4);
  const sample = (i: number, ch: number): number => px[i * bpp + ch * (bitDepth / 8)]!; // high byte for 16-bit
  const trnsValue = (ch: number) => (trns && trns.length >= (ch + 1) * 2 ? trns.readUInt16BE(ch * 2) : -1);
  const rawSample = (i: number, ch: number): number =>
    bitDepth === 16 ? px.readUInt16BE(i * bpp + ch * 2) : px[i * bpp + ch]!;
  for (let i = 0; i < width * height; i++) {
    let r: number, g: number, b: number, a = 255;
    switch (colorType) {
      case 0:
        r = g = b = sample(i, 0);
        if (trnsValue(0) === rawSample(i, 0)) a = 0;
        break;
      case 2:
        r = sample(i, 0); g = sample(i, 1); b = sample(i, 2);
        if (trnsValue(0) === rawSample(i, 0) && trnsValue(1) === rawSample(i, 1) && trnsValue(2) === rawSample(i, 2)) a = 0;
        break;
      case 3: {
        const idx = px[i]!;
        if (!palette || idx * 3 + 2 >= palette.length) throw new Error('PNG palette index out of range');
        r = palette[idx * 3]!; g = palette[idx * 3 + 1]!; b = palette[idx * 3 + 2]!;
        if (trns && idx < trns.length) a = trns[idx]!;
        break;
      }
      case 4:
        r = g = b = sample(i, 0); a = sample(i, 1);
        break;
      default:
        r = sample(i, 0); g = sample(i, 1); b = sample(i, 2); a = sample(i, 3);
    }
    rgba.set([r, g, b, a], i * 4);
  }
  return { ...info, rgba };
}

export interface IconCheck {
  errors: ManifestIssue[];
  warnings: string[];
}

/**
 * Teams requirements: colour icon 192x192 PNG; outline icon 32x32 PNG that is
 * white on a transparent background.
 */
export function checkIcon(kind: keyof typeof ICON_SIZES, data: Buffer, path = `/icons/${kind}`): IconCheck {
  const errors: ManifestIssue[] = [];
  const warnings: string[] = [];
  const size = ICON_SIZES[kind];
  let info: PngInfo;
  try {
    info = readPngInfo(data);
  } catch (err) {
    return { errors: [{ path, message: `is not a valid PNG: ${(err as Error).message}` }], warnings };
  }
  if (info.width !== size || info.height !== size) {
    errors.push({ path, message: `must be ${size}x${size} pixels, is ${info.width}x${info.height}` });
  }
  if (kind === 'outline') {
    let decoded: DecodedPng | undefined;
    try {
      decoded = decodePng(data);
    } catch (err) {
      errors.push({ path, message: `could not be decoded: ${(err as Error).message}` });
      return { errors, warnings };
    }
    if (!decoded) {
      warnings.push(`${path}: PNG layout (colour type ${info.colorType}, ${info.bitDepth}-bit${info.interlaced ? ', interlaced' : ''}) not inspected; make sure it is white on transparent`);
    } else {
      let transparent = 0;
      let coloured = 0;
      const px = decoded.rgba;
      for (let i = 0; i < px.length; i += 4) {
        const a = px[i + 3]!;
        if (a === 0) transparent++;
        else if (a >= 32 && (px[i]! < 0xf0 || px[i + 1]! < 0xf0 || px[i + 2]! < 0xf0)) coloured++;
      }
      if (transparent === 0) errors.push({ path, message: 'must have a transparent background (no fully transparent pixels found)' });
      if (coloured > 0) errors.push({ path, message: `must be white on transparent (${coloured} visible pixels are not white)` });
    }
  }
  return { errors, warnings };
}

// ---------------------------------------------------------------------------
// Default icons (NHS blue shield with a speech bubble), drawn in code so the
// committed PNGs can be regenerated: `npm run package:teams -- --write-icons`
// ---------------------------------------------------------------------------

type Pt = readonly [number, number];

/** Shield outline in unit coordinates (x right, y down), as a polygon. */
function shieldPolygon(): Pt[] {
  const pts: Pt[] = [[0.5, 0], [1, 0.13], [1, 0.5]];
  const quad = (p0: Pt, c: Pt, p1: Pt) => {
    for (let i = 1; i <= 24; i++) {
      const t = i / 24;
      const u = 1 - t;
      pts.push([u * u * p0[0] + 2 * u * t * c[0] + t * t * p1[0], u * u * p0[1] + 2 * u * t * c[1] + t * t * p1[1]]);
    }
  };
  quad([1, 0.5], [1, 0.82], [0.5, 1]);
  quad([0.5, 1], [0, 0.82], [0, 0.5]);
  pts.push([0, 0.13]);
  return pts;
}

function insidePolygon(poly: readonly Pt[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function distanceToPolygon(poly: readonly Pt[], x: number, y: number): number {
  let best = Infinity;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [ax, ay] = poly[j]!;
    const [bx, by] = poly[i]!;
    const dx = bx - ax, dy = by - ay;
    const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy || 1)));
    best = Math.min(best, Math.hypot(x - (ax + t * dx), y - (ay + t * dy)));
  }
  return best;
}

/** Speech bubble: rounded rectangle plus a tail, in unit coordinates of its box. */
function insideBubble(x: number, y: number): boolean {
  const r = 0.22;
  const [x0, y0, x1, y1] = [0, 0, 1, 0.72];
  const cx = Math.max(x0 + r, Math.min(x1 - r, x));
  const cy = Math.max(y0 + r, Math.min(y1 - r, y));
  if (x >= x0 && x <= x1 && y >= y0 && y <= y1 && Math.hypot(x - cx, y - cy) <= r) return true;
  // tail: triangle (0.22,0.6) (0.5,0.6) (0.18,1)
  const tri: Pt[] = [[0.22, 0.6], [0.5, 0.6], [0.18, 1]];
  return insidePolygon(tri, x, y);
}

/** Renders coverage (0..1) per pixel with 4x4 supersampling. */
function rasterise(size: number, inside: (x: number, y: number) => boolean): Float32Array {
  const out = new Float32Array(size * size);
  const ss = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let hits = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          if (inside(px + (sx + 0.5) / ss, py + (sy + 0.5) / ss)) hits++;
        }
      }
      out[py * size + px] = hits / (ss * ss);
    }
  }
  return out;
}

const NHS_BLUE: readonly [number, number, number] = [0x00, 0x5e, 0xb8];

/** 192x192 full-colour icon: white shield with a blue speech bubble on NHS blue. */
export function renderColorIcon(): Buffer {
  const size = ICON_SIZES.color;
  const shield = shieldPolygon();
  // shield box: 104 x 120 px, centred
  const sw = 104, sh = 120, sx0 = (size - sw) / 2, sy0 = (size - sh) / 2;
  const shieldCov = rasterise(size, (x, y) => insidePolygon(shield, (x - sx0) / sw, (y - sy0) / sh));
  // bubble box: 56 x 50 px, centred slightly above the shield's middle
  const bw = 56, bh = 50, bx0 = (size - bw) / 2, by0 = sy0 + 30;
  const bubbleCov = rasterise(size, (x, y) => insideBubble((x - bx0) / bw, (y - by0) / bh));
  const rgba = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    const s = shieldCov[i]!;
    const b = bubbleCov[i]! * s;
    for (let ch = 0; ch < 3; ch++) {
      const white = NHS_BLUE[ch]! * (1 - s) + 255 * s;
      rgba[i * 4 + ch] = Math.round(white * (1 - b) + NHS_BLUE[ch]! * b);
    }
    rgba[i * 4 + 3] = 255;
  }
  return encodePng(size, size, rgba);
}

/** 32x32 outline icon: white shield outline with a white speech bubble, transparent background. */
export function renderOutlineIcon(): Buffer {
  const size = ICON_SIZES.outline;
  const shield = shieldPolygon();
  const sw = 24, sh = 28, sx0 = (size - sw) / 2, sy0 = (size - sh) / 2;
  const stroke = 2.2;
  const cov = rasterise(size, (x, y) => {
    const ux = (x - sx0) / sw, uy = (y - sy0) / sh;
    if (insidePolygon(shield, ux, uy)) {
      // distance in pixels: approximate with the smaller box scale
      if (distanceToPolygon(shield, ux, uy) * Math.min(sw, sh) <= stroke) return true;
    }
    const bw = 12, bh = 11, bx0 = (size - bw) / 2, by0 = sy0 + 7.5;
    return insideBubble((x - bx0) / bw, (y - by0) / bh);
  });
  const rgba = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    rgba.set([255, 255, 255, Math.round(cov[i]! * 255)], i * 4);
  }
  return encodePng(size, size, rgba);
}

// ---------------------------------------------------------------------------
// Packaging
// ---------------------------------------------------------------------------

export interface PackageFile {
  name: string;
  data: Buffer;
}

/** Fixed timestamp so the same inputs give a byte-identical zip. */
const ZIP_DATE = new Date(Date.UTC(2024, 0, 1, 0, 0, 0));

/** Zips the files at the root of the archive (no folders). */
export async function buildTeamsAppZip(files: readonly PackageFile[]): Promise<Buffer> {
  const zip = new JSZip();
  const names = new Set<string>();
  for (const f of files) {
    if (f.name !== basename(f.name) || names.has(f.name)) throw new TeamsPackageError(`Bad or duplicate package file name "${f.name}"`);
    names.add(f.name);
    zip.file(f.name, f.data, { date: ZIP_DATE, binary: true });
  }
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 9 }, platform: 'DOS' });
}

export interface PackageOptions extends ResolveOptions {
  /** Manifest template; defaults to manifests/teams/manifest.json. Icons are read from its folder. */
  manifestPath?: string;
  env?: Env;
}

export interface PackageResult {
  manifest: Record<string, unknown>;
  /** manifest.json first, then the icons, ready for buildTeamsAppZip. */
  files: PackageFile[];
  schemaPath: string;
  warnings: string[];
  notes: string[];
}

/**
 * Reads the template, fills in placeholders, validates manifest and icons.
 * Throws TeamsPackageError listing every problem found.
 */
export function prepareTeamsPackage(options: PackageOptions = {}): PackageResult {
  const manifestPath = options.manifestPath ?? TEAMS_MANIFEST_PATH;
  const dir = dirname(manifestPath);
  let template: unknown;
  try {
    template = JSON.parse(readFileSync(manifestPath, 'utf8').replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new TeamsPackageError(`Cannot read manifest template ${manifestPath}: ${(err as Error).message}`);
  }

  const resolved = resolvePackageVariables(options.env ?? process.env, options);
  if (resolved.errors.length) {
    throw new TeamsPackageError(
      'Cannot fill in the manifest:',
      resolved.errors.map((message) => ({ path: '(environment)', message })),
    );
  }
  const manifest = substitutePlaceholders(template, resolved.variables) as Record<string, unknown>;

  const result = validateTeamsManifest(manifest);
  const issues = [...result.issues];
  const warnings = [...resolved.warnings];

  const iconFiles: PackageFile[] = [];
  const icons = (manifest.icons ?? {}) as Record<string, unknown>;
  for (const kind of ['color', 'outline'] as const) {
    const name = icons[kind];
    if (typeof name !== 'string' || name !== basename(name)) continue; // already reported
    const file = join(dir, name);
    if (!existsSync(file)) {
      issues.push({ path: `/icons/${kind}`, message: `file ${file} does not exist (regenerate the defaults with --write-icons)` });
      continue;
    }
    const data = readFileSync(file);
    const check = checkIcon(kind, data);
    issues.push(...check.errors);
    warnings.push(...check.warnings);
    iconFiles.push({ name, data });
  }
  if (iconFiles.length === 2 && iconFiles[0]!.name === iconFiles[1]!.name) {
    issues.push({ path: '/icons', message: 'color and outline must be different files' });
  }
  if (iconFiles.some((f) => f.name === 'manifest.json')) {
    issues.push({ path: '/icons', message: 'an icon cannot be called manifest.json' });
  }

  if (issues.length || !result.schemaPath) {
    throw new TeamsPackageError(`The Teams app manifest is not valid (${issues.length} problem${issues.length === 1 ? '' : 's'}):`, issues);
  }

  const manifestFile: PackageFile = { name: 'manifest.json', data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8') };
  return { manifest, files: [manifestFile, ...iconFiles], schemaPath: result.schemaPath, warnings, notes: resolved.notes };
}

/** prepareTeamsPackage + buildTeamsAppZip. */
export async function packageTeamsApp(options: PackageOptions = {}): Promise<PackageResult & { zip: Buffer }> {
  const prepared = prepareTeamsPackage(options);
  return { ...prepared, zip: await buildTeamsAppZip(prepared.files) };
}
