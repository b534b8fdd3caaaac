-- AlterTable
ALTER TABLE "OutboundMessage" ADD COLUMN     "replaces" TEXT;

-- AlterTable
ALTER TABLE "PostedCard" ADD COLUMN     "appliedSeq" BIGINT;
