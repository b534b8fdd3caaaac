import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { readFileSync } from 'node:fs';

describe('configuration', () => {
  it('runs in local mode with defaults when no credentials are set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ localMode: true, teamsAuthEnabled: false, PORT: 3978, PROCESS_ROLE: 'all', MIGRATE_ON_START: true });
  });

  it('turns local mode off and Teams authentication on with an app id, single-tenant by default', () => {
    expect(() => loadConfig({ MICROSOFT_APP_ID: 'abc', MICROSOFT_APP_PASSWORD: 'secret', LINK_SECRET: 'x'.repeat(32), PUBLIC_BASE_URL: 'https://sg.example.nhs.uk/' })).toThrow(
      /MICROSOFT_APP_TENANT_ID: is required when MICROSOFT_APP_TYPE=SingleTenant/,
    );
    const config = loadConfig({
      MICROSOFT_APP_ID: 'abc',
      MICROSOFT_APP_PASSWORD: 'secret',
      MICROSOFT_APP_TENANT_ID: '11111111-2222-4333-8444-555555555555',
      LINK_SECRET: 'x'.repeat(32),
      PUBLIC_BASE_URL: 'https://sg.example.nhs.uk/',
    });
    expect(config).toMatchObject({ localMode: false, teamsAuthEnabled: true, MICROSOFT_APP_TYPE: 'SingleTenant', publicBaseUrl: 'https://sg.example.nhs.uk', linkSecret: 'x'.repeat(32) });
  });

  it('requires a link secret and a public address with platform credentials', () => {
    expect(() => loadConfig({ SLACK_SIGNING_SECRET: 's', SLACK_BOT_TOKEN: 'xoxb-1' })).toThrow(/LINK_SECRET: is required[\s\S]*PUBLIC_BASE_URL: is required/);
  });

  it('names every invalid variable in one message', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', PROCESS_ROLE: 'both', DATABASE_URL: 'not a url' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PORT:');
    expect(message).toContain('PROCESS_ROLE:');
    expect(message).toContain('DATABASE_URL:');
  });

  it('checks variables that must go together', () => {
    let error: unknown;
    try {
      loadConfig({ MICROSOFT_APP_ID: 'abc', SLACK_BOT_TOKEN: 'xoxb-1' });
    } catch (e) {
      error = e;
    }
    const message = (error as Error).message;
    expect(message).toContain('MICROSOFT_APP_PASSWORD: is required when MICROSOFT_APP_ID is set');
    expect(message).toContain('SLACK_BOT_TOKEN: SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN must be set together');
    expect(message).toContain('See .env.example');
  });

  it('refuses production without platform credentials, so local mode cannot be reached there', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/production needs Teams or Slack credentials/);
  });

  it('documents every variable it reads in .env.example', () => {
    const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const documented = new Set([...example.matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const source = readFileSync(new URL('../../src/config.ts', import.meta.url), 'utf8');
    const read = [...source.matchAll(/^\s{4}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]);
    expect(read.length).toBeGreaterThan(10);
    expect(read.filter((name) => !documented.has(name))).toEqual([]);
  });
});
