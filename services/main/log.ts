// Log lines of the gateway and party processes. TUTTI_LOG_FORMAT=text (default: what a person
// reads in `npm start`) or json: one JSON object per line, for a log pipeline:
//   {"time":"2026-…Z","level":"info","component":"gateway","msg":"…","requestId":"…", …}
// Every caller keeps the `(line) => void` shape; fields (request id, operation, outcome, …) are an
// optional second argument. A `request=<id>` in a text line (kms-api/app.ts) becomes `requestId`.
export type LogFormat = 'text' | 'json';
export type LogFields = Record<string, string | number | boolean | undefined>;
export type Log = (line: string, fields?: LogFields) => void;

export function parseLogFormat(v: string | undefined): LogFormat {
  if (v === undefined || v === '' || v === 'text') return 'text';
  if (v === 'json') return 'json';
  throw new Error(`TUTTI_LOG_FORMAT must be text or json, not ${JSON.stringify(v)}`);
}

const REQUEST_RE = /\brequest=([0-9a-f-]{36})\b/;

/** A log function for `component` writing to `write` (default stdout). */
export function createLog(component: string, format: LogFormat, write: (s: string) => void = (s) => void process.stdout.write(s)): Log {
  if (format === 'text') return (line) => write(line + '\n');
  return (line, fields = {}) => {
    const requestId = fields.requestId ?? REQUEST_RE.exec(line)?.[1];
    const level = fields.level ?? (/\b(failed|error|unexpected|refus)/i.test(line) ? 'warn' : 'info');
    write(JSON.stringify({ time: new Date().toISOString(), level, component, msg: line, ...fields, ...(requestId ? { requestId } : {}) }) + '\n');
  };
}
