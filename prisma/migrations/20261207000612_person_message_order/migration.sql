-- CreateIndex
CREATE INDEX "OutboundMessage_personId_status_idx" ON "OutboundMessage"("personId", "status");
