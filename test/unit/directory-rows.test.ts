import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  checkDirectoryCsv,
  identityKey,
  parseDirectoryCsv,
  parseRole,
  validateDirectoryRows,
  type DirectoryContext,
  type DirectoryProblem,
  type DirectoryValidation,
} from '../../src/domain/directory-rows.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/directory/${name}`, import.meta.url), 'utf8');

const CONTEXT: DirectoryContext = {
  staffGroupNames: ['Nursing', 'Medical', 'Allied health professionals', 'Safeguarding team'],
  existingEmails: ['director@trust.example.nhs.uk'],
};

const HEADER = 'name,email,staff_group,roles,line_manager_email';
const HEAD = 'Helen Carter,head@trust.example.nhs.uk,Safeguarding team,HEAD_OF_SAFEGUARDING,';
const SAM = 'Sam Jones,sam@trust.example.nhs.uk,Safeguarding team,ADMINISTRATOR,head@trust.example.nhs.uk';

const csv = (...lines: string[]) => `${lines.join('\n')}\n`;

function problemsOf(result: DirectoryValidation): DirectoryProblem[] {
  if (result.ok) throw new Error(`expected problems, got ${result.people.length} valid people`);
  return result.problems;
}

/** Exactly one problem, on this line and field, whose reason contains the text. */
function expectOnlyProblem(text: string, line: number, field: string, reason: string, context = CONTEXT): DirectoryProblem {
  const problems = problemsOf(checkDirectoryCsv(text, context));
  expect(problems).toHaveLength(1);
  expect(problems[0]).toMatchObject({ line, field, reason: expect.stringContaining(reason) });
  return problems[0]!;
}

describe('a good directory file', () => {
  it('accepts the sample file and normalises every field', () => {
    const result = checkDirectoryCsv(fixture('good.csv'), CONTEXT);
    if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
    expect(result.people).toHaveLength(6);
    const [priya, tom, grace, aisha, sam, helen] = result.people;
    expect(priya).toEqual({
      line: 2,
      name: 'Priya Shah',
      email: 'priya.shah@trust.example.nhs.uk',
      jobTitle: 'Staff Nurse',
      staffGroup: 'Nursing',
      roles: ['STAFF'],
      lineManagerEmail: 'ward.manager@trust.example.nhs.uk',
      timeZone: null,
      teamsAadObjectId: '3f2504e0-4f89-11d3-9a0c-0305e82c3301',
      slackUserId: 'U01PRIYA01',
    });
    expect(tom).toMatchObject({ staffGroup: 'Nursing', roles: ['STAFF'], timeZone: 'Europe/London', teamsAadObjectId: null });
    expect(grace?.roles).toEqual(['LINE_MANAGER', 'STAFF']);
    expect(aisha).toMatchObject({ jobTitle: 'Named Doctor, Safeguarding Children', roles: ['SUPERVISOR', 'SPECIALIST'], slackUserId: 'W01AISHA01' });
    expect(sam?.roles).toEqual(['ADMINISTRATOR']);
    expect(helen).toMatchObject({ line: 7, roles: ['HEAD_OF_SAFEGUARDING', 'SUPERVISOR', 'LINE_MANAGER'], lineManagerEmail: null });
  });

  it('takes columns in any order and case, and leaves absent optional columns undefined', () => {
    const result = checkDirectoryCsv(
      csv('Line Manager Email,ROLES,Staff_Group,EMAIL,Name', ',,Safeguarding team,HEAD@Trust.Example.NHS.uk,Helen Carter'),
      CONTEXT,
    );
    expect(result).toEqual({
      ok: true,
      people: [
        {
          line: 2,
          name: 'Helen Carter',
          email: 'head@trust.example.nhs.uk',
          staffGroup: 'Safeguarding team',
          roles: ['STAFF'],
          lineManagerEmail: null,
          teamsAadObjectId: null,
          slackUserId: null,
        },
      ],
    });
  });

  it('accepts a line manager who is already in the directory but not in the file', () => {
    const result = checkDirectoryCsv(csv(HEADER, 'Ann Lee,ann@trust.example.nhs.uk,Medical,staff,Director@trust.example.nhs.uk'), CONTEXT);
    expect(result.ok && result.people[0]?.lineManagerEmail).toBe('director@trust.example.nhs.uk');
  });

  it('understands friendly role names', () => {
    expect(parseRole('head of safeguarding')).toBe('HEAD_OF_SAFEGUARDING');
    expect(parseRole(' Line-Manager ')).toBe('LINE_MANAGER');
    expect(parseRole('admin')).toBe('ADMINISTRATOR');
    expect(parseRole('Safeguarding specialist')).toBe('SPECIALIST');
    expect(parseRole('matron')).toBeNull();
  });

  it('skips blank lines and numbers rows by their line in the file, multi-line fields included', () => {
    const text = csv(HEADER, '', HEAD, '"Sam', 'Jones",sam@trust.example.nhs.uk,Safeguarding team,ADMINISTRATOR,head@trust.example.nhs.uk', ',,,,', 'Bad Email,nope,Nursing,,');
    const problems = problemsOf(checkDirectoryCsv(text, CONTEXT));
    expect(problems).toEqual([expect.objectContaining({ line: 7, field: 'email', code: 'INVALID_EMAIL' })]);
    const raw = parseDirectoryCsv(text);
    expect(raw.rows.map((r) => r.line)).toEqual([3, 4, 7]);
  });
});

