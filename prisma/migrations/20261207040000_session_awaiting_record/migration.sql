-- A session that has ended waits for its record (issue 15): CONFIRMED → AWAITING_RECORD when it
-- ends (the scheduler's sweep), → COMPLETED once everyone has signed the record.
ALTER TYPE "SessionStatus" ADD VALUE 'AWAITING_RECORD' AFTER 'CONFIRMED';
