import { describe, expect, it } from 'vitest';
import { stateValues } from '../../src/channels/slack/slack-channel.js';

describe('reading Slack input values', () => {
  it('reads text, selects, radios, dates and times by input id, skipping empty ones', () => {
    const state = {
      values: {
        summary: { summary: { type: 'plain_text_input', value: 'Needs advice' } },
        format: { format: { type: 'radio_buttons', selected_option: { value: 'GROUP', text: { type: 'plain_text', text: 'Group' } } } },
        outcome: { outcome: { type: 'static_select', selected_option: null } },
        day: { day: { type: 'datepicker', selected_date: '2026-12-01' } },
        at: { at: { type: 'timepicker', selected_time: '09:30' } },
        minutes: { minutes: { type: 'number_input', value: '60' } },
        adjustments: { adjustments: { type: 'plain_text_input', value: '' } },
      },
    };
    expect(stateValues(state)).toEqual({ summary: 'Needs advice', format: 'GROUP', day: '2026-12-01', at: '09:30', minutes: '60' });
  });

  it('returns nothing for a missing or malformed state', () => {
    expect(stateValues(undefined)).toEqual({});
    expect(stateValues({})).toEqual({});
  });
});
