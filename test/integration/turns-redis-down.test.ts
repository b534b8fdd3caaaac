// Redis down: the shared limiter cannot answer, and turns and the messages they cause go on
// unpaced rather than not at all. (A file of its own: the Teams connector interception is per process.)
import { describe, expect, it } from 'vitest';
import { personalConversationId, startTeamsHarness, TRIAGE_CHANNEL } from '../support/teams-harness.js';

const toTriage = (call: { path: string }) => call.path.startsWith(`/v3/conversations/${TRIAGE_CHANNEL}`);
const toPersonal = (key: string) => (call: { path: string }) => call.path.startsWith(`/v3/conversations/${personalConversationId(key)}/activities`);

describe('Redis down', () => {
  it('does not stop a turn or its messages: the limiter gives way', async () => {
    const down = await startTeamsHarness({ redisUrl: 'redis://127.0.0.1:1' });
    try {
      await down.message('admin', 'bind triage', 'channel');
      expect(down.take().filter(toTriage)).toHaveLength(1); // the bind's own reply
      await down.message('paramedic', 'hello');
      await down.action('paramedic', 'intake.risk', { answer: 'no' });
      await down.action('paramedic', 'intake.kind', { helpType: 'ADVICE' });
      const res = await down.action('paramedic', 'intake.details', { acknowledged: 'no', availability: 'mornings', summary: 'A request made while Redis is down.' });
      expect(res.status).toBe(200);
      const calls = down.take();
      expect(JSON.stringify(calls.filter(toPersonal('paramedic')))).toContain('Your request has been sent');
      expect(calls.filter(toTriage).filter((c) => c.method === 'POST')).toHaveLength(1);
      expect(await down.database.db.outboundMessage.count({ where: { status: { not: 'SENT' } } })).toBe(0);
    } finally {
      await down.close();
    }
  });
});
