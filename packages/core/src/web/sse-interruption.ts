/**
 * Interruption for answers that stream. An upstream that opens its SSE response at once and then never sends the
 * result would otherwise hold the request (and the client) for ever: the deadline that covers the response
 * headers says nothing about the body, and a draining shutdown must end it too. When the request is interrupted
 * before its answer passed, the client gets the error as the stream's last event and the upstream stream is
 * cancelled (the interruption's owner aborts the upstream request, which cancels it there).
 */
import type { WardenError } from '../errors.js';

export interface SseInterruptionOptions {
  /** Resolves when the request is interrupted (its deadline passed, or the warden is shutting down). */
  interrupted: Promise<WardenError>;
  /** True once the answer to the request has passed (the stream may then run on, e.g. with nothing more). */
  answered: () => boolean;
  /** The SSE text of the error event the client gets in place of the answer. */
  errorEvent: (error: WardenError) => string;
  /** Called once, when the stream ends whichever way (the request is then over). */
  onEnd: () => void;
}

export function withSseInterruption(
  body: ReadableStream<Uint8Array>,
  options: SseInterruptionOptions,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const interrupted = options.interrupted.then((error) => ({ interrupted: error }));
  let finished = false;
  let interruptedError: WardenError | undefined;
  let pending: ReturnType<typeof reader.read> | undefined;
  const finish = () => {
    if (finished) return;
    finished = true;
    options.onEnd();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (finished) return;
      // One read in flight at a time: a read that lost the race to the interruption is kept for the next pull.
      pending ??= reader.read();
      let next = interruptedError ? await pending : await Promise.race([pending, interrupted]);
      if ('interrupted' in next) {
        interruptedError = next.interrupted;
        if (!options.answered()) {
          finish();
          controller.enqueue(new TextEncoder().encode(options.errorEvent(next.interrupted)));
          controller.close();
          await reader.cancel().catch(() => undefined);
          return;
        }
        next = await pending; // answered in time: the rest flows on
      }
      pending = undefined;
      if (next.done) {
        finish();
        controller.close();
        return;
      }
      controller.enqueue(next.value);
    },
    async cancel(reason) {
      finish();
      await reader.cancel(reason);
    },
  });
}
