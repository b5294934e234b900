/**
 * What of an error may be logged. Driver errors carry the SQL with its parameters (message
 * bodies, tokens), so only the error's kind, code and call stack are kept, never its message.
 */
export function safeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const { code, constraint, routine } = error as Error & { code?: string; constraint?: string; routine?: string };
  return {
    type: error.name,
    code,
    constraint,
    routine,
    stack: error.stack?.split('\n').slice(1, 8).join('\n'),
  };
}