describe('problems in a directory file', () => {
  it('a missing required column is reported on line 1', () => {
    const problem = expectOnlyProblem(
      csv('name,email,staff_group,roles', 'Helen Carter,head@trust.example.nhs.uk,Safeguarding team,HEAD_OF_SAFEGUARDING'),
      1,
      'line_manager_email',
      'missing required column "line_manager_email"',
    );
    expect(problem.code).toBe('MISSING_COLUMN');
  });

  it('an unknown column is reported on line 1 (a typo would otherwise be ignored)', () => {
    expectOnlyProblem(csv(`${HEADER},timezone`, `${HEAD},Europe/London`), 1, 'timezone', 'unknown column "timezone"');
  });

  it('an empty name', () => {
    expectOnlyProblem(csv(HEADER, HEAD, ',nameless@trust.example.nhs.uk,Nursing,,head@trust.example.nhs.uk', SAM), 3, 'name', 'name is empty');
  });

  it('an invalid email', () => {
    expectOnlyProblem(csv(HEADER, HEAD, 'Priya Shah,priya.shah.example.nhs.uk,Nursing,,head@trust.example.nhs.uk', SAM), 3, 'email', 'not a valid email');
  });

  it('an empty email', () => {
    expectOnlyProblem(csv(HEADER, HEAD, 'Priya Shah,,Nursing,,head@trust.example.nhs.uk', SAM), 3, 'email', 'email is empty');
  });

  it('a duplicate email in the file, whatever its case', () => {
    expectOnlyProblem(
      csv(HEADER, HEAD, SAM, 'Sam Jones Again,SAM@trust.example.nhs.uk,Nursing,,head@trust.example.nhs.uk'),
      4,
      'email',
      'duplicate email sam@trust.example.nhs.uk: already on line 3',
    );
  });

  it('an unknown staff group, naming the groups that exist', () => {
    const problem = expectOnlyProblem(
      csv(HEADER, HEAD, 'Tom Okafor,tom@trust.example.nhs.uk,Porters,,head@trust.example.nhs.uk', SAM),
      3,
      'staff_group',
      'unknown staff group "Porters"',
    );
    expect(problem.reason).toContain('"Allied health professionals", "Medical", "Nursing", "Safeguarding team"');
  });

  it('an empty staff group', () => {
    expectOnlyProblem(csv(HEADER, HEAD, 'Tom Okafor,tom@trust.example.nhs.uk,,,head@trust.example.nhs.uk', SAM), 3, 'staff_group', 'staff group is empty');
  });

  it('an unknown role', () => {
    expectOnlyProblem(
      csv(HEADER, HEAD, 'Tom Okafor,tom@trust.example.nhs.uk,Nursing,staff;matron,head@trust.example.nhs.uk', SAM),
      3,
      'roles',
      'unknown role "matron"',
    );
  });

  it('a line manager neither in the file nor in the directory', () => {
    expectOnlyProblem(
      csv(HEADER, HEAD, 'Tom Okafor,tom@trust.example.nhs.uk,Nursing,,nobody@trust.example.nhs.uk', SAM),
      3,
      'line_manager_email',
      'line manager nobody@trust.example.nhs.uk is neither in this file nor in the existing directory',
    );
  });

  it('an invalid line manager email', () => {
    expectOnlyProblem(csv(HEADER, HEAD, 'Tom Okafor,tom@trust.example.nhs.uk,Nursing,,helen carter', SAM), 3, 'line_manager_email', 'not a valid email');
  });

  it('a person as their own line manager', () => {
    expectOnlyProblem(
      csv(HEADER, HEAD, 'Tom Okafor,tom@trust.example.nhs.uk,Nursing,,TOM@trust.example.nhs.uk', SAM),
      3,
      'line_manager_email',
      'cannot be their own line manager',
    );
  });

  it('a line-manager cycle, on every row in it', () => {
    const problems = problemsOf(
      checkDirectoryCsv(
        csv(
          HEADER,
          HEAD,
          'Ann Lee,ann@trust.example.nhs.uk,Nursing,,bob@trust.example.nhs.uk',
          'Bob Day,bob@trust.example.nhs.uk,Nursing,,cat@trust.example.nhs.uk',
          'Cat Fox,cat@trust.example.nhs.uk,Nursing,,ann@trust.example.nhs.uk',
          'Dan Orr,dan@trust.example.nhs.uk,Nursing,,ann@trust.example.nhs.uk',
        ),
        CONTEXT,
      ),
    );
    expect(problems.map((p) => [p.line, p.field, p.code])).toEqual([
      [3, 'line_manager_email', 'LINE_MANAGER_CYCLE'],
      [4, 'line_manager_email', 'LINE_MANAGER_CYCLE'],
      [5, 'line_manager_email', 'LINE_MANAGER_CYCLE'],
    ]);
    expect(problems[0]?.reason).toContain('ann@trust.example.nhs.uk → bob@trust.example.nhs.uk → cat@trust.example.nhs.uk → ann@trust.example.nhs.uk');
  });

  it('a line-manager cycle through someone already in the directory', () => {
    const context: DirectoryContext = {
      ...CONTEXT,
      existingEmails: ['director@trust.example.nhs.uk'],
      existingLineManagers: new Map([['director@trust.example.nhs.uk', 'tom@trust.example.nhs.uk']]),
    };
    expectOnlyProblem(
      csv(HEADER, HEAD, 'Tom Okafor,tom@trust.example.nhs.uk,Nursing,,director@trust.example.nhs.uk', SAM),
      3,
      'line_manager_email',
      'tom@trust.example.nhs.uk → director@trust.example.nhs.uk → tom@trust.example.nhs.uk',
      context,
    );
  });

  it('an invalid IANA time zone', () => {
    expectOnlyProblem(csv(`${HEADER},time_zone`, `${HEAD},Europe/London`, `${SAM},Mars/Olympus`), 3, 'time_zone', '"Mars/Olympus" is not an IANA time zone');
  });

  it('a Teams object id that is not a GUID', () => {
    expectOnlyProblem(
      csv(`${HEADER},teams_aad_object_id`, `${HEAD},`, `${SAM},1234-not-a-guid`, 'Ann Lee,ann@trust.example.nhs.uk,Nursing,,head@trust.example.nhs.uk,'),
      3,
      'teams_aad_object_id',
      '"1234-not-a-guid" is not a GUID',
    );
  });

  it('a Slack user id not like U or W followed by letters and digits', () => {
    expectOnlyProblem(
      csv(`${HEADER},slack_user_id`, `${HEAD},U01HELEN01`, `${SAM},C01CHANNEL`, 'Ann Lee,ann@trust.example.nhs.uk,Nursing,,head@trust.example.nhs.uk,W0ANN'),
      3,
      'slack_user_id',
      '"C01CHANNEL" is not a Slack user id',
    );
  });

  it('the same Teams id on two rows', () => {
    expectOnlyProblem(
      csv(
        `${HEADER},teams_aad_object_id`,
        `${HEAD},e02b5b0c-2a3e-4e2f-9a44-5d1f6c9b8a11`,
        `${SAM},E02B5B0C-2A3E-4E2F-9A44-5D1F6C9B8A11`,
      ),
      3,
      'teams_aad_object_id',
      'is also on line 2',
    );
  });

  it('the same Slack id on two rows', () => {
    expectOnlyProblem(csv(`${HEADER},slack_user_id`, `${HEAD},U01HELEN01`, `${SAM},u01helen01`), 3, 'slack_user_id', 'U01HELEN01 is also on line 2');
  });

  it('a platform id that already belongs to someone not in the file', () => {
    const context: DirectoryContext = {
      ...CONTEXT,
      identityOwners: new Map([[identityKey('SLACK', 'U01HELEN01'), 'director@trust.example.nhs.uk']]),
    };
    expectOnlyProblem(csv(`${HEADER},slack_user_id`, `${HEAD},U01HELEN01`, `${SAM},`), 2, 'slack_user_id', 'already belongs to director@trust.example.nhs.uk', context);
  });

  it('a platform id moving between two people in the file is allowed', () => {
    const context: DirectoryContext = {
      ...CONTEXT,
      identityOwners: new Map([
        [identityKey('SLACK', 'U01HELEN01'), 'sam@trust.example.nhs.uk'],
        [identityKey('SLACK', 'U01SAMJO01'), 'head@trust.example.nhs.uk'],
      ]),
    };
    expect(checkDirectoryCsv(csv(`${HEADER},slack_user_id`, `${HEAD},U01HELEN01`, `${SAM},U01SAMJO01`), context).ok).toBe(true);
  });

  it('a name longer than 200 characters', () => {
    expectOnlyProblem(csv(HEADER, HEAD, `${'A'.repeat(201)},ann@trust.example.nhs.uk,Nursing,,head@trust.example.nhs.uk`), 3, 'name', 'longer than 200');
  });

  it('a job title longer than 200 characters', () => {
    expectOnlyProblem(csv(`${HEADER},job_title`, `${HEAD},Head of Safeguarding`, `${SAM},${'B'.repeat(201)}`), 3, 'job_title', 'longer than 200');
    expect(checkDirectoryCsv(csv(`${HEADER},job_title`, `${HEAD},${'B'.repeat(200)}`), CONTEXT).ok).toBe(true);
  });

  it('a row with more fields than the header', () => {
    expectOnlyProblem(csv(HEADER, HEAD, 'Okafor, Tom,tom@trust.example.nhs.uk,Nursing,,head@trust.example.nhs.uk', SAM), 3, 'row', 'expected 5 fields as in the header, found 6');
  });

  it('a file with a header but no data rows', () => {
    expectOnlyProblem(csv(HEADER, '', ''), 1, 'file', 'no data rows');
  });

  it('an empty file', () => {
    expectOnlyProblem('', 1, 'file', 'the file is empty');
  });

  it('a file that is not parseable CSV, reporting the line', () => {
    const problem = expectOnlyProblem(
      csv(HEADER, HEAD, 'Tom "Tommy" Okafor,tom@trust.example.nhs.uk,Nursing,,head@trust.example.nhs.uk', SAM),
      3,
      'csv',
      'not readable as CSV',
    );
    expect(problem.code).toBe('CSV_UNPARSEABLE');
  });

  it('an unclosed quote, on the line where it opens', () => {
    expectOnlyProblem(fixture('bad-unclosed-quote.csv'), 4, 'csv', 'never closed');
  });

  it('reports every problem in the file, in line order', () => {
    const problems = problemsOf(checkDirectoryCsv(fixture('bad-many-problems.csv'), CONTEXT));
    expect(problems.map((p) => [p.line, p.field, p.code])).toEqual([
      [3, 'name', 'REQUIRED'],
      [4, 'roles', 'UNKNOWN_ROLE'],
      [4, 'line_manager_email', 'OWN_LINE_MANAGER'],
      [4, 'time_zone', 'INVALID_TIME_ZONE'],
      [5, 'slack_user_id', 'INVALID_SLACK_ID'],
    ]);
  });

  it('reports problems in rows csv-parse could read alongside the rows it could not', () => {
    const problems = problemsOf(
      checkDirectoryCsv(
        csv(HEADER, HEAD, 'Tom "T" Okafor,tom@trust.example.nhs.uk,Nursing,,head@trust.example.nhs.uk', 'Ann Lee,ann@trust.example.nhs.uk,Porters,,head@trust.example.nhs.uk'),
        CONTEXT,
      ),
    );
    expect(problems.map((p) => [p.line, p.field])).toEqual([
      [3, 'csv'],
      [4, 'staff_group'],
    ]);
  });

  it('validateDirectoryRows works on rows parsed elsewhere', () => {
    const result = validateDirectoryRows(
      { header: { line: 1, cells: HEADER.split(',') }, rows: [{ line: 2, cells: HEAD.split(',') }], problems: [] },
      CONTEXT,
    );
    expect(result.ok).toBe(true);
  });
});
