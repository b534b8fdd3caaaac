// A stand-in for the Bot Framework's token service, for tests of the authenticated Teams
// endpoint: botbuilder fetches the channel's OpenID configuration and signing keys from
// login.botframework.com (intercepted here, serving a key this process made), so a token
// this module signs is as valid to the bot as one Teams sends, and any other is not. The
// bot's own outbound token (MSAL, from login.microsoftonline.com) is intercepted too.
import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import nock from 'nock';

const CHANNEL_ISSUER = 'https://api.botframework.com';
const OPENID_HOST = 'https://login.botframework.com';
const ENTRA_HOST = 'https://login.microsoftonline.com';
const KEY_ID = 'sgs-test-signing-key';

// One key per process: botbuilder caches the signing keys it fetched for a day.
let keys: { privateKey: KeyObject; jwk: { n: string; e: string } } | undefined;
function signingKey() {
  if (!keys) {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
    keys = { privateKey, jwk };
  }
  return keys;
}

const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Intercept the token services (again after a nock.cleanAll()). */
export function interceptBotFrameworkAuth(): void {
  const { jwk } = signingKey();
  nock(OPENID_HOST)
    .persist()
    .get('/v1/.well-known/openidconfiguration')
    .reply(200, { issuer: CHANNEL_ISSUER, jwks_uri: `${OPENID_HOST}/v1/.well-known/keys`, id_token_signing_alg_values_supported: ['RS256'] })
    .get('/v1/.well-known/keys')
    .reply(200, { keys: [{ kty: 'RSA', use: 'sig', kid: KEY_ID, n: jwk.n, e: jwk.e, endorsements: ['msteams'] }] });
  nock(ENTRA_HOST)
    .persist()
    .get(/\/\.well-known\/openid-configuration$/)
    .reply(200, (uri: string) => {
      const tenant = uri.split('/')[1] ?? 'common';
      return {
        token_endpoint: `${ENTRA_HOST}/${tenant}/oauth2/v2.0/token`,
        authorization_endpoint: `${ENTRA_HOST}/${tenant}/oauth2/v2.0/authorize`,
        issuer: `${ENTRA_HOST}/${tenant}/v2.0`,
        jwks_uri: `${ENTRA_HOST}/${tenant}/discovery/v2.0/keys`,
        end_session_endpoint: `${ENTRA_HOST}/${tenant}/oauth2/v2.0/logout`,
      };
    })
    .get(/\/common\/discovery\/instance/)
    .reply(200, { tenant_discovery_endpoint: `${ENTRA_HOST}/botframework.com/v2.0/.well-known/openid-configuration`, metadata: [] })
    .post(/\/oauth2\/v2\.0\/token(\?.*)?$/)
    .reply(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: 'bot-outbound-test-token' });
}

/** A channel token as the Bot Framework signs it for Teams: for `appId`, bound to `serviceUrl`. */
export function channelToken(options: { appId: string; serviceUrl: string; expiresInSeconds?: number; issuer?: string }): string {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url({ alg: 'RS256', typ: 'JWT', kid: KEY_ID });
  const payload = b64url({
    iss: options.issuer ?? CHANNEL_ISSUER,
    aud: options.appId,
    serviceurl: options.serviceUrl,
    nbf: now - 60,
    iat: now - 60,
    exp: now + (options.expiresInSeconds ?? 3600),
  });
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(signingKey().privateKey).toString('base64url');
  return `${header}.${payload}.${signature}`;
}
