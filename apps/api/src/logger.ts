import pino, { type Logger } from 'pino';

/** Never logged, whatever a log call is handed: credentials travel in these places. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.accessToken',
  '*.access_token',
  '*.code',
  '*.ticket',
  '*.token',
  '*.clientSecret',
  '*.jwtSecret',
];

/** JSON lines on stdout (CONTRACT §2 LOG_LEVEL). */
export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'weibo-login-api' } });
}
