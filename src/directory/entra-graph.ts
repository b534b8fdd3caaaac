/**
 * Reading people from Microsoft Graph with the app's own credentials (OAuth 2.0 client
 * credentials), for `npm run import:people -- --from-entra`.
 *
 * Plain `fetch` rather than a library: the command asks for one app-only token once and reads
 * one paged list, so MSAL's token cache, discovery and account handling would add requests to
 * intercept and logs to keep secrets out of without buying anything; what matters here (bounded
 * retries honouring Retry-After, paging only on Graph's own host, errors that never contain the
 * secret or the token) is a few lines we test directly.
 *
 * Hosts are fixed (login.microsoftonline.com and graph.microsoft.com, the global cloud): an
 * @odata.nextLink that points anywhere else is refused rather than followed.
 */

import { createHash, createPrivateKey, randomUUID, sign, X509Certificate, type KeyObject } from 'node:crypto';

export const LOGIN_HOST = 'https://login.microsoftonline.com';
export const GRAPH_HOST = 'https://graph.microsoft.com';
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

/** The user properties read; `manager` comes by $expand. */
export const USER_SELECT = 'id,displayName,mail,userPrincipalName,jobTitle,accountEnabled';
export const MANAGER_EXPAND = 'manager($select=id,displayName,mail,userPrincipalName)';
/** Graph's largest page for users and group members. */
export const PAGE_SIZE = 999;

/** Attempts per request (the first one and the retries) when Graph throttles or is unavailable. */
export const DEFAULT_MAX_ATTEMPTS = 5;
/** Longest wait we accept between attempts; Graph asking for more ends the import. */
export const DEFAULT_MAX_WAIT_MS = 120_000;
/** Per-request timeout. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** A pathological directory or a nextLink loop stops here. */
export const MAX_PAGES = 1_000;

const RETRYABLE_STATUS = new Set([429, 503, 504]);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A client certificate (Microsoft's recommendation for app-only access): the private key that
 * signs the client assertion, and the SHA-256 thumbprint of the certificate uploaded to the app
 * registration, by which Entra finds the public key.
 */
export interface EntraClientCertificate {
  privateKey: KeyObject;
  /** base64url of the SHA-256 of the certificate's DER: the assertion's `x5t#S256` header. */
  thumbprintS256: string;
}

/** The app registration: a client secret, or a client certificate (preferred when both are given). */
export interface EntraCredentials {
  tenantId: string;
  clientId: string;
  clientSecret?: string;
  certificate?: EntraClientCertificate;
}

const PEM_BLOCK = (label: string) => new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----`);

/**
 * The certificate and private key from one PEM file (ENTRA_CLIENT_CERTIFICATE_PATH): an RSA key
 * (RS256, as Entra requires) that belongs to the certificate. Errors name what is wrong, never
 * the key.
 */
export function readClientCertificate(pem: string, source: string): EntraClientCertificate {
  const certPem = PEM_BLOCK('CERTIFICATE').exec(pem)?.[0];
  const keyPem = PEM_BLOCK('(?:RSA )?PRIVATE KEY').exec(pem)?.[0];
  if (!certPem || !keyPem) {
    const missing = [certPem ? null : 'certificate (-----BEGIN CERTIFICATE-----)', keyPem ? null : 'private key (-----BEGIN PRIVATE KEY-----, unencrypted)'].filter(Boolean);
    throw new EntraGraphError('BAD_CONFIGURATION', `${source} must be a PEM file with the certificate and its private key; it has no ${missing.join(' and no ')}.`);
  }
  let certificate: X509Certificate;
  let privateKey: KeyObject;
  try {
    certificate = new X509Certificate(certPem);
  } catch {
    throw new EntraGraphError('BAD_CONFIGURATION', `${source}: the certificate cannot be read.`);
  }
  try {
    privateKey = createPrivateKey(keyPem);
  } catch {
    throw new EntraGraphError('BAD_CONFIGURATION', `${source}: the private key cannot be read (it must be unencrypted PEM).`);
  }
  if (privateKey.asymmetricKeyType !== 'rsa') {
    throw new EntraGraphError('BAD_CONFIGURATION', `${source}: the private key is ${privateKey.asymmetricKeyType ?? 'not'} an RSA key; Entra ID signs client assertions with RS256, so use an RSA certificate.`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new EntraGraphError('BAD_CONFIGURATION', `${source}: the private key does not belong to the certificate.`);
  }
  return { privateKey, thumbprintS256: createHash('sha256').update(certificate.raw).digest('base64url') };
}

/**
 * The signed JWT that proves the app holds the certificate (Microsoft identity platform
 * "certificate credentials"): RS256, `x5t#S256` naming the certificate, the token endpoint as
 * audience, the app as issuer and subject, a unique id and ten minutes of validity.
 */
export function clientAssertion(certificate: EntraClientCertificate, clientId: string, audience: string, now: Date = new Date()): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const issuedAt = Math.floor(now.getTime() / 1000);
  const header = encode({ alg: 'RS256', typ: 'JWT', 'x5t#S256': certificate.thumbprintS256 });
  const payload = encode({ aud: audience, iss: clientId, sub: clientId, jti: randomUUID(), nbf: issuedAt, iat: issuedAt, exp: issuedAt + 600 });
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), certificate.privateKey).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

