// The organisation settings card (cards/org-settings.json): one template, expanded for Teams and
// translated to Block Kit for Slack, with the same input ids and action ids on both.
import { describe, expect, it } from 'vitest';
import { renderAdaptiveCard } from '../../src/cards/render.js';
import { cardToBlocks } from '../../src/channels/slack/block-kit.js';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const data = (extra: Record<string, unknown> = {}) => ({
  heading: 'Organisation settings: North Trust',
  message: '',
  problems: [],
  contacts: [{ title: 'Duty line', value: 'Duty: 01234 567890' }],
  contactsText: 'kind,label,phone\nDUTY_LINE,Duty,01234 567890',
  timeZone: 'Europe/London',
  days: DAYS.map((d) => ({ id: `hours_${d}`, label: d, value: d === 'sat' || d === 'sun' ? 'closed' : '09:00-17:00' })),
  holidays: 'none',
  policies: [{ title: 'Advice', value: 'contact within 4 h' }],
  ...extra,
});

describe('org-settings card', () => {
  it('Slack: the contacts input, seven day inputs, and each save button under its part', () => {
    const { blocks } = cardToBlocks(renderAdaptiveCard({ template: 'org-settings', data: data() }), 'message');
    expect(blocks.map((b: any) => b.type)).toEqual([
      'header', 'section', 'section', 'input', 'context', 'actions',
      'section', ...DAYS.map(() => 'input'), 'context', 'actions',
      'section', 'section', 'context',
    ]);
    const inputs = blocks.filter((b: any) => b.type === 'input').map((b: any) => [b.element.action_id, b.element.initial_value]);
    expect(inputs).toEqual([['contacts', 'kind,label,phone\nDUTY_LINE,Duty,01234 567890'], ...DAYS.map((d) => [`hours_${d}`, d === 'sat' || d === 'sun' ? 'closed' : '09:00-17:00'])]);
    const buttons = blocks.filter((b: any) => b.type === 'actions').flatMap((b: any) => b.elements.map((e: any) => e.action_id));
    expect(buttons).toEqual(['org.contacts.save', 'org.hours.save']);
  });

  it('Teams: a refusal shows the message and each problem as text runs, never parsed', () => {
    const card = renderAdaptiveCard({ template: 'org-settings', data: data({ message: 'Nothing was changed', problems: [{ text: 'line 2, label: *bold* [x](https://e.example)' }] }) }) as any;
    const container = card.body.find((b: any) => b.type === 'Container');
    expect(container.style).toBe('attention');
    expect(container.items).toEqual([
      { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: 'Nothing was changed', weight: 'Bolder' }] },
      { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: 'line 2, label: *bold* [x](https://e.example)' }] },
    ]);
    expect(renderAdaptiveCard({ template: 'org-settings', data: data() }).body).not.toContainEqual(expect.objectContaining({ type: 'Container' }));
  });
});
