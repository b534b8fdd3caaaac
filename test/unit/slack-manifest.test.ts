import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';

const MANIFEST_PATH = fileURLToPath(new URL('../../manifests/slack/manifest.yml', import.meta.url));
const source = readFileSync(MANIFEST_PATH, 'utf8');

// Read defensively: the test is about what the file says, so everything is `unknown` until checked.
type Json = Record<string, unknown>;
const manifest = parse(source) as Json;

function at(path: string): unknown {
  let value: unknown = manifest;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Json)[key];
  }
  return value;
}

/** Every string value in the manifest whose key is `url` or `request_url`, with its path. */
function urls(value: unknown, path = ''): Array<[string, string]> {
  if (Array.isArray(value)) return value.flatMap((item, i) => urls(item, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, v]): Array<[string, string]> =>
    (key === 'url' || key === 'request_url') && typeof v === 'string' ? [[`${path}.${key}`, v]] : urls(v, `${path}.${key}`),
  );
}

describe('the Slack app manifest', () => {
  it('is one well-formed YAML document in manifest format v1', () => {
    const document = parseDocument(source);
    expect(document.errors).toEqual([]);
    expect(document.warnings).toEqual([]);
    expect(at('_metadata')).toEqual({ major_version: 1, minor_version: 1 });
  });

  it('names and describes the app', () => {
    expect(at('display_information.name')).toBe('SG Supervision');
    const description = at('display_information.description');
    expect(typeof description).toBe('string');
    expect((description as string).length).toBeGreaterThan(0);
    expect((description as string).length).toBeLessThanOrEqual(140); // Slack's limit for the short description
    expect(at('display_information.background_color')).toMatch(/^#[0-9a-f]{6}$/i);
  });

  it('has a bot user that is not always shown online', () => {
    expect(at('features.bot_user')).toEqual({ display_name: 'SG Supervision', always_online: false });
  });

  it('enables the Home tab and a writable Messages tab', () => {
    expect(at('features.app_home')).toEqual({
      home_tab_enabled: true,
      messages_tab_enabled: true,
      messages_tab_read_only_enabled: false,
    });
  });

  it('declares exactly the /supervision slash command', () => {
    expect(at('features.slash_commands')).toEqual([
      {
        command: '/supervision',
        url: 'https://YOUR-HOST/slack/events',
        description: 'Ask for safeguarding advice or supervision, or get help with the bot',
        usage_hint: '[help | new request | bind triage]',
        should_escape: false,
      },
    ]);
  });

  it('asks for exactly the bot scopes the bot needs, and no user scopes', () => {
    expect(at('oauth_config.scopes')).toEqual({
      bot: ['chat:write', 'im:history', 'im:write', 'users:read', 'users:read.email', 'commands', 'files:write'],
    });
  });

  it('justifies every scope in a comment', () => {
    const lines = source.split('\n');
    for (const scope of at('oauth_config.scopes.bot') as string[]) {
      const index = lines.findIndex((line) => line.trim() === `- ${scope}`);
      expect(index, scope).toBeGreaterThan(0);
      expect(lines[index - 1]!.trim(), `comment above ${scope}`).toMatch(/^#\s+\S/);
    }
  });

  it('subscribes to exactly the bot events it handles', () => {
    expect(at('settings.event_subscriptions')).toEqual({
      request_url: 'https://YOUR-HOST/slack/events',
      bot_events: ['app_home_opened', 'message.im'],
    });
    expect(at('settings.event_subscriptions.user_events')).toBeUndefined();
  });

  it('turns interactivity on and uses HTTP, not Socket Mode, with no token rotation or org-wide deploy', () => {
    expect(at('settings')).toEqual({
      event_subscriptions: expect.any(Object),
      interactivity: { is_enabled: true, request_url: 'https://YOUR-HOST/slack/events' },
      org_deploy_enabled: false,
      socket_mode_enabled: false,
      token_rotation_enabled: false,
    });
  });

  it('sends everything to the one Bolt endpoint, /slack/events', () => {
    const found = urls(manifest);
    expect(found.map(([path]) => path).sort()).toEqual([
      '.features.slash_commands[0].url',
      '.settings.event_subscriptions.request_url',
      '.settings.interactivity.request_url',
    ]);
    for (const [path, url] of found) {
      expect(url, path).toMatch(/^https:\/\/[^/]+\/slack\/events$/);
      expect(url.endsWith('/slack/events'), path).toBe(true);
    }
  });
});
