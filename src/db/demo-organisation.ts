// The demo organisation: London Ambulance Service NHS Trust's safeguarding supervision
// service as its policy describes it (seeds 000), with the supervision contract of
// seeds 001 and the out-of-hours routes of seeds 003 5.5. Pure data, no I/O:
// src/db/seed-demo.ts writes it to the database, and local mode reads DEMO_PEOPLE to
// write a playground configuration in which these fictional people are the users.
//
// Every person here is fictional. The contacts are the Trust's published routes
// (seeds 000 7.2.1 and 7.2.4); no phone number is invented. The staff-support services have no
// published number or link, so theirs are placeholders that say so (see DEMO_CONTACTS).

import {
  AgreementKind,
  ContactKind,
  RequirementKind,
  Role,
  SupervisionFormat,
  SupervisorPool,
} from './generated/enums.js';
import type { OrgSettings, ServiceHours } from '../domain/org-settings.js';
import type { ResponsePolicies } from '../domain/response-policy.js';

// ---------------------------------------------------------------------------
// Organisation
// ---------------------------------------------------------------------------

/** Entra tenant id the playground (local mode) uses; a fixed, fictional GUID. */
export const DEMO_TENANT_ID = '1a5de000-0000-4000-8000-000000000000';

export const DEMO_ORGANISATION_SLUG = 'las-demo';

export interface DemoOrganisation {
  slug: string;
  name: string;
  timeZone: string;
  referencePrefix: string;
  serviceHours: ServiceHours;
  /** One response policy per route, in service minutes (src/domain/response-policy.ts). */
  responseTargets: ResponsePolicies;
  /** Only what differs from the defaults of orgSettingsSchema (empty: every default applies). */
  settings: Partial<OrgSettings>;
}

export const DEMO_ORGANISATION: DemoOrganisation = {
  slug: DEMO_ORGANISATION_SLUG,
  name: 'London Ambulance Service NHS Trust (demo)',
  timeZone: 'Europe/London',
  referencePrefix: 'SGS',
  // Office hours of the Safeguarding Team (seeds 000 7.2.4).
  serviceHours: {
    mon: [{ from: '09:00', to: '17:00' }],
    tue: [{ from: '09:00', to: '17:00' }],
    wed: [{ from: '09:00', to: '17:00' }],
    thu: [{ from: '09:00', to: '17:00' }],
    fri: [{ from: '09:00', to: '17:00' }],
    sat: [],
    sun: [],
  },
  // Service minutes, in the office hours above (8 hours a day). The seeds set no number: seeds 000
  // 7.2.4 and 003 5.5 give advice in office hours every day, so advice is promised the same
  // working day; these are the policy defaults (DEFAULT_RESPONSE_POLICIES).
  responseTargets: {
    // Urgent: the routes at once, whatever the hour; a specialist follows up within half an hour
    // of the team being on duty (re-surfaced after 10 minutes unclaimed, the Head told at 30).
    urgent: { targetMinutes: 30, resurfaceAfterMinutes: 10, escalateAfterMinutes: 30 },
    // Advice within 4 service hours (re-surfaced after 1 hour unclaimed, the Head told at 4 hours).
    advice: { targetMinutes: 4 * 60, resurfaceAfterMinutes: 60, escalateAfterMinutes: 4 * 60 },
    // A session request answered within two working days: 2 × 8 h = 960 service minutes
    // (re-surfaced after half a day unclaimed, the Head told at two working days).
    session: { targetMinutes: 2 * 8 * 60, resurfaceAfterMinutes: 4 * 60, escalateAfterMinutes: 2 * 8 * 60 },
  },
  settings: {},
};

// ---------------------------------------------------------------------------
// Contacts
// ---------------------------------------------------------------------------

export interface DemoContact {
  kind: ContactKind;
  label: string;
  phone: string | null;
  email: string | null;
  url: string | null;
  /** When the contact can be used, in words. */
  availability: string | null;
  sortOrder: number;
}

/** What each demo staff-support placeholder says in place of when to use it. */
export const STAFF_SUPPORT_PLACEHOLDER = 'Demo placeholder: your trust sets its own with npm run org -- set-contacts';

