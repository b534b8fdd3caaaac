import { describe, expect, it } from 'vitest';
import { staffSupport, urgentRoutes, type Contact } from '../../src/domain/urgent-routes.js';

const EMERGENCY: Contact = { kind: 'EMERGENCY_SERVICES', label: 'Emergency services', phone: '999' };
const DUTY: Contact = {
  kind: 'DUTY_LINE',
  label: 'Safeguarding duty line',
  phone: '020 7946 0000',
  availability: 'Mon-Fri 09:00-17:00',
};
const OUT_OF_HOURS: Contact = { kind: 'OUT_OF_HOURS_LINE', label: 'Safeguarding 24/7 line', phone: '020 7946 0001', availability: '24/7' };
const EDT: Contact = {
  kind: 'EMERGENCY_DUTY_TEAM',
  label: 'Emergency Duty Team',
  phone: '020 7946 0002',
  email: 'edt@council.example.gov.uk',
};
const INBOX: Contact = { kind: 'SUPERVISION_INBOX', label: 'Supervision inbox', email: 'supervision@trust.example.nhs.uk' };
const EAP: Contact = {
  kind: 'STAFF_SUPPORT',
  label: 'Employee assistance',
  phone: '0800 000 0000',
  url: 'https://eap.example',
  availability: '24/7',
};
const WELLBEING: Contact = { kind: 'STAFF_SUPPORT', label: 'Staff wellbeing hub', email: 'wellbeing@trust.example.nhs.uk' };

// Deliberately not in the order they should come out.
const ALL = [EAP, EDT, INBOX, OUT_OF_HOURS, DUTY, WELLBEING, EMERGENCY];

describe('urgentRoutes', () => {
  it('in service hours: emergency services, the duty line, then the 24/7 line', () => {
    expect(urgentRoutes(ALL, true).map((l) => l.label)).toEqual([
      'Emergency services',
      'Safeguarding duty line',
      'Safeguarding 24/7 line',
    ]);
  });

  it('out of hours: emergency services, the 24/7 line, then the Emergency Duty Team', () => {
    expect(urgentRoutes(ALL, false).map((l) => l.label)).toEqual([
      'Emergency services',
      'Safeguarding 24/7 line',
      'Emergency Duty Team',
    ]);
  });

  it('never offers the duty line out of hours, nor the Emergency Duty Team in hours', () => {
    expect(urgentRoutes(ALL, false).map((l) => l.label)).not.toContain('Safeguarding duty line');
    expect(urgentRoutes(ALL, true).map((l) => l.label)).not.toContain('Emergency Duty Team');
  });

  it('never offers the supervision inbox or staff support as an urgent route', () => {
    for (const inHours of [true, false]) {
      const labels = urgentRoutes(ALL, inHours).map((l) => l.label);
      expect(labels).not.toContain('Supervision inbox');
      expect(labels).not.toContain('Employee assistance');
      expect(labels).not.toContain('Staff wellbeing hub');
    }
  });

  it('gives the contact details: phone, email, url, then availability in brackets', () => {
    expect(urgentRoutes(ALL, true)).toEqual([
      { label: 'Emergency services', detail: '999' },
      { label: 'Safeguarding duty line', detail: '020 7946 0000 (Mon-Fri 09:00-17:00)' },
      { label: 'Safeguarding 24/7 line', detail: '020 7946 0001 (24/7)' },
    ]);
    expect(urgentRoutes(ALL, false)[2]).toEqual({
      label: 'Emergency Duty Team',
      detail: '020 7946 0002, edt@council.example.gov.uk',
    });
  });

  it('falls back to the label when a contact has no details', () => {
    const bare: Contact = { kind: 'EMERGENCY_SERVICES', label: 'Call 999', phone: null, email: null, url: null };
    expect(urgentRoutes([bare], true)).toEqual([{ label: 'Call 999', detail: 'Call 999' }]);
  });

  it('skips empty details', () => {
    const partial: Contact = { kind: 'DUTY_LINE', label: 'Duty', phone: '', email: 'duty@trust.example.nhs.uk', url: null };
    expect(urgentRoutes([partial], true)).toEqual([{ label: 'Duty', detail: 'duty@trust.example.nhs.uk' }]);
  });

  it('keeps several contacts of one kind in the order given', () => {
    const second: Contact = { kind: 'OUT_OF_HOURS_LINE', label: 'Children’s social care out of hours', phone: '020 7946 0003' };
    expect(urgentRoutes([second, EMERGENCY, OUT_OF_HOURS], false).map((l) => l.label)).toEqual([
      'Emergency services',
      'Children’s social care out of hours',
      'Safeguarding 24/7 line',
    ]);
  });

  it('leaves out kinds the organisation has not configured', () => {
    expect(urgentRoutes([DUTY, EDT], true).map((l) => l.label)).toEqual(['Safeguarding duty line']);
    expect(urgentRoutes([DUTY, EDT], false).map((l) => l.label)).toEqual(['Emergency Duty Team']);
    expect(urgentRoutes([], true)).toEqual([]);
  });
});

describe('staffSupport', () => {
  it('lists only staff-support services, in the order given, with details', () => {
    expect(staffSupport(ALL)).toEqual([
      { label: 'Employee assistance', detail: '0800 000 0000, https://eap.example (24/7)' },
      { label: 'Staff wellbeing hub', detail: 'wellbeing@trust.example.nhs.uk' },
    ]);
  });

  it('is empty when none are configured', () => {
    expect(staffSupport([EMERGENCY, DUTY, OUT_OF_HOURS, EDT, INBOX])).toEqual([]);
  });
});
