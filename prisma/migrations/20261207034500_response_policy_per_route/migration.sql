-- One response policy per route (issue 14). Before: "responseTargets" held the first-contact
-- targets {urgentMinutes, adviceMinutes, sessionMinutes} in service minutes, and "settings" the
-- unclaimed-request times on the wall clock (resurfaceUnclaimedAfterMinutes, default 60,
-- escalateUnclaimedAfterMinutes, default 240, urgent requests used a third of each, rounded up).
-- After: "responseTargets" = {urgent|advice|session: {targetMinutes, resurfaceAfterMinutes,
-- escalateAfterMinutes}}, every time in service minutes (src/domain/response-policy.ts), and the
-- two settings are gone. A trust's configured times carry over as service minutes, escalation
-- capped at the route's target and re-surfacing kept at least a minute before it (and at least 5).
-- The demo organisation with the demo's old values gets the demo's new ones (its session target
-- was 1,920 service minutes, commented "two working days" but four at 8-hour days).
-- Data only: no table changes. Rows not in the old shape are left as they are (the bot reads an
-- absent route or field as the policy default and names anything else it refuses at start).
WITH old AS (
  SELECT
    "id",
    "slug",
    ("responseTargets"->>'urgentMinutes')::numeric AS u,
    ("responseTargets"->>'adviceMinutes')::numeric AS a,
    ("responseTargets"->>'sessionMinutes')::numeric AS s,
    COALESCE(CASE WHEN jsonb_typeof("settings"->'resurfaceUnclaimedAfterMinutes') = 'number'
      THEN ("settings"->>'resurfaceUnclaimedAfterMinutes')::numeric END, 60) AS r,
    COALESCE(CASE WHEN jsonb_typeof("settings"->'escalateUnclaimedAfterMinutes') = 'number'
      THEN ("settings"->>'escalateUnclaimedAfterMinutes')::numeric END, 240) AS e
  FROM "Organisation"
  WHERE jsonb_typeof("responseTargets"->'urgentMinutes') = 'number'
    AND jsonb_typeof("responseTargets"->'adviceMinutes') = 'number'
    AND jsonb_typeof("responseTargets"->'sessionMinutes') = 'number'
), escalation AS (
  SELECT *,
    LEAST(CEIL(e / 3), u)::int AS ue,
    LEAST(e, a)::int AS ae,
    LEAST(e, s)::int AS se,
    CEIL(r / 3)::int AS ur
  FROM old
)
UPDATE "Organisation" AS o
SET
  "responseTargets" = CASE
    WHEN x."slug" = 'las-demo' AND x.u = 30 AND x.a = 240 AND x.s = 1920 AND x.r = 60 AND x.e = 240 THEN jsonb_build_object(
      'urgent', jsonb_build_object('targetMinutes', 30, 'resurfaceAfterMinutes', 10, 'escalateAfterMinutes', 30),
      'advice', jsonb_build_object('targetMinutes', 240, 'resurfaceAfterMinutes', 60, 'escalateAfterMinutes', 240),
      'session', jsonb_build_object('targetMinutes', 960, 'resurfaceAfterMinutes', 240, 'escalateAfterMinutes', 960))
    ELSE jsonb_build_object(
      'urgent', jsonb_build_object('targetMinutes', x.u::int, 'resurfaceAfterMinutes', GREATEST(5, LEAST(x.ur, x.ue - 1)), 'escalateAfterMinutes', x.ue),
      'advice', jsonb_build_object('targetMinutes', x.a::int, 'resurfaceAfterMinutes', GREATEST(5, LEAST(x.r::int, x.ae - 1)), 'escalateAfterMinutes', x.ae),
      'session', jsonb_build_object('targetMinutes', x.s::int, 'resurfaceAfterMinutes', GREATEST(5, LEAST(x.r::int, x.se - 1)), 'escalateAfterMinutes', x.se))
  END,
  "settings" = o."settings" - 'resurfaceUnclaimedAfterMinutes' - 'escalateUnclaimedAfterMinutes'
FROM escalation AS x
WHERE o."id" = x."id";
