import { DomainError, isDomainError } from '../domain/errors.js';
import { readCues } from '../domain/risk-cues.js';
import { characterCount, formatCount, MAX_MESSAGE_LENGTH } from '../domain/text-limits.js';
import { answerAdvice } from './advice-feedback.js';
import { signAgreement } from './agreements.js';
import { bindTriageChannel } from './bind-triage-channel.js';
import {
  acceptSuggestedTime,
  cancelBookedSession,
  confirmProposedSession,
  declineProposedSession,
  ownBookingForm,
  proposeOwnSession,
  proposeSession,
  suggestAnotherTime,
} from './booking.js';
import { amendRecord, saveRecord, signRecord, startRecord } from './records.js';
import { listMyActions, markActionDone } from './action-points.js';
import { exportAuditFromCard, isAuditCommand, runAuditCommand, showRecordAuditTrail } from './audit-trail.js';
import { HISTORY_COMMAND, showHistory, viewRecord } from './history.js';
import { FAILED_REMINDERS_COMMAND, retryFailedMessage, retryFailedReminder, showFailedReminders } from './failed-reminders.js';
import { ORG_SETTINGS_COMMAND, saveOrgContacts, saveOrgServiceHours, showOrgSettings } from './org-settings-card.js';
import { answerRisk, cancelRequestDraft, chooseKind, startRequest, submitDetails } from './request-intake.js';
import { handlePersonalMessage } from './personal-message.js';
import { addToRequest } from './add-to-request.js';
import { answerInConversation, showHelp } from './help.js';
import { showTeamAttendance } from './team.js';
import { showOverdueSupervision, showReport } from './report.js';
import { isReportCommand, OVERDUE_COMMAND } from '../domain/report.js';
import { exportSubjectAccess, parseSubjectAccessCommand } from './subject-access.js';
import { auditRefusedRead } from './refused-reads.js';
import { claimRequest, closeRequest, giveAdvice, showRequestDetails } from './triage-actions.js';
import { FormRefusal, StaleCardError, type CardRef, type ConversationInfo, type FlowDeps, type Inbound, type TurnResult } from './types.js';
import type { Actor } from '../domain/actor.js';

type ActionHandler = (deps: FlowDeps, actor: Actor, value: Record<string, unknown>, conversation: ConversationInfo) => Promise<TurnResult>;

/**
 * Every card action the bot offers, by its namespaced id. The same id arrives as a Teams
 * Action.Execute verb and as a Slack action_id, and reaches the same handler.
 */
export const ACTIONS: Record<string, ActionHandler> = {
  'intake.start': (deps, actor) => startRequest(deps, actor),
  'intake.risk': (deps, actor, value) => {
    if (value.answer !== 'yes' && value.answer !== 'no') throw new DomainError('INVALID_INPUT', 'Please answer yes or no.');
    return answerRisk(deps, actor, value.answer === 'yes');
  },
  'intake.kind': chooseKind,
  'intake.details': submitDetails,
  'intake.cancel': (deps, actor) => cancelRequestDraft(deps, actor),
  'intake.add': addToRequest,
  'request.claim': claimRequest,
  'request.details': showRequestDetails,
  'request.advise': giveAdvice,
  'request.close': closeRequest,
  'request.feedback': answerAdvice,
  'session.propose': proposeSession,
  'session.propose-own': proposeOwnSession,
  'session.confirm': confirmProposedSession,
  'session.suggest': suggestAnotherTime,
  'session.decline': declineProposedSession,
  'session.accept-suggestion': acceptSuggestedTime,
  'session.cancel': cancelBookedSession,
  'record.start': startRecord,
  'record.save': saveRecord,
  'record.sign': signRecord,
  'record.amend': amendRecord,
  'record.view': viewRecord,
  'record.audit': showRecordAuditTrail,
  'audit.csv': exportAuditFromCard,
  'action-point.done': markActionDone,
  'agreement.sign': signAgreement,
  'reminder.retry': retryFailedReminder,
  'message.retry': retryFailedMessage,
  'org.contacts.save': saveOrgContacts,
  'org.hours.save': saveOrgServiceHours,
};

/** Actions that only make sense in the actor's personal chat (the request conversation). */
const PERSONAL_ONLY = new Set(['intake.start', 'intake.risk', 'intake.kind', 'intake.details', 'intake.cancel', 'intake.add', 'request.feedback', 'record.audit', 'audit.csv', 'org.contacts.save', 'org.hours.save']);

function normaliseCommand(text: string): string {
  return text.trim().toLowerCase().replace(/\s+/g, ' ').replace(/[.!?]+$/, '');
}

