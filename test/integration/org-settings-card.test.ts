// Issue 14 d3: an administrator sees the organisation's contacts, service hours and response
// policies on a card and changes contacts and service hours from it, on Teams and on Slack,
// through real HTTP. Everyone else is refused, typing the command or pressing the submit
// directly with forged card data; bad input (inverted hours, a duty line with no number) gets
// a clear answer naming the field; a refusal writes nothing, a change is audited as the
// administrator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { demoPerson } from '../../src/db/demo-organisation.js';
import { ONLY_ADMINISTRATORS } from '../../src/flows/org-settings-card.js';
import { cardOf, personalConversationId, startTeamsHarness, visibleTexts, type TeamsHarness } from '../support/teams-harness.js';
import { dmChannel, startSlackHarness, type SlackCall, type SlackHarness } from '../support/slack-harness.js';

const WEEK = { hours_mon: '09:00-17:00', hours_tue: '09:00-17:00', hours_wed: '09:00-17:00', hours_thu: '09:00-17:00', hours_fri: '09:00-17:00', hours_sat: 'closed', hours_sun: 'closed' };
const CHANGES = ['organisation.contacts.set', 'organisation.service-hours.set'];

/** Everything the card can change, and its audit entries. */
async function snapshot(db: Db, organisationId: string) {
  return {
    organisation: await db.organisation.findUniqueOrThrow({ where: { id: organisationId }, select: { serviceHours: true, responseTargets: true, settings: true, updatedAt: true } }),
    contacts: await db.organisationContact.findMany({ where: { organisationId }, orderBy: { sortOrder: 'asc' } }),
    changes: await db.auditEvent.count({ where: { action: { in: CHANGES } } }),
  };
}

/** Inputs of an expanded card, by id, with the values it was filled with. */
function inputs(card: { body: unknown[] }): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const n = node as Record<string, unknown>;
      if (typeof n.type === 'string' && n.type.startsWith('Input.') && typeof n.id === 'string') out[n.id] = String(n.value ?? '');
      Object.values(n).forEach(walk);
    }
  };
  walk(card.body);
  return out;
}

const facts = (card: any) => Object.fromEntries(visibleFacts(card).map((f: any) => [f.title, f.value]));
function visibleFacts(card: any): any[] {
  const out: any[] = [];
  const walk = (node: any) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      if (node.type === 'FactSet') out.push(...node.facts);
      Object.values(node).forEach(walk);
    }
  };
  walk(card.body);
  return out;
}