export const DEMO_CONTACTS: readonly DemoContact[] = [
  {
    // seeds 000 7.2.1: the inbox the bot replaces; still the route for anything the bot cannot take.
    kind: ContactKind.SUPERVISION_INBOX,
    label: 'Safeguarding Team supervision inbox',
    phone: null,
    email: 'SGSupervision@lond-amb.nhs.uk',
    url: null,
    availability: 'Read by the Safeguarding Team in office hours (Monday to Friday, 09:00 to 17:00)',
    sortOrder: 10,
  },
  {
    // seeds 000 7.2.4
    kind: ContactKind.DUTY_LINE,
    label: 'Safeguarding Team duty mobile (general safeguarding advice)',
    phone: '07990 138855',
    email: null,
    url: null,
    availability: 'Office hours (Monday to Friday, 09:00 to 17:00)',
    sortOrder: 20,
  },
  {
    // seeds 000 7.2.4
    kind: ContactKind.OUT_OF_HOURS_LINE,
    label: 'Emergency Bed Service (EBS): safeguarding advice and referrals',
    phone: '020 7407 7181',
    email: null,
    url: null,
    availability: '24/7',
    sortOrder: 30,
  },
  {
    // seeds 003 5.5: urgent concerns out of hours go to the Emergency Duty Team or the Police.
    // Each local authority runs its own team, so there is no single number: EBS makes the
    // referral or puts staff through to the right team.
    kind: ContactKind.EMERGENCY_DUTY_TEAM,
    label: 'Local authority Emergency Duty Team (urgent safeguarding concerns out of hours)',
    phone: null,
    email: null,
    url: null,
    availability:
      "Out of hours, through EBS on 020 7407 7181: EBS make the referral or connect you with the duty team for the person's area",
    sortOrder: 40,
  },
  {
    kind: ContactKind.EMERGENCY_SERVICES,
    label: 'Police or ambulance: when someone is in immediate danger or there is a risk to life',
    phone: '999',
    email: null,
    url: null,
    availability: '24/7',
    sortOrder: 50,
  },
  // seeds 000 procedure 4.6: signposting to other staff support services (counselling, a LINC
  // worker). The policy publishes no number or link for them, and each must have one to be
  // signposted (src/domain/contact-rows.ts), so these are placeholders on the reserved .example
  // domain (RFC 2606: it reaches nobody), saying plainly that a trust sets its own.
  {
    kind: ContactKind.STAFF_SUPPORT,
    label: 'Staff support services',
    phone: null,
    email: null,
    url: 'https://las-demo.example/staff-support',
    availability: STAFF_SUPPORT_PLACEHOLDER,
    sortOrder: 60,
  },
  {
    kind: ContactKind.STAFF_SUPPORT,
    label: 'Counselling',
    phone: null,
    email: null,
    url: 'https://las-demo.example/counselling',
    availability: STAFF_SUPPORT_PLACEHOLDER,
    sortOrder: 70,
  },
  {
    kind: ContactKind.STAFF_SUPPORT,
    label: 'LINC workers (peer support)',
    phone: null,
    email: null,
    url: 'https://las-demo.example/linc',
    availability: STAFF_SUPPORT_PLACEHOLDER,
    sortOrder: 80,
  },
];

// ---------------------------------------------------------------------------
// Staff groups and the supervision matrix (seeds 000 appendix 3)
// ---------------------------------------------------------------------------

export const STAFF_GROUP = {
  EMERGENCY_BED_SERVICE: 'Emergency Bed Service',
  HEAD_OF_SAFEGUARDING: 'Head of Safeguarding',
  SAFEGUARDING_SPECIALISTS: 'Safeguarding Specialists',
  SAFEGUARDING_OFFICER: 'Safeguarding Officer',
  SAFEGUARDING_ADMINISTRATOR: 'Safeguarding Administrator',
  MENTAL_HEALTH_NURSES: 'Mental Health Nurses',
  FREQUENT_CALLER_TEAM: 'Frequent Caller Team',
  OPERATIONAL_EOC_111: 'Operational Staff, EOC and 111',
} as const;
export type DemoStaffGroupName = (typeof STAFF_GROUP)[keyof typeof STAFF_GROUP];

