/** The little the adapters log: retries, dead-lettering, client warnings. Nest's Logger and pino wrappers fit. */
export interface MessagingLogger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  log(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const write = (level: string, message: string, fields?: Record<string, unknown>): void => {
  process.stderr.write(`${JSON.stringify({ level, message, ...fields })}\n`);
};

/** Until the services pass their own logger: warnings and errors only, one JSON line each, on stderr. */
export const stderrMessagingLogger: MessagingLogger = {
  log: () => undefined,
  warn: (message, fields) => write('warn', message, fields),
  error: (message, fields) => write('error', message, fields),
};

export const silentMessagingLogger: MessagingLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };
