/** Errors of @atkd/jetstream: each names the server (without secrets), stream, subject or message. */
export class JetStreamError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JetStreamError';
  }
}

/** A message that is not an atkd record batch (bad Arrow bytes, missing headers): goes to the dead letters. */
export class BatchMessageError extends JetStreamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BatchMessageError';
  }
}

export function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
