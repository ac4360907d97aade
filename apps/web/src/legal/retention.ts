/**
 * The figures the built-in terms and privacy policy state. They are the API's: a session lasts 7
 * days (apps/api sessions.service.ts SESSION_TTL_MS) and account events are deleted after
 * AUDIT_RETENTION_DAYS, 180 by default (CONTRACT §2). site.info does not report an operator's
 * own AUDIT_RETENTION_DAYS yet; an operator who changes it sets PRIVACY_URL to their own policy.
 */
export const SESSION_DAYS = 7;
export const DEFAULT_AUDIT_RETENTION_DAYS = 180;
/** The date these texts were last changed, shown at their top. */
export const LEGAL_TEXTS_UPDATED = '2026-12-01';
