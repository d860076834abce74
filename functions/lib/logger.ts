/**
 * The functions' structured logger: one JSON object a line, in the shape Powertools Logger
 * writes (level, message, timestamp, service, xray_trace_id, function_request_id, then the
 * attributes), so log queries written for Powertools keep working. Powertools itself cost
 * every cold start ~20 KB of code and `node:console` (docs/lambda-cold-start.md) for the four
 * calls the handlers make.
 */

export type LogAttributes = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, attributes?: LogAttributes): void;
  info(message: string, attributes?: LogAttributes): void;
  warn(message: string, attributes?: LogAttributes): void;
  error(message: string, attributes?: LogAttributes): void;
  /** The invocation the next lines belong to (`context.awsRequestId`); null between invocations. */
  setRequestId(id: string | null): void;
}

const LEVELS = { TRACE: 6, DEBUG: 8, INFO: 12, WARN: 16, ERROR: 20, CRITICAL: 24, SILENT: 28 } as const;
type LevelName = keyof typeof LEVELS;

export interface LoggerOptions {
  readonly serviceName: string;
  /** @default the env's POWERTOOLS_LOG_LEVEL, AWS_LAMBDA_LOG_LEVEL or LOG_LEVEL, else INFO */
  readonly level?: string;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default a line to stdout */
  readonly write?: (line: string) => void;
  /** @default the current time */
  readonly now?: () => Date;
}

function levelOf(name: string | undefined): number {
  const upper = (name ?? '').toUpperCase();
  return upper in LEVELS ? LEVELS[upper as LevelName] : LEVELS.INFO;
}

/** Errors (and their causes) as Powertools shows them: name, location, message, stack. */
function serializeError(e: Error, depth = 0): Record<string, unknown> {
  const location = /\((.*):(\d+):(\d+)\)/.exec(e.stack?.split('\n')[1] ?? '');
  const out: Record<string, unknown> = {
    name: e.name,
    location: location ? `${location[1]}:${location[2]}` : '',
    message: e.message,
    stack: e.stack,
  };
  const code = (e as { code?: unknown }).code;
  if (code !== undefined) out['code'] = code;
  if (e.cause !== undefined && depth < 5) {
    out['cause'] = e.cause instanceof Error ? serializeError(e.cause, depth + 1) : e.cause;
  }
  return out;
}

const replacer = (_key: string, value: unknown) => {
  if (value instanceof Error) return serializeError(value);
  if (typeof value === 'bigint') return value.toString();
  return value;
};

export function createLogger(options: LoggerOptions): Logger {
  const env = options.env ?? process.env;
  const threshold = levelOf(
    options.level ?? env['POWERTOOLS_LOG_LEVEL'] ?? env['AWS_LAMBDA_LOG_LEVEL'] ?? env['LOG_LEVEL'],
  );
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  let requestId: string | null = null;
  const log = (level: LevelName, message: string, attributes: LogAttributes = {}) => {
    if (LEVELS[level] < threshold) return;
    const trace = /Root=([^;]+)/.exec(env['_X_AMZN_TRACE_ID'] ?? '')?.[1];
    const line: Record<string, unknown> = {
      level,
      message,
      timestamp: now().toISOString(),
      service: options.serviceName,
      ...(requestId ? { function_request_id: requestId } : {}),
      ...(trace ? { xray_trace_id: trace } : {}),
      ...attributes,
    };
    try {
      write(JSON.stringify(line, replacer));
    } catch (e) {
      // an attribute that cannot be serialized (a cycle) must not fail the invocation
      write(
        JSON.stringify({
          level,
          message,
          timestamp: line['timestamp'],
          service: options.serviceName,
          logError: String(e),
        }),
      );
    }
  };
  return {
    debug: (m, a) => log('DEBUG', m, a),
    info: (m, a) => log('INFO', m, a),
    warn: (m, a) => log('WARN', m, a),
    error: (m, a) => log('ERROR', m, a),
    setRequestId: (id) => {
      requestId = id;
    },
  };
}