export interface DemoRequirement {
  kind: RequirementKind;
  format: SupervisionFormat;
  supervisorPool: SupervisorPool;
  /** Per member of staff; null for on-request groups. */
  sessionsPerYear: number | null;
  intervalMonths: number | null;
  durationMinutes: number;
  typicalGroupSize: number | null;
}

export interface DemoStaffGroup {
  name: DemoStaffGroupName;
  /** "No. of Staff Members in Group" in the matrix, for reference only (not stored). */
  policyHeadcount: number | null;
  requirements: readonly DemoRequirement[];
}

function mandatory(
  format: SupervisionFormat,
  supervisorPool: SupervisorPool,
  sessionsPerYear: number,
  durationMinutes: number,
  typicalGroupSize: number | null = null,
): DemoRequirement {
  return {
    kind: RequirementKind.MANDATORY,
    format,
    supervisorPool,
    sessionsPerYear,
    intervalMonths: null,
    durationMinutes,
    typicalGroupSize,
  };
}

const { INDIVIDUAL, GROUP } = SupervisionFormat;
const { SAFEGUARDING_SPECIALISTS, EXTERNAL_PROVIDER } = SupervisorPool;

export const DEMO_STAFF_GROUPS: readonly DemoStaffGroup[] = [
  {
    name: STAFF_GROUP.EMERGENCY_BED_SERVICE,
    policyHeadcount: 28,
    // "1.5 (Avg. 6 in group)"
    requirements: [mandatory(GROUP, SAFEGUARDING_SPECIALISTS, 2, 90, 6)],
  },
  {
    name: STAFF_GROUP.HEAD_OF_SAFEGUARDING,
    policyHeadcount: 1,
    requirements: [mandatory(INDIVIDUAL, EXTERNAL_PROVIDER, 10, 150)],
  },
  {
    name: STAFF_GROUP.SAFEGUARDING_SPECIALISTS,
    policyHeadcount: 2,
    requirements: [mandatory(INDIVIDUAL, EXTERNAL_PROVIDER, 4, 60)],
  },
  {
    name: STAFF_GROUP.SAFEGUARDING_OFFICER,
    policyHeadcount: 1,
    requirements: [mandatory(INDIVIDUAL, SAFEGUARDING_SPECIALISTS, 2, 60)],
  },
  {
    name: STAFF_GROUP.SAFEGUARDING_ADMINISTRATOR,
    policyHeadcount: 1,
    requirements: [mandatory(INDIVIDUAL, SAFEGUARDING_SPECIALISTS, 2, 60)],
  },
  {
    name: STAFF_GROUP.MENTAL_HEALTH_NURSES,
    policyHeadcount: 5,
    requirements: [mandatory(INDIVIDUAL, SAFEGUARDING_SPECIALISTS, 2, 60)],
  },
  {
    name: STAFF_GROUP.FREQUENT_CALLER_TEAM,
    policyHeadcount: 2,
    // Two staff, 1.5 h sessions, 3 hours a year in total: the whole team meets together.
    requirements: [mandatory(GROUP, SAFEGUARDING_SPECIALISTS, 2, 90, 2)],
  },
  {
    name: STAFF_GROUP.OPERATIONAL_EOC_111,
    policyHeadcount: null,
    // On request by e-mailing the inbox; "dependent on issue identified"; individual about
    // one hour and group 1.5 hours (seeds 000 6.1).
    requirements: [
      {
        kind: RequirementKind.ON_REQUEST,
        format: INDIVIDUAL,
        supervisorPool: SAFEGUARDING_SPECIALISTS,
        sessionsPerYear: null,
        intervalMonths: null,
        durationMinutes: 60,
        typicalGroupSize: null,
      },
      {
        kind: RequirementKind.ON_REQUEST,
        format: GROUP,
        supervisorPool: SAFEGUARDING_SPECIALISTS,
        sessionsPerYear: null,
        intervalMonths: null,
        durationMinutes: 90,
        typicalGroupSize: null,
      },
    ],
  },
];

// ---------------------------------------------------------------------------
// People (all fictional)
// ---------------------------------------------------------------------------

