import { canBindTriageChannel, isSafeguardingTeam, type ActorIdentity } from './permissions.js';

/**
 * What `help` tells a person: only what they can do, given their roles (permissions.ts and
 * the rules each command checks), grouped, with examples. Plain data for the `help` card.
 * Every answer carries the emergency line, wherever it is asked.
 */
export interface HelpItem {
  /** What to type or press. */
  say: string;
  /** What it does, with an example where one helps. */
  does: string;
}

export interface HelpGroup {
  title: string;
  items: HelpItem[];
}

export interface HelpContent {
  heading: string;
  intro: string;
  groups: HelpGroup[];
  emergency: string;
}

export const EMERGENCY_LINE = 'If anyone is in immediate danger, call 999.';

export interface PersonalHelpFacts {
  platform: 'TEAMS' | 'SLACK';
  /** The person's staff group has mandatory supervision, so they may book their own (seeds 000 7.2.2). */
  inMandatoryGroup: boolean;
  /** A reference in the organisation's own format, for the examples (SGS-2026-0042). */
  exampleReference: string;
}

const has = (actor: ActorIdentity, role: ActorIdentity['roles'][number]) => actor.roles.includes(role);

/** Help in the person's own chat with the bot. */
export function personalHelp(actor: ActorIdentity, facts: PersonalHelpFacts): HelpContent {
  const team = isSafeguardingTeam(actor);
  const head = has(actor, 'HEAD_OF_SAFEGUARDING');
  const lineManager = has(actor, 'LINE_MANAGER');
  const groups: HelpGroup[] = [
    {
      title: 'Ask the safeguarding team for help',
      items: [
        {
          say: 'Any message, in your own words',
          does: 'Starts a request. I ask first whether anyone is at immediate risk; what you wrote becomes your summary, which you can change before it is sent. For example: "I attended a call where a baby died".',
        },
        { say: 'advice, session, child death or emotional impact', does: 'When I ask what kind of help you need, type one of these or press a button.' },
        { say: 'new request', does: 'Starts another request when you already have one open. Writing to me with one open asks whether to add what you wrote to it.' },
        { say: 'cancel', does: 'Stops a request you are part way through. Nothing more is sent.' },
      ],
    },
    {
      title: 'Your supervision',
      items: [
        { say: 'history', does: 'Your supervision records and advice, with a button to read each one.' },
        {
          say: 'my actions',
          does: has(actor, 'SUPERVISOR') ? 'Your action points, and the progress of those you supervise.' : 'Your action points, with a button to mark each one done.',
        },
        ...(facts.inMandatoryGroup ? [{ say: 'book supervision', does: 'Proposes your own mandatory supervision session to a supervisor from your group.' }] : []),
      ],
    },
  ];
  if (lineManager) {
    groups.push({
      title: 'Your team',
      items: [
        { say: 'my team', does: "Your reports' supervision attendance against the matrix; never what was discussed." },
        ...(team ? [] : [{ say: 'overdue supervision', does: 'Who in your team is overdue for mandatory supervision.' }]),
      ],
    });
  }
  if (team) {
    groups.push({
      title: 'Safeguarding team',
      items: [
        { say: 'The cards in the triage channel', does: 'Claim, Details, Give advice, Book a session and Close on each request. The summary comes to you privately.' },
        { say: 'report', does: 'The last complete quarter\'s supervision report: a card, a chart and a CSV. For example: "report Q3 2026" or "report 2026-07-01 to 2026-09-30 for Paramedics".' },
        { say: 'overdue supervision', does: 'Who is overdue for mandatory supervision, across the organisation.' },
        { say: 'history <e-mail>', does: 'Someone\'s supervision history. For example: "history jo.bloggs@nhs.net".' },
      ],
    });
  }
  if (head) {
    groups.push({
      title: 'Head of Safeguarding',
      items: [
        { say: `audit ${facts.exampleReference}`, does: 'Who did what with a request, and when (never its content). Add "csv" at the end for a file.' },
        { say: 'audit person <e-mail>', does: 'The audit trail of everything about one person. For example: "audit person jo.bloggs@nhs.net csv".' },
        { say: 'audit <from> to <to>', does: 'The audit trail of a period. For example: "audit 2026-10-01 to 2026-10-31".' },
        { say: 'subject access <e-mail>', does: 'Everything I hold about a person, as a file, for a subject-access request.' },
      ],
    });
  }
  if (has(actor, 'ADMINISTRATOR')) {
    groups.push({
      title: 'Administration',
      items: [
        {
          say: facts.platform === 'SLACK' ? '/supervision bind triage' : 'bind triage',
          does: facts.platform === 'SLACK' ? 'Typed in a channel, makes it the triage channel.' : 'Typed in a channel (mentioning me), makes it the triage channel.',
        },
        { say: 'failed reminders', does: 'Reminders that could not be delivered, with a Retry button.' },
        { say: 'organisation settings', does: 'The contacts, service hours and response policies, with forms to change the contacts and service hours.' },
      ],
    });
  }
  return {
    heading: 'What I can do for you',
    intro:
      facts.platform === 'SLACK'
        ? 'I pass requests for safeguarding advice and supervision to the safeguarding team. Type any of these here, or "/supervision" and the words anywhere in Slack.'
        : 'I pass requests for safeguarding advice and supervision to the safeguarding team. Type any of these here.',
    groups,
    emergency: EMERGENCY_LINE,
  };
}