describe('Teams', () => {
  let h: TeamsHarness;
  beforeAll(async () => {
    h = await startTeamsHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  const personal = (key: string) => `/v3/conversations/${personalConversationId(key)}/activities`;
  const state = () => snapshot(h.database.db, h.organisationId);

  it('shows an administrator the contacts, service hours and response policies, with forms', async () => {
    h.take();
    await h.message('admin', 'organisation settings');
    const reply = h.take().find((c) => c.path.startsWith(personal('admin')));
    const card = cardOf(reply);
    const texts = visibleTexts(card.body).join('\n');
    expect(texts).toContain('Organisation settings: London Ambulance Service NHS Trust (demo)');
    expect(texts).toContain('Service hours (Europe/London)');
    expect(facts(card)).toMatchObject({
      'Out-of-hours line': 'Emergency Bed Service (EBS): safeguarding advice and referrals: 020 7407 7181 (24/7)',
      Urgent: 'contact within 30 min; re-surfaced after 10 min unclaimed, escalated to the Head of Safeguarding after 30 min',
      Advice: 'contact within 4 h; re-surfaced after 1 h unclaimed, escalated to the Head of Safeguarding after 4 h',
      'Session request': 'contact within 16 h; re-surfaced after 4 h unclaimed, escalated to the Head of Safeguarding after 16 h',
    });
    const form = inputs(card);
    expect(form).toMatchObject(WEEK);
    expect(form.contacts!.split('\n')[0]).toBe('kind,label,phone,email,url,availability');
    // The same CSV as npm run org -- set-contacts takes; a field with a comma is quoted.
    expect(form.contacts).toContain('DUTY_LINE,Safeguarding Team duty mobile (general safeguarding advice),07990 138855,,,"Office hours (Monday to Friday, 09:00 to 17:00)"');
    const actions = JSON.stringify(card);
    expect(actions).toContain('"verb":"org.contacts.save"');
    expect(actions).toContain('"verb":"org.hours.save"');
  });

  it('refuses the command to anyone else', async () => {
    for (const who of ['paramedic', 'specialist', 'head']) {
      h.take();
      await h.message(who, 'organisation settings');
      const replies = h.take().filter((c) => c.path.startsWith(personal(who)));
      expect(replies.map((c) => c.body.text)).toEqual([ONLY_ADMINISTRATORS]);
    }
  });

  it('refuses a non-administrator pressing the submits directly, whatever the card data says, and changes nothing', async () => {
    const before = await state();
    const forged = { personId: demoPerson('admin').key, roles: ['ADMINISTRATOR'], actor: 'admin' };
    for (const who of ['paramedic', 'specialist', 'head']) {
      const hours = await h.action(who, 'org.hours.save', { ...forged, ...WEEK, hours_sat: '10:00-14:00' });
      expect(hours.body).toEqual({ statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: ONLY_ADMINISTRATORS });
      const contacts = await h.action(who, 'org.contacts.save', { ...forged, contacts: 'kind,label,phone\nEMERGENCY_SERVICES,Emergency services,999\nOUT_OF_HOURS_LINE,Forged,0800 000 000' });
      expect(contacts.body).toEqual({ statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: ONLY_ADMINISTRATORS });
    }
    expect(await state()).toEqual(before);
  });

  it('inverted hours: the form comes back in place with what was typed and the field named; nothing written', async () => {
    const before = await state();
    const res = await h.action('admin', 'org.hours.save', { ...WEEK, hours_mon: '17:00-09:00', contacts: 'left as typed' });
    expect(res.body.type).toBe('application/vnd.microsoft.card.adaptive');
    const texts = visibleTexts(res.body.value.body).join('\n');
    expect(texts).toContain('Nothing was changed: the service hours were not saved (1 problem).');
    expect(texts).toContain('serviceHours.mon: 17:00-09:00: "from" must be before "to"');
    expect(inputs(res.body.value)).toMatchObject({ hours_mon: '17:00-09:00', contacts: 'left as typed' });
    const missing = await h.action('admin', 'org.hours.save', { ...WEEK, hours_tue: '' });
    expect(visibleTexts(missing.body.value.body).join('\n')).toContain('serviceHours.tue: give the hours, such as 09:00-17:00, or closed');
    expect(await state()).toEqual(before);
  });

  it('a duty line with no number: the problem names the line and field; nothing written', async () => {
    const before = await state();
    const csv = ['kind,label,phone,email,url,availability', 'EMERGENCY_SERVICES,Emergency services,999,,,', 'DUTY_LINE,Duty line,,,,Office hours', 'OUT_OF_HOURS_LINE,EBS,020 7407 7181,,,24/7'].join('\n');
    const res = await h.action('admin', 'org.contacts.save', { ...WEEK, contacts: csv });
    const texts = visibleTexts(res.body.value.body).join('\n');
    expect(texts).toContain('Nothing was changed: the contacts were not saved (1 problem).');
    expect(texts).toContain('line 3, phone: a DUTY_LINE contact needs a phone number: someone at risk rings it');
    expect(inputs(res.body.value).contacts).toBe(csv);
    expect(await state()).toEqual(before);
  });

  it('saves service hours and contacts, audited as the administrator from chat', async () => {
    const admin = await h.database.db.person.findFirstOrThrow({ where: { organisationId: h.organisationId, email: demoPerson('admin').email } });
    const res = await h.action('admin', 'org.hours.save', { ...WEEK, hours_sat: '10:00-14:00', hours_fri: '09:00-12:30, 13:30-17:00' });
    expect(res.body.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(visibleTexts(res.body.value.body).join('\n')).toContain('Service hours saved: open 6 days a week.');
    expect(inputs(res.body.value)).toMatchObject({ hours_sat: '10:00-14:00', hours_fri: '09:00-12:30, 13:30-17:00' });
    const org = await h.database.db.organisation.findUniqueOrThrow({ where: { id: h.organisationId } });
    expect(org.serviceHours).toMatchObject({ sat: [{ from: '10:00', to: '14:00' }], fri: [{ from: '09:00', to: '12:30' }, { from: '13:30', to: '17:00' }] });
    expect(await h.database.db.auditEvent.findFirstOrThrow({ where: { action: 'organisation.service-hours.set' } })).toMatchObject({
      actorId: admin.id,
      platform: 'TEAMS',
      detail: expect.objectContaining({ via: 'chat', sat: '10:00-14:00' }),
    });

    // The contacts: the card's own text with one number changed.
    h.take();
    await h.message('admin', 'organisation settings');
    const calls = h.take();
    const contacts = inputs(cardOf(calls.find((c) => c.path.startsWith(personal('admin'))))).contacts!.replace('07990 138855', '07990 000000');
    const saved = await h.action('admin', 'org.contacts.save', { ...WEEK, contacts });
    expect(visibleTexts(saved.body.value.body).join('\n')).toMatch(/Contacts saved: \d+ contacts\./);
    const duty = await h.database.db.organisationContact.findFirstOrThrow({ where: { organisationId: h.organisationId, kind: 'DUTY_LINE' } });
    expect(duty.phone).toBe('07990 000000');
    expect(await h.database.db.auditEvent.findFirstOrThrow({ where: { action: 'organisation.contacts.set' } })).toMatchObject({ actorId: admin.id, platform: 'TEAMS', detail: expect.objectContaining({ via: 'chat' }) });
  });
});

describe('Slack', () => {
  let h: SlackHarness;
  beforeAll(async () => {
    h = await startSlackHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  const named = (calls: SlackCall[], method: string) => calls.filter((c) => c.method === method);
  const state = async () => {
    const org = await h.database.db.organisation.findFirstOrThrow({ select: { id: true } });
    return snapshot(h.database.db, org.id);
  };
  const blocksText = (call: SlackCall | undefined) => JSON.stringify(call?.args.blocks ?? []);

  /** The card in the administrator's DM, and its buttons' action ids by base id. */
  async function openCard() {
    h.take();
    await h.dm('admin', 'organisation settings');
    const [post] = named(await h.until((c) => named(c, 'chat.postMessage').length === 1), 'chat.postMessage');
    const buttons = (post!.args.blocks as any[]).flatMap((b) => (b.type === 'actions' ? b.elements : []));
    const id = (base: string) => buttons.find((e: any) => e.action_id.split('#')[0] === base)!.action_id as string;
    return { post: post!, hoursSave: id('org.hours.save'), contactsSave: id('org.contacts.save') };
  }

  it('shows an administrator the same card in Block Kit, with inputs and both buttons', async () => {
    const { post } = await openCard();
    expect(post.args.channel).toBe(dmChannel('admin'));
    const text = blocksText(post);
    expect(text).toContain('Organisation settings: London Ambulance Service NHS Trust (demo)');
    expect(text).toContain('020 7407 7181');
    expect(text).toContain('contact within 4 h; re-surfaced after 1 h unclaimed, escalated to the Head of Safeguarding after 4 h');
    const inputsById = Object.fromEntries((post.args.blocks as any[]).filter((b) => b.type === 'input').map((b) => [b.element.action_id, b.element.initial_value]));
    expect(inputsById).toMatchObject({ hours_mon: '09:00-17:00', hours_sat: 'closed' });
    expect(inputsById.contacts).toContain('EMERGENCY_SERVICES');
  });

  it('refuses the command and a direct submit to a non-administrator; nothing changed', async () => {
    const before = await state();
    /** The refusal in the person's DM (a DM has no ephemeral messages). */
    const refusedIn = async (who: string) => {
      const calls = await h.until((c) => named(c, 'chat.postMessage').some((p) => p.args.channel === dmChannel(who)));
      return named(calls, 'chat.postMessage').filter((p) => p.args.channel === dmChannel(who)).map((p) => p.args.text);
    };
    h.take();
    await h.dm('specialist', 'organisation settings');
    expect(await refusedIn('specialist')).toEqual([ONLY_ADMINISTRATORS]);
    h.take();
    // The button pressed directly, with card data claiming the administrator's role: identity and role come from Slack and the directory.
    await h.press('specialist', 'org.hours.save', { roles: ['ADMINISTRATOR'], personId: 'admin' }, { channel: dmChannel('specialist'), state: { ...WEEK, hours_sat: '10:00-14:00' } });
    expect(await refusedIn('specialist')).toEqual([ONLY_ADMINISTRATORS]);
    h.take();
    await h.press('paramedic', 'org.contacts.save', {}, { channel: dmChannel('paramedic'), state: { contacts: 'kind,label,phone\nEMERGENCY_SERVICES,Emergency services,999' } });
    expect(await refusedIn('paramedic')).toEqual([ONLY_ADMINISTRATORS]);
    expect(await state()).toEqual(before);
  });

  it('inverted hours and a missing number are refused with the field named; nothing written', async () => {
    const before = await state();
    const { post, hoursSave, contactsSave } = await openCard();
    h.take();
    await h.press('admin', hoursSave, {}, { channel: dmChannel('admin'), ts: post.args.ts ?? '1', state: { ...WEEK, hours_wed: '18:00-08:00' } });
    const calls = await h.until((c) => c.some((x) => /serviceHours\.wed/.test(JSON.stringify(x.args))));
    expect(JSON.stringify(calls)).toContain('serviceHours.wed: 18:00-08:00: \\"from\\" must be before \\"to\\"');
    h.take();
    const csv = 'kind,label,phone\nEMERGENCY_SERVICES,Emergency services,999\nOUT_OF_HOURS_LINE,EBS,';
    await h.press('admin', contactsSave, {}, { channel: dmChannel('admin'), ts: post.args.ts ?? '1', state: { ...WEEK, contacts: csv } });
    const more = await h.until((c) => c.some((x) => /line 3, phone/.test(JSON.stringify(x.args))));
    expect(JSON.stringify(more)).toContain('line 3, phone: a OUT_OF_HOURS_LINE contact needs a phone number: someone at risk rings it');
    expect(await state()).toEqual(before);
  });

  it('saves service hours from the card, audited as the administrator on Slack', async () => {
    const { post, hoursSave } = await openCard();
    h.take();
    await h.press('admin', hoursSave, {}, { channel: dmChannel('admin'), ts: post.args.ts ?? '1', state: { ...WEEK, hours_sun: '10:00-12:00' } });
    await h.until((c) => c.some((x) => /Service hours saved/.test(JSON.stringify(x.args))));
    const org = await h.database.db.organisation.findFirstOrThrow();
    expect(org.serviceHours).toMatchObject({ sun: [{ from: '10:00', to: '12:00' }], mon: [{ from: '09:00', to: '17:00' }] });
    const admin = await h.database.db.person.findFirstOrThrow({ where: { email: demoPerson('admin').email } });
    expect(await h.database.db.auditEvent.findFirstOrThrow({ where: { action: 'organisation.service-hours.set' } })).toMatchObject({
      actorId: admin.id,
      platform: 'SLACK',
      detail: expect.objectContaining({ via: 'chat', sun: '10:00-12:00' }),
    });
  });
});
