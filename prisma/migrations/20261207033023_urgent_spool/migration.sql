-- CreateTable
CREATE TABLE "SpooledReport" (
    "id" TEXT NOT NULL,
    "organisationId" TEXT,
    "platform" "Platform" NOT NULL,
    "platformUserId" TEXT NOT NULL,
    "tenantId" TEXT,
    "receivedAt" TIMESTAMPTZ(3) NOT NULL,
    "replayedAt" TIMESTAMPTZ(3) NOT NULL,
    "status" TEXT NOT NULL,
    "reason" TEXT,
    "requestId" TEXT,
    "summary" TEXT,

    CONSTRAINT "SpooledReport_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "SpooledReport_organisationId_status_idx" ON "SpooledReport"("organisationId", "status");

-- AddForeignKey
ALTER TABLE "SpooledReport" ADD CONSTRAINT "SpooledReport_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;