export interface ConversationHelpFacts {
  kind: 'CHANNEL' | 'GROUP';
  /** This channel is the organisation's triage channel on this platform. */
  isTriageChannel: boolean;
  /** Where it is asked (Teams unless said): on Slack the bot is reached there through "/supervision". */
  platform?: 'TEAMS' | 'SLACK';
}

/** Help in a channel or group chat, where everyone there reads the answer: what the bot does there. */
export function conversationHelp(actor: ActorIdentity, facts: ConversationHelpFacts): HelpContent {
  const slack = facts.platform === 'SLACK';
  const askInPrivate: HelpItem = {
    say: 'To ask for help yourself',
    does: slack
      ? 'Message me in a direct message with the app, or type "/supervision" and your words anywhere: I answer in that direct message. What you write there is seen only by you and the safeguarding team; I never take requests where others can read them.'
      : 'Message me in a personal chat. What you write there is seen only by you and the safeguarding team; I never take requests where others can read them.',
  };
  const bind: HelpItem[] = canBindTriageChannel(actor) ? [{ say: slack ? '/supervision bind triage' : 'bind triage', does: 'Administrators: makes this channel the triage channel.' }] : [];
  if (facts.kind === 'GROUP') {
    return {
      heading: 'What I do in a group chat',
      intro: slack
        ? 'In a group DM I only answer "/supervision help", to the person who asks: everyone here reads what is written, so I take no requests and show nothing confidential here.'
        : 'In a group chat I only answer "help": everyone here reads what is written, so I take no requests and show nothing confidential here.',
      groups: [{ title: 'Here', items: [askInPrivate] }],
      emergency: EMERGENCY_LINE,
    };
  }
  if (facts.isTriageChannel) {
    return {
      heading: 'What I do in this channel',
      intro: 'This is the safeguarding triage channel. I post a card here for each new request, and keep it up to date for everyone; the summary is never shown here.',
      groups: [
        {
          title: 'On each request card',
          items: [
            { say: 'Claim', does: 'Safeguarding specialists: takes the request. Its summary comes to you privately, never here.' },
            { say: 'Details, Give advice, Book a session, Close', does: 'Work the request; the requester is told what happens in their own chat.' },
          ],
        },
        { title: 'Everyone', items: [askInPrivate, ...bind] },
      ],
      emergency: EMERGENCY_LINE,
    };
  }
  return {
    heading: 'What I do in this channel',
    intro: 'This is not the triage channel, so I post nothing here and take no requests here.',
    groups: [{ title: 'Everyone', items: [askInPrivate, ...bind] }],
    emergency: EMERGENCY_LINE,
  };
}

/**
 * The one-line answer to anything else typed where others can read it: what the bot does
 * there, where to ask instead, and the emergency line.
 */
export function conversationAnswer(facts: ConversationHelpFacts): string {
  const where =
    facts.kind === 'GROUP'
      ? 'I take no requests in a group chat, where everyone reads what is written.'
      : facts.isTriageChannel
        ? 'In this channel I post a card for each new request. Safeguarding specialists can claim, advise on and close them from the cards.'
        : 'In this channel I post nothing and take no requests; requests go to the triage channel.';
  return `${where} To ask for help yourself, message me in a personal chat. Type "help" to see what I do here. ${EMERGENCY_LINE}`;
}
