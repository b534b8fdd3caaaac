-- CreateEnum
CREATE TYPE "ContactKind" AS ENUM ('SUPERVISION_INBOX', 'DUTY_LINE', 'OUT_OF_HOURS_LINE', 'EMERGENCY_DUTY_TEAM', 'EMERGENCY_SERVICES', 'STAFF_SUPPORT');

-- CreateEnum
CREATE TYPE "Platform" AS ENUM ('TEAMS', 'SLACK');

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('STAFF', 'SUPERVISOR', 'SPECIALIST', 'HEAD_OF_SAFEGUARDING', 'LINE_MANAGER', 'ADMINISTRATOR');

-- CreateEnum
CREATE TYPE "SupervisionFormat" AS ENUM ('INDIVIDUAL', 'GROUP');

-- CreateEnum
CREATE TYPE "RequirementKind" AS ENUM ('MANDATORY', 'ON_REQUEST');

-- CreateEnum
CREATE TYPE "SupervisorPool" AS ENUM ('SAFEGUARDING_SPECIALISTS', 'EXTERNAL_PROVIDER', 'NAMED_SUPERVISORS');

-- CreateEnum
CREATE TYPE "HelpType" AS ENUM ('ADVICE', 'SESSION', 'CHILD_DEATH', 'EMOTIONAL_IMPACT');

-- CreateEnum
CREATE TYPE "RequestRoute" AS ENUM ('ADVICE', 'SUPERVISION');

-- CreateEnum
CREATE TYPE "Urgency" AS ENUM ('URGENT', 'ROUTINE');

-- CreateEnum
CREATE TYPE "FormatPreference" AS ENUM ('INDIVIDUAL', 'GROUP', 'EITHER');

-- CreateEnum
CREATE TYPE "RequestStatus" AS ENUM ('OPEN', 'CLAIMED', 'ADVICE_GIVEN', 'SESSION_REQUESTED', 'BOOKED', 'CLOSED');

-- CreateEnum
CREATE TYPE "RequestOutcome" AS ENUM ('ADVICE_GIVEN', 'SESSION_BOOKED', 'REFERRED_ELSEWHERE', 'NO_FURTHER_ACTION', 'WITHDRAWN', 'DUPLICATE');

-- CreateEnum
CREATE TYPE "AdviceFeedback" AS ENUM ('HELPED', 'WANTS_SESSION');

-- CreateEnum
CREATE TYPE "SupervisionType" AS ENUM ('MANDATORY', 'ON_REQUEST', 'CHILD_DEATH');

-- CreateEnum
CREATE TYPE "SessionStatus" AS ENUM ('PROPOSED', 'CONFIRMED', 'DECLINED', 'CANCELLED', 'COMPLETED');

-- CreateEnum
CREATE TYPE "Attendance" AS ENUM ('ATTENDED', 'DID_NOT_ATTEND', 'APOLOGIES');

-- CreateEnum
CREATE TYPE "AgreementKind" AS ENUM ('INDIVIDUAL', 'GROUP', 'GROUP_ATTENDANCE', 'CONTRACT');

-- CreateEnum
CREATE TYPE "AgreementStatus" AS ENUM ('AWAITING_SIGNATURES', 'SIGNED', 'SUPERSEDED');

-- CreateEnum
CREATE TYPE "RecordKind" AS ENUM ('SESSION', 'ADVICE');

-- CreateEnum
CREATE TYPE "RecordStatus" AS ENUM ('DRAFT', 'AWAITING_SIGNATURES', 'SIGNED');

-- CreateEnum
CREATE TYPE "ReflectiveModel" AS ENUM ('SBAR', 'REFLECTIVE_CYCLE', 'APIR', 'STRENGTHENING_FAMILIES');

-- CreateEnum
CREATE TYPE "ActionPointKind" AS ENUM ('NO_FURTHER_ACTION', 'TRAINING_NEED', 'SEEK_FURTHER_GUIDANCE', 'SIGNPOSTED_TO_SUPPORT', 'FOLLOW_UP_SUPERVISION', 'SAFEGUARDING_REFERRAL', 'ESCALATION');