export interface EntraManager {
  id: string;
  displayName: string | null;
  mail: string | null;
  userPrincipalName: string | null;
}

export interface EntraUser {
  id: string;
  displayName: string | null;
  mail: string | null;
  userPrincipalName: string | null;
  jobTitle: string | null;
  accountEnabled: boolean | null;
  /** null when Entra has no manager for the user. */
  manager: EntraManager | null;
}

export type EntraGraphErrorCode =
  | 'BAD_CONFIGURATION'
  | 'TOKEN_REFUSED'
  | 'FORBIDDEN'
  | 'GROUP_NOT_FOUND'
  | 'THROTTLED'
  | 'GRAPH_ERROR'
  | 'NETWORK'
  | 'BAD_RESPONSE';

export class EntraGraphError extends Error {
  constructor(
    readonly code: EntraGraphErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EntraGraphError';
  }
}

export interface EntraGraphOptions {
  fetch?: typeof fetch;
  /** Waits between attempts (tests pass a recorder). */
  sleep?: (ms: number) => Promise<void>;
  maxAttempts?: number;
  maxWaitMs?: number;
}

export interface ReadUsersResult {
  users: EntraUser[];
  pages: number;
  /** Attempts that were answered 429/503/504 and tried again. */
  retries: number;
}

export function isGuid(text: string): boolean {
  return GUID.test(text);
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Seconds (`Retry-After: 7`) or an HTTP date; null when absent or unreadable.
 * Exported for tests.
 */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | null {
  if (header === null || header.trim() === '') return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export interface EntraGraph {
  /** Everyone in the tenant, or the users among a group's transitive members. */
  readUsers(options?: { groupId?: string }): Promise<ReadUsersResult>;
}

export function createEntraGraph(credentials: EntraCredentials, options: EntraGraphOptions = {}): EntraGraph {
  if (!isGuid(credentials.tenantId)) {
    throw new EntraGraphError('BAD_CONFIGURATION', `The Entra tenant id "${credentials.tenantId}" is not a GUID (Entra admin centre → Overview → Tenant ID).`);
  }
  if (credentials.clientId.trim() === '' || (!credentials.certificate && !credentials.clientSecret)) {
    throw new EntraGraphError('BAD_CONFIGURATION', 'The app id and a client secret or certificate for Microsoft Graph are not set.');
  }
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const sleep = options.sleep ?? defaultSleep;
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  let retries = 0;

  /** One request, tried again on 429/503/504 and network failures, at most maxAttempts times. */
  async function send(what: string, url: string, init: RequestInit): Promise<Response> {
    for (let attempt = 1; ; attempt += 1) {
      let response: Response;
      try {
        response = await doFetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      } catch (error) {
        if (attempt >= maxAttempts) {
          throw new EntraGraphError('NETWORK', `${what}: no answer after ${attempt} attempts (${networkCause(error)}).`);
        }
        retries += 1;
        await sleep(backoffMs(attempt));
        continue;
      }
      if (!RETRYABLE_STATUS.has(response.status)) return response;

      const asked = retryAfterMs(response.headers.get('retry-after'));
      await response.body?.cancel().catch(() => {});
      const wait = asked ?? backoffMs(attempt);
      const status = `HTTP ${response.status}${response.status === 429 ? ' Too Many Requests' : ' Service Unavailable'}`;
      if (attempt >= maxAttempts) {
        throw new EntraGraphError(
          'THROTTLED',
          `${what}: Microsoft Graph still answered ${status} after ${attempt} attempts; gave up. Try again later${asked !== null ? ` (it asked to wait ${Math.ceil(asked / 1000)} s)` : ''}.`,
        );
      }
      if (wait > maxWaitMs) {
        throw new EntraGraphError(
          'THROTTLED',
          `${what}: Microsoft Graph answered ${status} and asked to wait ${Math.ceil(wait / 1000)} s, more than the ${Math.round(maxWaitMs / 1000)} s this command waits; gave up. Try again later.`,
        );
      }
      retries += 1;
      await sleep(wait);
    }
  }

  async function token(): Promise<string> {
    const url = `${LOGIN_HOST}/${encodeURIComponent(credentials.tenantId)}/oauth2/v2.0/token`;
    const body = new URLSearchParams({ client_id: credentials.clientId, scope: GRAPH_SCOPE, grant_type: 'client_credentials' });
    if (credentials.certificate) {
      body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      body.set('client_assertion', clientAssertion(credentials.certificate, credentials.clientId, url));
    } else {
      body.set('client_secret', credentials.clientSecret ?? '');
    }
    const response = await send('Getting a token from Microsoft Entra ID', url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
    });
    const json = (await response.json().catch(() => null)) as { access_token?: unknown; error?: unknown; error_description?: unknown } | null;
    if (!response.ok || typeof json?.access_token !== 'string' || json.access_token === '') {
      // error_description is Entra's own text (AADSTS code, trace id); it never repeats the secret.
      const code = typeof json?.error === 'string' ? json.error : `HTTP ${response.status}`;
      const description = typeof json?.error_description === 'string' ? firstLine(json.error_description) : '';
      throw new EntraGraphError(
        'TOKEN_REFUSED',
        `Microsoft Entra ID refused the app's credentials for tenant ${credentials.tenantId} (${code}${description ? `: ${description}` : ''}). Check the app id, the ${credentials.certificate ? 'certificate (uploaded to the app registration)' : 'client secret'} and that the app is registered in this tenant.`,
      );
    }
    return json.access_token;
  }

  async function readUsers(readOptions: { groupId?: string } = {}): Promise<ReadUsersResult> {
    const { groupId } = readOptions;
    if (groupId !== undefined && !isGuid(groupId)) {
      throw new EntraGraphError('BAD_CONFIGURATION', `--group "${groupId}" is not a GUID (the group's Object ID in the Entra admin centre).`);
    }
    retries = 0;
    const accessToken = await token();
    const query = new URLSearchParams({ $select: USER_SELECT, $expand: MANAGER_EXPAND, $top: String(PAGE_SIZE) });
    const path = groupId === undefined ? '/v1.0/users' : `/v1.0/groups/${groupId.toLowerCase()}/transitiveMembers/microsoft.graph.user`;
    let next: string | undefined = `${GRAPH_HOST}${path}?${query.toString()}`;
    const what = groupId === undefined ? 'Reading users from Microsoft Graph' : `Reading the members of group ${groupId} from Microsoft Graph`;

    const users: EntraUser[] = [];
    const seen = new Set<string>();
    let pages = 0;
    while (next !== undefined) {
      if (pages >= MAX_PAGES) throw new EntraGraphError('BAD_RESPONSE', `${what}: more than ${MAX_PAGES} pages; stopped.`);
      const response = await send(what, next, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' } });
      pages += 1;
      const json = (await response.json().catch(() => null)) as GraphPage | GraphErrorBody | null;
      if (!response.ok) throw graphError(what, response.status, json as GraphErrorBody | null, groupId);
      const page = json as GraphPage | null;
      if (!page || !Array.isArray(page.value)) throw new EntraGraphError('BAD_RESPONSE', `${what}: the answer has no "value" list.`);
      for (const item of page.value) {
        const user = toUser(item);
        if (user === null || seen.has(user.id)) continue; // nested groups can list someone twice
        seen.add(user.id);
        users.push(user);
      }
      const link = page['@odata.nextLink'];
      if (link === undefined || link === null) next = undefined;
      else if (typeof link === 'string' && link.startsWith(`${GRAPH_HOST}/`)) next = link;
      else throw new EntraGraphError('BAD_RESPONSE', `${what}: the next page's link is not on ${GRAPH_HOST}; not followed.`);
    }
    return { users, pages, retries };
  }

  return { readUsers };
}

interface GraphPage {
  value?: unknown;
  '@odata.nextLink'?: unknown;
}

interface GraphErrorBody {
  error?: { code?: unknown; message?: unknown };
}

function graphError(what: string, status: number, body: GraphErrorBody | null, groupId: string | undefined): EntraGraphError {
  const code = typeof body?.error?.code === 'string' ? body.error.code : `HTTP ${status}`;
  const message = typeof body?.error?.message === 'string' ? firstLine(body.error.message) : '';
  const said = `${code}${message ? `: ${message}` : ''}`;
  if (status === 401 || status === 403) {
    const needed = groupId === undefined ? 'User.Read.All' : 'User.Read.All and GroupMember.Read.All';
    return new EntraGraphError(
      'FORBIDDEN',
      `${what}: refused (${said}). The app needs the Microsoft Graph application permission${groupId === undefined ? '' : 's'} ${needed}, with admin consent.`,
    );
  }
  if (status === 404 && groupId !== undefined) {
    return new EntraGraphError('GROUP_NOT_FOUND', `${what}: there is no group with id ${groupId} in this tenant (${said}).`);
  }
  return new EntraGraphError('GRAPH_ERROR', `${what}: Microsoft Graph answered HTTP ${status} (${said}).`);
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function toManager(value: unknown): EntraManager | null {
  if (typeof value !== 'object' || value === null) return null;
  const m = value as Record<string, unknown>;
  const id = text(m.id);
  if (id === null) return null;
  return { id, displayName: text(m.displayName), mail: text(m.mail), userPrincipalName: text(m.userPrincipalName) };
}

function toUser(value: unknown): EntraUser | null {
  if (typeof value !== 'object' || value === null) return null;
  const u = value as Record<string, unknown>;
  const id = text(u.id);
  if (id === null) return null;
  return {
    id,
    displayName: text(u.displayName),
    mail: text(u.mail),
    userPrincipalName: text(u.userPrincipalName),
    jobTitle: text(u.jobTitle),
    accountEnabled: typeof u.accountEnabled === 'boolean' ? u.accountEnabled : null,
    manager: toManager(u.manager),
  };
}

function backoffMs(attempt: number): number {
  return Math.min(1000 * 2 ** (attempt - 1), 30_000);
}

function firstLine(value: string): string {
  const line = value.split(/\r?\n/)[0]!.trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

function networkCause(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
}