async function handleMessage(deps: FlowDeps, actor: Actor, text: string, conversation: ConversationInfo): Promise<TurnResult> {
  const trimmed = text.trim();
  const personal = conversation.kind === 'PERSONAL';
  if (trimmed.length === 0 && !personal) {
    return { replies: [{ text: 'I can only read text messages. Send me a few words to start a request, or "help".' }] };
  }
  const length = trimmed.length > MAX_MESSAGE_LENGTH ? characterCount(trimmed) : trimmed.length;
  if (length > MAX_MESSAGE_LENGTH) {
    const tooLong = `That message is ${formatCount(length)} characters long. Please keep messages to at most ${formatCount(MAX_MESSAGE_LENGTH)} characters; I will ask for a short summary on a card.`;
    if (!personal) throw new DomainError('TEXT_TOO_LONG', tooLong);
    // A pasted wall of text may still be someone asking for help: it is read like any other
    // message (urgent routes first if it needs them, the risk question never skipped).
    const turn = await handlePersonalMessage(deps, actor, trimmed);
    return { ...turn, replies: [{ text: tooLong }, ...turn.replies] };
  }
  const command = normaliseCommand(trimmed);
  if (command === 'help' || command === '?') return showHelp(deps, actor, conversation);
  if (command === 'bind triage' || command === 'bind triage channel') return bindTriageChannel(deps, actor, conversation);
  if (!personal) return answerInConversation(deps, actor, conversation);
  // Someone at risk, or a child's death, is understood before any command the words might look like.
  const reading = readCues(trimmed);
  if (reading.riskCue || reading.childDeath) return handlePersonalMessage(deps, actor, trimmed, reading);
  if (command === 'cancel') return cancelRequestDraft(deps, actor);
  if (command === 'new request') return startRequest(deps, actor);
  if (command === 'my actions') return listMyActions(deps, actor);
  if (command === 'book supervision') return ownBookingForm(deps, actor);
  if (command === 'my team') return showTeamAttendance(deps, actor);
  const overdue = OVERDUE_COMMAND.exec(trimmed.replace(/\s+/g, ' ').replace(/[.!?]+$/, ''));
  if (overdue) return showOverdueSupervision(deps, actor, overdue[1]);
  if (isReportCommand(actor, trimmed)) return showReport(deps, actor, trimmed);
  if (FAILED_REMINDERS_COMMAND.test(command)) return showFailedReminders(deps, actor);
  if (ORG_SETTINGS_COMMAND.test(command)) return showOrgSettings(deps, actor);
  const subjectAccess = parseSubjectAccessCommand(actor, command);
  if (subjectAccess) return exportSubjectAccess(deps, actor, subjectAccess.email);
  const history = HISTORY_COMMAND.exec(command);
  if (history) return showHistory(deps, actor, history[1]);
  if (isAuditCommand(actor, command)) return runAuditCommand(deps, actor, command);
  return handlePersonalMessage(deps, actor, trimmed, reading);
}

/** The refusal to give for an error: a domain error's own words, never internals. */
export function refusalFor(error: unknown): { notice: string; updatedCard?: CardRef } | undefined {
  if (!isDomainError(error)) return undefined;
  return { notice: error.userMessage, ...(error instanceof StaleCardError ? { updatedCard: error.currentCard } : {}) };
}

/**
 * One turn: a verified actor's message or card action in, what to show out. Domain
 * refusals become a private notice; anything else is a bug and propagates to the channel,
 * which logs it and answers with a generic apology.
 */
export async function handleTurn(deps: FlowDeps, actor: Actor, inbound: Inbound): Promise<TurnResult> {
  try {
    if (inbound.kind === 'message') return await handleMessage(deps, actor, inbound.text, inbound.conversation);
    const handler = Object.hasOwn(ACTIONS, inbound.actionId) ? ACTIONS[inbound.actionId] : undefined;
    if (!handler) throw new DomainError('UNKNOWN_ACTION', "I don't recognise that button. It may be from an old card; message me to start again.");
    if (PERSONAL_ONLY.has(inbound.actionId) && inbound.conversation.kind !== 'PERSONAL') {
      throw new DomainError('WRONG_CONVERSATION', 'That button only works in your personal chat with me.');
    }
    return await handler(deps, actor, inbound.value, inbound.conversation);
  } catch (error) {
    const refusal = refusalFor(error);
    if (!refusal) throw error;
    const code = (error as DomainError).code;
    deps.logger.info({ code, actorId: actor.personId }, 'turn refused');
    if (code === 'NOT_PERMITTED') {
      await auditRefusedRead(deps, actor, inbound, inbound.kind === 'message' ? normaliseCommand(inbound.text) : '');
    }
    if (error instanceof FormRefusal) {
      // The form again, in place of the card acted on: the channels show a turn's card only when
      // the turn is not marked refused (nothing was changed all the same).
      if (error.inPlace) return { replies: [], updatedCard: error.form, notice: refusal.notice };
      return { replies: [{ card: error.form }], refused: true, notice: refusal.notice };
    }
    return { replies: [], refused: true, ...refusal };
  }
}