-- CreateEnum
CREATE TYPE "ActionPointStatus" AS ENUM ('OPEN', 'DONE');

-- CreateEnum
CREATE TYPE "ReminderKind" AS ENUM ('SESSION_DAY_BEFORE', 'SESSION_HOUR_BEFORE', 'MANDATORY_DUE', 'MANDATORY_OVERDUE', 'ACTION_DUE_SOON', 'ACTION_DUE', 'ACTION_OVERDUE', 'RECORD_OVERDUE', 'REQUEST_UNCLAIMED', 'REQUEST_ESCALATED', 'AGREEMENT_UNSIGNED', 'CONTRACT_REVIEW', 'REBOOK_AFTER_CANCELLATION', 'LINE_MANAGER_NON_ATTENDANCE', 'LINE_MANAGER_OVERDUE');

-- CreateEnum
CREATE TYPE "ReminderStatus" AS ENUM ('PENDING', 'SENT', 'FAILED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "ConversationKind" AS ENUM ('PERSONAL', 'CHANNEL', 'GROUP');

-- CreateTable
CREATE TABLE "Organisation" (
    "id" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "timeZone" TEXT NOT NULL DEFAULT 'Europe/London',
    "referencePrefix" TEXT NOT NULL DEFAULT 'SGS',
    "teamsTenantId" TEXT,
    "slackTeamId" TEXT,
    "serviceHours" JSONB NOT NULL,
    "responseTargets" JSONB NOT NULL,
    "settings" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Organisation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrganisationContact" (
    "id" TEXT NOT NULL,
    "organisationId" TEXT NOT NULL,
    "kind" "ContactKind" NOT NULL,
    "label" TEXT NOT NULL,
    "phone" TEXT,
    "email" TEXT,
    "url" TEXT,
    "availability" TEXT,
    "sortOrder" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "OrganisationContact_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TriageChannel" (
    "id" TEXT NOT NULL,
    "organisationId" TEXT NOT NULL,
    "platform" "Platform" NOT NULL,
    "conversationId" TEXT NOT NULL,
    "name" TEXT,
    "boundById" TEXT NOT NULL,
    "boundAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TriageChannel_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Person" (
    "id" TEXT NOT NULL,
    "organisationId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "jobTitle" TEXT,
    "roles" "Role"[],
    "staffGroupId" TEXT,
    "lineManagerId" TEXT,
    "timeZone" TEXT,
    "quietHoursStart" TEXT,
    "quietHoursEnd" TEXT,
    "reasonableAdjustments" TEXT,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Person_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PlatformIdentity" (
    "id" TEXT NOT NULL,
    "personId" TEXT NOT NULL,
    "platform" "Platform" NOT NULL,
    "tenantId" TEXT NOT NULL,
    "platformUserId" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PlatformIdentity_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StaffGroup" (
    "id" TEXT NOT NULL,
    "organisationId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StaffGroup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SupervisionRequirement" (
    "id" TEXT NOT NULL,
    "staffGroupId" TEXT NOT NULL,
    "kind" "RequirementKind" NOT NULL,
    "format" "SupervisionFormat" NOT NULL,
    "supervisorPool" "SupervisorPool" NOT NULL,
    "sessionsPerYear" INTEGER,
    "intervalMonths" INTEGER,
    "durationMinutes" INTEGER NOT NULL,
    "typicalGroupSize" INTEGER,

    CONSTRAINT "SupervisionRequirement_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SupervisorPoolMember" (
    "requirementId" TEXT NOT NULL,
    "personId" TEXT NOT NULL,

    CONSTRAINT "SupervisorPoolMember_pkey" PRIMARY KEY ("requirementId","personId")
);

-- CreateTable
CREATE TABLE "ReferenceCounter" (
    "organisationId" TEXT NOT NULL,
    "year" INTEGER NOT NULL,
    "lastValue" INTEGER NOT NULL,

    CONSTRAINT "ReferenceCounter_pkey" PRIMARY KEY ("organisationId","year")
);

-- CreateTable
CREATE TABLE "SupervisionRequest" (
    "id" TEXT NOT NULL,
    "organisationId" TEXT NOT NULL,
    "reference" TEXT NOT NULL,
    "requesterId" TEXT NOT NULL,
    "platform" "Platform" NOT NULL,
    "immediateRisk" BOOLEAN NOT NULL,
    "urgency" "Urgency" NOT NULL,
    "helpType" "HelpType",
    "route" "RequestRoute" NOT NULL,
    "format" "FormatPreference",
    "availability" TEXT,
    "adjustments" TEXT,
    "summary" TEXT,
    "identifierWarnings" TEXT[],
    "status" "RequestStatus" NOT NULL DEFAULT 'OPEN',
    "staffGroupName" TEXT,
    "claimedById" TEXT,
    "claimedAt" TIMESTAMPTZ(3),
    "firstResponseAt" TIMESTAMPTZ(3),
    "adviceFeedback" "AdviceFeedback",
    "closedById" TEXT,
    "closedAt" TIMESTAMPTZ(3),
    "outcome" "RequestOutcome",
    "lastResurfacedAt" TIMESTAMPTZ(3),
    "escalatedAt" TIMESTAMPTZ(3),
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "SupervisionRequest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RequestDraft" (
    "id" TEXT NOT NULL,
    "personId" TEXT NOT NULL,
    "step" TEXT NOT NULL,
    "data" JSONB NOT NULL DEFAULT '{}',
    "requestId" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "RequestDraft_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PostedCard" (
    "id" TEXT NOT NULL,
    "subjectType" TEXT NOT NULL,
    "subjectId" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "platform" "Platform" NOT NULL,
    "conversationId" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "PostedCard_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL,
    "organisationId" TEXT NOT NULL,
    "requestId" TEXT,
    "format" "SupervisionFormat" NOT NULL,
    "type" "SupervisionType" NOT NULL,
    "status" "SessionStatus" NOT NULL DEFAULT 'PROPOSED',
    "supervisorId" TEXT NOT NULL,
    "proposedById" TEXT NOT NULL,
    "startsAt" TIMESTAMPTZ(3),
    "endsAt" TIMESTAMPTZ(3),
    "durationMinutes" INTEGER NOT NULL,
    "venue" TEXT,
    "onlineLink" TEXT,
    "capacity" INTEGER NOT NULL DEFAULT 1,
    "cancelReason" TEXT,
    "cancelledById" TEXT,
    "cancelledAt" TIMESTAMPTZ(3),
    "rebookBy" TIMESTAMPTZ(3),
    "version" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SessionSlot" (
    "id" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "startsAt" TIMESTAMPTZ(3) NOT NULL,
    "endsAt" TIMESTAMPTZ(3) NOT NULL,
    "chosen" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "SessionSlot_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SessionAttendee" (
    "sessionId" TEXT NOT NULL,
    "personId" TEXT NOT NULL,
    "attendance" "Attendance",
    "addedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SessionAttendee_pkey" PRIMARY KEY ("sessionId","personId")
);

-- CreateTable
CREATE TABLE "SessionEvent" (
    "id" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "actorId" TEXT NOT NULL,
    "fromStatus" "SessionStatus",
    "toStatus" "SessionStatus" NOT NULL,
    "note" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SessionEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AgreementTemplate" (
    "id" TEXT NOT NULL,
    "organisationId" TEXT NOT NULL,
    "kind" "AgreementKind" NOT NULL,
    "version" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AgreementTemplate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Agreement" (
    "id" TEXT NOT NULL,
    "templateId" TEXT NOT NULL,
    "sessionId" TEXT,
    "supervisorId" TEXT NOT NULL,
    "status" "AgreementStatus" NOT NULL DEFAULT 'AWAITING_SIGNATURES',
    "reviewDue" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Agreement_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AgreementParty" (
    "agreementId" TEXT NOT NULL,
    "personId" TEXT NOT NULL,

    CONSTRAINT "AgreementParty_pkey" PRIMARY KEY ("agreementId","personId")
);

-- CreateTable
CREATE TABLE "Signature" (
    "id" TEXT NOT NULL,
    "personId" TEXT NOT NULL,
    "agreementId" TEXT,
    "recordId" TEXT,
    "signedVersion" INTEGER NOT NULL,
    "platform" "Platform" NOT NULL,
    "signedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Signature_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SupervisionRecord" (
    "id" TEXT NOT NULL,
    "organisationId" TEXT NOT NULL,
    "kind" "RecordKind" NOT NULL,
    "sessionId" TEXT,
    "requestId" TEXT,
    "supervisorId" TEXT NOT NULL,
    "format" "SupervisionFormat" NOT NULL,
    "type" "SupervisionType" NOT NULL,
    "status" "RecordStatus" NOT NULL DEFAULT 'DRAFT',
    "content" TEXT,
    "reflectiveModel" "ReflectiveModel",
    "reflectiveNotes" JSONB,
    "themes" TEXT,
    "escalation" TEXT,
    "superviseeToldFirst" BOOLEAN,
    "version" INTEGER NOT NULL DEFAULT 1,
    "dueAt" TIMESTAMPTZ(3),
    "completedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "SupervisionRecord_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RecordSubject" (
    "recordId" TEXT NOT NULL,
    "personId" TEXT NOT NULL,

    CONSTRAINT "RecordSubject_pkey" PRIMARY KEY ("recordId","personId")
);

-- CreateTable
CREATE TABLE "RecordAmendment" (
    "id" TEXT NOT NULL,
    "recordId" TEXT NOT NULL,
    "fromVersion" INTEGER NOT NULL,
    "toVersion" INTEGER NOT NULL,
    "changedById" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "previous" JSONB NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RecordAmendment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ActionPoint" (
    "id" TEXT NOT NULL,
    "recordId" TEXT NOT NULL,
    "ordinal" INTEGER NOT NULL,
    "description" TEXT NOT NULL,
    "kind" "ActionPointKind" NOT NULL,
    "ownerId" TEXT NOT NULL,
    "dueOn" DATE NOT NULL,
    "sharing" TEXT,
    "status" "ActionPointStatus" NOT NULL DEFAULT 'OPEN',
    "doneAt" TIMESTAMPTZ(3),
    "doneById" TEXT,
    "doneNote" TEXT,

    CONSTRAINT "ActionPoint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Reminder" (
    "id" TEXT NOT NULL,
    "organisationId" TEXT NOT NULL,
    "kind" "ReminderKind" NOT NULL,
    "subjectType" TEXT NOT NULL,
    "subjectId" TEXT NOT NULL,
    "recipientKey" TEXT NOT NULL,
    "recipientId" TEXT,
    "dueAt" TIMESTAMPTZ(3) NOT NULL,
    "sendAt" TIMESTAMPTZ(3) NOT NULL,
    "urgent" BOOLEAN NOT NULL DEFAULT false,
    "status" "ReminderStatus" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "platform" "Platform",
    "platformMessageId" TEXT,
    "sentAt" TIMESTAMPTZ(3),
    "failedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Reminder_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" BIGSERIAL NOT NULL,
    "organisationId" TEXT NOT NULL,
    "actorId" TEXT,
    "action" TEXT NOT NULL,
    "subjectType" TEXT NOT NULL,
    "subjectId" TEXT NOT NULL,
    "platform" "Platform",
    "detail" JSONB,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ConversationReference" (
    "id" TEXT NOT NULL,
    "platform" "Platform" NOT NULL,
    "conversationId" TEXT NOT NULL,
    "kind" "ConversationKind" NOT NULL,
    "tenantId" TEXT NOT NULL,
    "personId" TEXT,
    "reference" JSONB NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ConversationReference_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProcessedDelivery" (
    "key" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProcessedDelivery_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE UNIQUE INDEX "Organisation_slug_key" ON "Organisation"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "Organisation_teamsTenantId_key" ON "Organisation"("teamsTenantId");

-- CreateIndex
CREATE UNIQUE INDEX "Organisation_slackTeamId_key" ON "Organisation"("slackTeamId");

-- CreateIndex
CREATE INDEX "OrganisationContact_organisationId_kind_idx" ON "OrganisationContact"("organisationId", "kind");

-- CreateIndex
CREATE UNIQUE INDEX "TriageChannel_organisationId_platform_key" ON "TriageChannel"("organisationId", "platform");

-- CreateIndex
CREATE INDEX "Person_lineManagerId_idx" ON "Person"("lineManagerId");

-- CreateIndex
CREATE INDEX "Person_staffGroupId_idx" ON "Person"("staffGroupId");

-- CreateIndex
CREATE UNIQUE INDEX "Person_organisationId_email_key" ON "Person"("organisationId", "email");

-- CreateIndex
CREATE INDEX "PlatformIdentity_personId_idx" ON "PlatformIdentity"("personId");

-- CreateIndex
CREATE UNIQUE INDEX "PlatformIdentity_platform_tenantId_platformUserId_key" ON "PlatformIdentity"("platform", "tenantId", "platformUserId");

-- CreateIndex
CREATE UNIQUE INDEX "StaffGroup_organisationId_name_key" ON "StaffGroup"("organisationId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "SupervisionRequirement_staffGroupId_kind_format_key" ON "SupervisionRequirement"("staffGroupId", "kind", "format");

-- CreateIndex
CREATE UNIQUE INDEX "SupervisionRequest_reference_key" ON "SupervisionRequest"("reference");

-- CreateIndex
CREATE INDEX "SupervisionRequest_organisationId_status_createdAt_idx" ON "SupervisionRequest"("organisationId", "status", "createdAt");

-- CreateIndex
CREATE INDEX "SupervisionRequest_requesterId_status_idx" ON "SupervisionRequest"("requesterId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "RequestDraft_personId_key" ON "RequestDraft"("personId");

-- CreateIndex
CREATE INDEX "PostedCard_subjectType_subjectId_idx" ON "PostedCard"("subjectType", "subjectId");

-- CreateIndex
CREATE UNIQUE INDEX "PostedCard_platform_conversationId_messageId_key" ON "PostedCard"("platform", "conversationId", "messageId");

-- CreateIndex
CREATE INDEX "Session_organisationId_status_startsAt_idx" ON "Session"("organisationId", "status", "startsAt");

-- CreateIndex
CREATE INDEX "Session_supervisorId_startsAt_idx" ON "Session"("supervisorId", "startsAt");

-- CreateIndex
CREATE INDEX "SessionSlot_sessionId_idx" ON "SessionSlot"("sessionId");

-- CreateIndex
CREATE INDEX "SessionAttendee_personId_idx" ON "SessionAttendee"("personId");

-- CreateIndex
CREATE INDEX "SessionEvent_sessionId_at_idx" ON "SessionEvent"("sessionId", "at");

-- CreateIndex
CREATE UNIQUE INDEX "AgreementTemplate_organisationId_kind_version_key" ON "AgreementTemplate"("organisationId", "kind", "version");

-- CreateIndex
CREATE INDEX "Agreement_sessionId_idx" ON "Agreement"("sessionId");

-- CreateIndex
CREATE INDEX "Agreement_status_reviewDue_idx" ON "Agreement"("status", "reviewDue");

-- CreateIndex
CREATE UNIQUE INDEX "Signature_agreementId_personId_signedVersion_key" ON "Signature"("agreementId", "personId", "signedVersion");

-- CreateIndex
CREATE UNIQUE INDEX "Signature_recordId_personId_signedVersion_key" ON "Signature"("recordId", "personId", "signedVersion");

-- CreateIndex
CREATE INDEX "SupervisionRecord_organisationId_kind_createdAt_idx" ON "SupervisionRecord"("organisationId", "kind", "createdAt");

-- CreateIndex
CREATE INDEX "SupervisionRecord_sessionId_idx" ON "SupervisionRecord"("sessionId");

-- CreateIndex
CREATE INDEX "SupervisionRecord_requestId_idx" ON "SupervisionRecord"("requestId");

-- CreateIndex
CREATE INDEX "SupervisionRecord_status_dueAt_idx" ON "SupervisionRecord"("status", "dueAt");

-- CreateIndex
CREATE INDEX "RecordSubject_personId_idx" ON "RecordSubject"("personId");

-- CreateIndex
CREATE INDEX "RecordAmendment_recordId_idx" ON "RecordAmendment"("recordId");

-- CreateIndex
CREATE INDEX "ActionPoint_ownerId_status_dueOn_idx" ON "ActionPoint"("ownerId", "status", "dueOn");

-- CreateIndex
CREATE INDEX "ActionPoint_status_dueOn_idx" ON "ActionPoint"("status", "dueOn");

-- CreateIndex
CREATE UNIQUE INDEX "ActionPoint_recordId_ordinal_key" ON "ActionPoint"("recordId", "ordinal");

-- CreateIndex
CREATE INDEX "Reminder_status_sendAt_idx" ON "Reminder"("status", "sendAt");

-- CreateIndex
CREATE INDEX "Reminder_subjectType_subjectId_idx" ON "Reminder"("subjectType", "subjectId");

-- CreateIndex
CREATE UNIQUE INDEX "Reminder_kind_subjectId_recipientKey_dueAt_key" ON "Reminder"("kind", "subjectId", "recipientKey", "dueAt");

-- CreateIndex
CREATE INDEX "AuditEvent_organisationId_at_idx" ON "AuditEvent"("organisationId", "at");

-- CreateIndex
CREATE INDEX "AuditEvent_subjectType_subjectId_at_idx" ON "AuditEvent"("subjectType", "subjectId", "at");

-- CreateIndex
CREATE INDEX "AuditEvent_actorId_at_idx" ON "AuditEvent"("actorId", "at");

-- CreateIndex
CREATE INDEX "ConversationReference_personId_platform_idx" ON "ConversationReference"("personId", "platform");

-- CreateIndex
CREATE UNIQUE INDEX "ConversationReference_platform_conversationId_key" ON "ConversationReference"("platform", "conversationId");

-- CreateIndex
CREATE INDEX "ProcessedDelivery_at_idx" ON "ProcessedDelivery"("at");

-- AddForeignKey
ALTER TABLE "OrganisationContact" ADD CONSTRAINT "OrganisationContact_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TriageChannel" ADD CONSTRAINT "TriageChannel_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TriageChannel" ADD CONSTRAINT "TriageChannel_boundById_fkey" FOREIGN KEY ("boundById") REFERENCES "Person"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Person" ADD CONSTRAINT "Person_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Person" ADD CONSTRAINT "Person_staffGroupId_fkey" FOREIGN KEY ("staffGroupId") REFERENCES "StaffGroup"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Person" ADD CONSTRAINT "Person_lineManagerId_fkey" FOREIGN KEY ("lineManagerId") REFERENCES "Person"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PlatformIdentity" ADD CONSTRAINT "PlatformIdentity_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StaffGroup" ADD CONSTRAINT "StaffGroup_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SupervisionRequirement" ADD CONSTRAINT "SupervisionRequirement_staffGroupId_fkey" FOREIGN KEY ("staffGroupId") REFERENCES "StaffGroup"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SupervisorPoolMember" ADD CONSTRAINT "SupervisorPoolMember_requirementId_fkey" FOREIGN KEY ("requirementId") REFERENCES "SupervisionRequirement"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SupervisorPoolMember" ADD CONSTRAINT "SupervisorPoolMember_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReferenceCounter" ADD CONSTRAINT "ReferenceCounter_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SupervisionRequest" ADD CONSTRAINT "SupervisionRequest_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SupervisionRequest" ADD CONSTRAINT "SupervisionRequest_requesterId_fkey" FOREIGN KEY ("requesterId") REFERENCES "Person"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SupervisionRequest" ADD CONSTRAINT "SupervisionRequest_claimedById_fkey" FOREIGN KEY ("claimedById") REFERENCES "Person"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SupervisionRequest" ADD CONSTRAINT "SupervisionRequest_closedById_fkey" FOREIGN KEY ("closedById") REFERENCES "Person"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RequestDraft" ADD CONSTRAINT "RequestDraft_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RequestDraft" ADD CONSTRAINT "RequestDraft_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "SupervisionRequest"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "SupervisionRequest"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_supervisorId_fkey" FOREIGN KEY ("supervisorId") REFERENCES "Person"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_proposedById_fkey" FOREIGN KEY ("proposedById") REFERENCES "Person"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_cancelledById_fkey" FOREIGN KEY ("cancelledById") REFERENCES "Person"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionSlot" ADD CONSTRAINT "SessionSlot_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "Session"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionAttendee" ADD CONSTRAINT "SessionAttendee_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "Session"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionAttendee" ADD CONSTRAINT "SessionAttendee_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionEvent" ADD CONSTRAINT "SessionEvent_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "Session"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SessionEvent" ADD CONSTRAINT "SessionEvent_actorId_fkey" FOREIGN KEY ("actorId") REFERENCES "Person"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AgreementTemplate" ADD CONSTRAINT "AgreementTemplate_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Agreement" ADD CONSTRAINT "Agreement_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "AgreementTemplate"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Agreement" ADD CONSTRAINT "Agreement_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "Session"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Agreement" ADD CONSTRAINT "Agreement_supervisorId_fkey" FOREIGN KEY ("supervisorId") REFERENCES "Person"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AgreementParty" ADD CONSTRAINT "AgreementParty_agreementId_fkey" FOREIGN KEY ("agreementId") REFERENCES "Agreement"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AgreementParty" ADD CONSTRAINT "AgreementParty_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Signature" ADD CONSTRAINT "Signature_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Signature" ADD CONSTRAINT "Signature_agreementId_fkey" FOREIGN KEY ("agreementId") REFERENCES "Agreement"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Signature" ADD CONSTRAINT "Signature_recordId_fkey" FOREIGN KEY ("recordId") REFERENCES "SupervisionRecord"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SupervisionRecord" ADD CONSTRAINT "SupervisionRecord_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SupervisionRecord" ADD CONSTRAINT "SupervisionRecord_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "Session"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SupervisionRecord" ADD CONSTRAINT "SupervisionRecord_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "SupervisionRequest"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SupervisionRecord" ADD CONSTRAINT "SupervisionRecord_supervisorId_fkey" FOREIGN KEY ("supervisorId") REFERENCES "Person"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RecordSubject" ADD CONSTRAINT "RecordSubject_recordId_fkey" FOREIGN KEY ("recordId") REFERENCES "SupervisionRecord"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RecordSubject" ADD CONSTRAINT "RecordSubject_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RecordAmendment" ADD CONSTRAINT "RecordAmendment_recordId_fkey" FOREIGN KEY ("recordId") REFERENCES "SupervisionRecord"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RecordAmendment" ADD CONSTRAINT "RecordAmendment_changedById_fkey" FOREIGN KEY ("changedById") REFERENCES "Person"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ActionPoint" ADD CONSTRAINT "ActionPoint_recordId_fkey" FOREIGN KEY ("recordId") REFERENCES "SupervisionRecord"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ActionPoint" ADD CONSTRAINT "ActionPoint_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "Person"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ActionPoint" ADD CONSTRAINT "ActionPoint_doneById_fkey" FOREIGN KEY ("doneById") REFERENCES "Person"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Reminder" ADD CONSTRAINT "Reminder_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Reminder" ADD CONSTRAINT "Reminder_recipientId_fkey" FOREIGN KEY ("recipientId") REFERENCES "Person"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AuditEvent" ADD CONSTRAINT "AuditEvent_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AuditEvent" ADD CONSTRAINT "AuditEvent_actorId_fkey" FOREIGN KEY ("actorId") REFERENCES "Person"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ConversationReference" ADD CONSTRAINT "ConversationReference_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE CASCADE ON UPDATE CASCADE;
