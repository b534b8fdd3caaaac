import type { Role } from './permissions.js';

/**
 * A file for the actor alone (a report or audit CSV, a subject-access export). On Slack it is
 * uploaded to the actor's conversation; on Teams it is offered as a short-lived signed download
 * link made for the actor only.
 */
export interface OutFile {
  filename: string;
  /** e.g. "text/csv; charset=utf-8", "application/json", "image/png". */
  contentType: string;
  content: Buffer;
  /** A short title shown with the file or link. */
  title: string;
  /**
   * Roles the actor must still hold when a download link is used (Teams); a link is refused
   * once they hold none of them. Absent or empty: any person still active in the directory.
   */
  allowedRoles?: readonly Role[];
}
