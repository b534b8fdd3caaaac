import { describe, expect, it } from 'vitest';
import { createServiceUrlPolicy } from '../../src/channels/teams/service-url.js';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { LOCAL_TEAM, LOCAL_USERS, localModeGuide, localPlaygroundConfig, pinLocalTeamChannels } from '../../src/local/local-mode.js';
import { playgroundIds } from '../../src/local/playground.js';

const SPECIALIST = 'http://localhost:56151/_connector';
const ADMIN = 'http://localhost:56155/_connector';

describe('local mode: one channel for every playground', () => {
  it("pins the team's General and triage channel to the owner's playground", () => {
    const policy = createServiceUrlPolicy({ authenticated: false, localOrigins: [SPECIALIST, ADMIN] });
    pinLocalTeamChannels(policy, SPECIALIST);
    const { channelId, teamId, personalChatId } = playgroundIds(LOCAL_TEAM);
    expect(policy.pinnedServiceUrl(channelId)).toBe(SPECIALIST);
    expect(policy.pinnedServiceUrl(teamId)).toBe(SPECIALIST);
    expect(policy.pinnedServiceUrl(personalChatId('admin'))).toBeUndefined();
  });

  it('pins only to a playground this bot started, and never with authentication', () => {
    const local = createServiceUrlPolicy({ authenticated: false, localOrigins: [SPECIALIST] });
    expect(() => local.pinLocalConversation('19:x@thread.tacv2', 'http://localhost:9/_connector')).toThrow();
    expect(local.pinnedServiceUrl('19:x@thread.tacv2')).toBeUndefined();
    const real = createServiceUrlPolicy({ authenticated: true });
    expect(() => real.pinLocalConversation('19:x@thread.tacv2', 'https://smba.trafficmanager.net/emea/')).toThrow();
    expect(real.pinnedServiceUrl('19:x@thread.tacv2')).toBeUndefined();
  });
});

describe('local mode: every role of the design', () => {
  it('has a staff member, a specialist, a separate supervisor, the Head, a line manager and an administrator', () => {
    const roles = LOCAL_USERS.map((u) => ({ key: u.key, roles: demoPerson(u.key).roles }));
    expect(roles.map((r) => r.key)).toEqual(['paramedic', 'specialist', 'specialist-2', 'head', 'ops-manager', 'admin']);
    expect(demoPerson('paramedic').roles).toEqual(['STAFF']);
    expect(demoPerson('specialist').roles).toContain('SPECIALIST');
    expect(demoPerson('specialist-2').roles).toContain('SUPERVISOR');
    expect(demoPerson('head').roles).toContain('HEAD_OF_SAFEGUARDING');
    expect(demoPerson('ops-manager').roles).toContain('LINE_MANAGER');
    expect(demoPerson('paramedic').lineManagerKey).toBe('ops-manager');
    expect(demoPerson('admin').roles).toContain('ADMINISTRATOR');
  });

  it('lists the other roles first among the five users each playground shows', () => {
    const keys = localPlaygroundConfig().users.map((u) => u.key);
    expect(keys.slice(0, LOCAL_USERS.length)).toEqual(LOCAL_USERS.map((u) => u.key));
  });

  it('prints who each playground is and how to reach the bot in a channel', () => {
    const urls = new Map(LOCAL_USERS.map((u, i) => [u.key, `http://localhost:${56150 + i}`]));
    const guide = localModeGuide(urls);
    for (const [i, u] of LOCAL_USERS.entries()) {
      expect(guide).toMatch(new RegExp(`${u.role}\\s+http://localhost:${56150 + i}\\s+${demoPerson(u.key).name}, `));
      expect(guide).toContain(u.tryIt);
    }
    expect(guide).toContain('In a channel the bot reads only posts that @mention it');
    expect(guide).toContain('"@Safeguarding Supervision help"');
    expect(guide).toContain(`"bind triage" from the administrator's playground keeps the cards with the specialist`);
  });
});
