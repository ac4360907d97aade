import pino, { type Logger } from 'pino';

/** Never logged, whatever a log call is handed: credentials travel in these places. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.accessToken',
  '*.access_token',
  // Weibo's OAuth code where an input or body could carry it (not `*.code`: that would blank
  // every error's code, ECONNREFUSED and ER_DUP_ENTRY alike).
  'input.code',
  'body.code',
  'req.body.code',
  'req.query.code',
  '*.ticket',
  '*.token',
  '*.clientSecret',
  '*.jwtSecret',
];

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** Fastify's request line, less the query string: on the `/weibo` page it holds Weibo's `code`
 * and the `state`, and a client that sends a mutation as a GET puts its input (a password) there. */
function requestWithoutQuery(req: LoggedRequest) {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  return {
    method: req.method,
    url: query < 0 ? url : `${url.slice(0, query)}?[redacted]`,
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/** JSON lines on stdout (CONTRACT §2 LOG_LEVEL). */
export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: { paths: REDACT, censor: '[redacted]' },
    serializers: { req: requestWithoutQuery },
    base: { service: 'weibo-login-api' },
  });
}