export interface DemoPerson {
  /** Short stable key, used by local mode and tests ("paramedic", "specialist"...). */
  key: string;
  name: string;
  givenName: string;
  surname: string;
  email: string;
  jobTitle: string;
  roles: readonly Role[];
  staffGroup: DemoStaffGroupName | null;
  lineManagerKey: string | null;
  /** Fixed Teams (Entra) object id, used as the PlatformIdentity's platformUserId. */
  aadObjectId: string;
  /** Supervisor pools this person supervises in (SupervisorPoolMember rows). */
  supervisorPools: readonly SupervisorPool[];
  /** IANA zone; null means the organisation's. */
  timeZone: string | null;
  quietHoursStart: string | null;
  quietHoursEnd: string | null;
  reasonableAdjustments: string | null;
}

const DOMAIN = 'demo.las.nhs.uk';

function demoObjectId(n: number): string {
  return `1a5de000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

function person(
  n: number,
  p: Pick<DemoPerson, 'key' | 'givenName' | 'surname' | 'jobTitle' | 'roles' | 'staffGroup' | 'lineManagerKey'> &
    Partial<Pick<DemoPerson, 'supervisorPools' | 'timeZone' | 'quietHoursStart' | 'quietHoursEnd' | 'reasonableAdjustments'>>,
): DemoPerson {
  return {
    key: p.key,
    name: `${p.givenName} ${p.surname}`,
    givenName: p.givenName,
    surname: p.surname,
    email: `${p.givenName}.${p.surname}@${DOMAIN}`.toLowerCase(),
    jobTitle: p.jobTitle,
    roles: p.roles,
    staffGroup: p.staffGroup,
    lineManagerKey: p.lineManagerKey,
    aadObjectId: demoObjectId(n),
    supervisorPools: p.supervisorPools ?? [],
    timeZone: p.timeZone ?? null,
    quietHoursStart: p.quietHoursStart ?? null,
    quietHoursEnd: p.quietHoursEnd ?? null,
    reasonableAdjustments: p.reasonableAdjustments ?? null,
  };
}

const { STAFF, SUPERVISOR, SPECIALIST, HEAD_OF_SAFEGUARDING, LINE_MANAGER, ADMINISTRATOR } = Role;

export const DEMO_PEOPLE: readonly DemoPerson[] = [
  // Frontline staff
  person(1, {
    key: 'paramedic',
    givenName: 'Alex',
    surname: 'Sampleton',
    jobTitle: 'Paramedic',
    roles: [STAFF],
    staffGroup: STAFF_GROUP.OPERATIONAL_EOC_111,
    lineManagerKey: 'ops-manager',
  }),
  person(2, {
    key: 'call-handler',
    givenName: 'Jamie',
    surname: 'Exampleby',
    jobTitle: 'Emergency Medical Dispatcher, EOC Waterloo (night shifts)',
    roles: [STAFF],
    staffGroup: STAFF_GROUP.OPERATIONAL_EOC_111,
    lineManagerKey: 'eoc-manager',
    // Works nights and sleeps during the day: non-urgent nudges wait until the afternoon.
    quietHoursStart: '08:00',
    quietHoursEnd: '15:00',
    reasonableAdjustments:
      'Dyslexia: please send any written material (agreement, record) at least a day before the session and allow extra time to read it. Prefers video or face-to-face sessions to phone calls, and afternoon times after night shifts.',
  }),
  person(3, {
    key: 'clinician-111',
    givenName: 'Priya',
    surname: 'Testwell',
    jobTitle: '111 Clinical Advisor, LAS 111 Croydon',
    roles: [STAFF],
    staffGroup: STAFF_GROUP.OPERATIONAL_EOC_111,
    lineManagerKey: 'eoc-manager',
  }),
  person(4, {
    key: 'ebs',
    givenName: 'Morgan',
    surname: 'Demoford',
    jobTitle: 'Emergency Bed Service Officer',
    roles: [STAFF],
    staffGroup: STAFF_GROUP.EMERGENCY_BED_SERVICE,
    lineManagerKey: 'ebs-manager',
  }),
  person(5, {
    key: 'mh-nurse',
    givenName: 'Sam',
    surname: 'Mockridge',
    jobTitle: 'Mental Health Nurse, EOC',
    roles: [STAFF],
    staffGroup: STAFF_GROUP.MENTAL_HEALTH_NURSES,
    lineManagerKey: 'eoc-manager',
  }),
  // Safeguarding Team
  person(6, {
    key: 'specialist',
    givenName: 'Chris',
    surname: 'Fictionby',
    jobTitle: 'Safeguarding Specialist',
    roles: [STAFF, SPECIALIST, SUPERVISOR],
    staffGroup: STAFF_GROUP.SAFEGUARDING_SPECIALISTS,
    lineManagerKey: 'head',
    supervisorPools: [SAFEGUARDING_SPECIALISTS],
  }),
  person(7, {
    key: 'specialist-2',
    givenName: 'Taylor',
    surname: 'Placeholder',
    jobTitle: 'Safeguarding Specialist',
    roles: [STAFF, SPECIALIST, SUPERVISOR],
    staffGroup: STAFF_GROUP.SAFEGUARDING_SPECIALISTS,
    lineManagerKey: 'head',
    supervisorPools: [SAFEGUARDING_SPECIALISTS],
  }),
  person(8, {
    key: 'head',
    givenName: 'Robin',
    surname: 'Examplesworth',
    jobTitle: 'Head of Safeguarding',
    roles: [STAFF, HEAD_OF_SAFEGUARDING, LINE_MANAGER],
    staffGroup: STAFF_GROUP.HEAD_OF_SAFEGUARDING,
    lineManagerKey: 'director',
  }),
  person(9, {
    key: 'admin',
    givenName: 'Jo',
    surname: 'Dummett',
    jobTitle: 'Safeguarding Administrator',
    roles: [STAFF, ADMINISTRATOR],
    staffGroup: STAFF_GROUP.SAFEGUARDING_ADMINISTRATOR,
    lineManagerKey: 'head',
  }),
  // Line managers
  person(10, {
    key: 'ops-manager',
    givenName: 'Casey',
    surname: 'Trialwood',
    jobTitle: 'Group Station Manager',
    roles: [STAFF, LINE_MANAGER],
    staffGroup: STAFF_GROUP.OPERATIONAL_EOC_111,
    lineManagerKey: 'director',
  }),
  person(11, {
    key: 'eoc-manager',
    givenName: 'Drew',
    surname: 'Pretendon',
    jobTitle: 'EOC and 111 Watch Manager',
    roles: [STAFF, LINE_MANAGER],
    staffGroup: STAFF_GROUP.OPERATIONAL_EOC_111,
    lineManagerKey: 'director',
  }),
  person(12, {
    key: 'ebs-manager',
    givenName: 'Lee',
    surname: 'Sampleford',
    jobTitle: 'Emergency Bed Service Manager',
    roles: [STAFF, LINE_MANAGER],
    staffGroup: STAFF_GROUP.EMERGENCY_BED_SERVICE,
    lineManagerKey: 'director',
  }),
  person(13, {
    key: 'director',
    givenName: 'Pat',
    surname: 'Notreal',
    jobTitle: 'Director of Quality (line manager of the Head of Safeguarding)',
    roles: [LINE_MANAGER],
    staffGroup: null,
    lineManagerKey: null,
  }),
  // External provider (seeds 000 appendix 3: supervises the Head of Safeguarding and the specialists)
  person(14, {
    key: 'external-supervisor',
    givenName: 'Frankie',
    surname: 'Madeup',
    jobTitle: 'External Safeguarding Supervisor (independent provider)',
    roles: [SUPERVISOR],
    staffGroup: null,
    lineManagerKey: null,
    supervisorPools: [EXTERNAL_PROVIDER],
  }),
];

/** The demo person with this key; throws for an unknown key. */
export function demoPerson(key: string): DemoPerson {
  const found = DEMO_PEOPLE.find((p) => p.key === key);
  if (!found) throw new Error(`no demo person with key "${key}"`);
  return found;
}

// ---------------------------------------------------------------------------
// Agreement templates, version 1
// ---------------------------------------------------------------------------

export interface DemoAgreementTemplate {
  kind: AgreementKind;
  version: number;
  title: string;
  /** Markdown: headings, paragraphs and bullet lists. */
  body: string;
}

const INDIVIDUAL_AGREEMENT = `**As a Supervisee and Supervisor, we agree to the following:**

- To work together to facilitate in-depth reflection on issues affecting practice and to develop the supervisee both personally and professionally to ensure best practice that is both child and / or vulnerable adult centred.
- To have protected time for safeguarding supervision, by keeping to the agreed schedule and times. Privacy will be respected and interruptions avoided. Supervisor to secure a confidential and quiet space for supervision to take place.
- To work together and have professional respect. To be open and transparent and feedback constructively about the process of the safeguarding supervision.

**As a Supervisee, I agree to the following:**

- To bring to the session a case involving children, vulnerable adults or concerns that I want to discuss (this could be a referral that was made, a referral felt in retrospect could have been made, a safeguarding query. The list is not exhaustive).
- To take responsibility for making effective use of the safeguarding supervision time, by being punctual and ensuring that any action points that are made have a timeline and an outcome.

**As a Supervisor, I agree to the following:**

- To assist the Supervisee in exploring and reflecting on issues raised within the safeguarding supervision framework and to focus on discussion points negotiated at the beginning of each session.
- To assist the Supervisee in clarifying their role and responsibilities to the safeguarding of children, young people and vulnerable adults in line with Trust policies relating to this.
- To keep all information disclosed at 1:1 supervision sessions confidential except for the following:

Anything discussed between the Supervisor and Supervisee within the framework of safeguarding supervision is confidential and information shared requires the consent of both parties. However, any agreed action points between the Supervisor and Supervisee will be documented on the Supervision Record. The Supervision Record will only be accessible to the Supervisee, Supervisor and Head of Safeguarding. The Head of Safeguarding will have access to the Supervision Record for audit purposes.

Professional accountability is a key element of safeguarding children and vulnerable adults. If the Supervisor identifies a risk to staff or children, young people or vulnerable adults, information may need to be shared.

If issues that relate to professional practice within safeguarding supervision are identified in safeguarding supervision and cannot be resolved within the supervisory process, this will be discussed with the Supervisee and a plan made together as to how to resolve the issue. Escalation may be required to the Head of Safeguarding, Safeguarding Specialists and/or the Supervisee's line manager. The Supervisee will be consulted if disclosure is necessary.

We, the Supervisee and Supervisor, agree to abide by the terms of this Agreement.`;

const GROUP_AGREEMENT = `*"Supervision is the cornerstone of good practice" (Lord Laming, 2000)*

**As a Supervisee and Supervisor, we agree to the following:**

- To work together to facilitate in-depth reflection on issues affecting practice and to develop the Supervisees both personally and professionally to ensure best practice that is both child and or vulnerable adult centred.
- To have protected time for safeguarding supervision, by keeping to the agreed schedule and times. Privacy will be respected and interruptions avoided. Supervisor to secure a confidential and quiet space for supervision to take place.
- To work together and have professional respect. To be open and transparent and feedback constructively about the process of the safeguarding supervision.

**As Supervisees, we agree to the following:**

- To bring to the session a case involving children, vulnerable adults or concerns that we wish to discuss (this could be a referral that was made, a referral felt in retrospect could have been made, a safeguarding query. The list is not exhaustive).
- To take responsibility for making effective use of the safeguarding supervision time, by being punctual and ensuring that any action points that are made have a timeline and an outcome.

**As a Supervisor, I agree to the following:**

- To assist the Supervisees in exploring and reflecting on issues raised within the safeguarding supervision framework and to focus on discussion points negotiated at the beginning of each session.
- To assist the Supervisees in clarifying their roles and responsibilities to the safeguarding of children, young people and vulnerable adults in line with Trust policies relating to this.
- Keep all information disclosed at Group supervision sessions confidential except for the following:

Anything discussed between the Supervisor and Supervisees within the framework of safeguarding supervision is confidential and information shared requires the consent of all parties. However, any agreed action points between the Supervisor and Supervisees will be documented on the Supervision Record. The Supervision Record will only be accessible to the Supervisee, Supervisor, Head of Safeguarding and Safeguarding Specialists. The Head of Safeguarding will have access to the Supervision Record for audit purposes.

Professional accountability is a key element of safeguarding children and vulnerable adults. If the Supervisor identifies a risk to staff or children, young people or vulnerable adults, information may need to be shared.

If issues that relate to professional practice within safeguarding supervision are identified in safeguarding supervision and cannot be resolved within the supervisory process, this will be discussed with the Supervisees and a plan made together as to how to resolve the issue. Escalation may be required to the Head of Safeguarding, Safeguarding Specialists and/or the Supervisee's line manager. The Supervisees will be consulted if disclosure is necessary.`;

const GROUP_ATTENDANCE_RECORD = `- **Supervisor**
- **Supervisor Role / Department**
- **Date and Time of Group Supervision**
- **Venue**

In signing the attendance record we, the Supervisees, agree to abide by the terms as set out in the Safeguarding Supervision Agreement.

Each Supervisee records:

- **Name**
- **Role / Department**
- **Signature**`;

const CONTRACT = `**Between:** the Supervisee and the Supervisor named on this contract.

**The Trust's expectations**

The Trust expects workers to undertake safeguarding supervision, and that key areas to be addressed are:

- To appraise existing programmes of care and supportive packages, to ensure they are sensitive to the current needs of the adult / child / family.
- To ensure that the worker is clear about their roles and responsibilities in relation to safeguarding.
- To clarify roles and responsibilities within inter-agency working.
- To promote professional development; identify gaps in knowledge and skills requiring training opportunities.
- To ensure accountability for the work undertaken by the worker.
- To enable the worker to perform to the standards specified by their own professional body, local Safeguarding Partnership policies and procedures, and Trust policies and procedures.
- To be a source of support for the worker.
- To provide the opportunity to address issues relating to staff care.
- To provide regular and constructive feedback to the worker on their safeguarding performance.
- To review the supervision contract annually.

**As a Supervisee I agree to:**

- Be aware of and apply the principles set out in the safeguarding supervision policy.
- Prepare for the sessions, for example, by identifying cases / areas of concern that I want to receive support with, having an agenda or preparing notes.
- Take responsibility for: making effective use of the time, including punctuality, the outcomes and any actions I may take as a result of safeguarding supervision.
- Be willing to learn, to develop my clinical skills and be open to receiving support and challenge.

**As a Safeguarding Supervisor I agree to:**

- Be aware of and apply the principles set out in the safeguarding supervision policy.
- Keep all information you reveal in the supervision sessions confidential, with the following exceptions:
  - Should you disclose any unsafe, unethical or illegal practice that you are unwilling to go through the appropriate procedures to address.
  - You repeatedly fail to attend sessions.
  - Disclosure of a child protection or adult safeguarding concern or incident that has not been reported through the appropriate channels.
- In the event of an exception arising, I will attempt to support you to deal appropriately with the issue. If I remain concerned, I will inform your line manager and the Head of Safeguarding, only after informing you that I am going to do so.
- Offer you advice, support and supportive challenge to enable you to reflect and analyse in depth on issues affecting your practice.
- Be committed to continually developing my competencies as a professional and as a Safeguarding Supervisor.

This contract is reviewed annually.`;

export const DEMO_AGREEMENT_TEMPLATES: readonly DemoAgreementTemplate[] = [
  {
    kind: AgreementKind.INDIVIDUAL,
    version: 1,
    title: 'Individual (one to one) Safeguarding Supervision Agreement',
    body: INDIVIDUAL_AGREEMENT,
  },
  {
    kind: AgreementKind.GROUP,
    version: 1,
    title: 'Group Safeguarding Supervision Agreement',
    body: GROUP_AGREEMENT,
  },
  {
    kind: AgreementKind.GROUP_ATTENDANCE,
    version: 1,
    title: 'Group Safeguarding Supervision Attendance Record',
    body: GROUP_ATTENDANCE_RECORD,
  },
  {
    kind: AgreementKind.CONTRACT,
    version: 1,
    title: 'Safeguarding Supervision Contract',
    body: CONTRACT,
  },
];
