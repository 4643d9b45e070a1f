/**
 * The request timeout for answers that stream. An upstream that opens its SSE response at once and then never
 * sends the result would otherwise hold the request (and the client) forever: the timeout that covers the
 * response headers says nothing about the body. When the deadline passes before the answer did, the client gets
 * the timeout error as the stream's last event, and `onExpire` aborts the upstream request (which cancels it).
 */
export interface SseDeadlineOptions {
  /** Milliseconds from now. */
  ms: number;
  /** True once the answer to the request has passed (the stream may then run on, e.g. with nothing more). */
  answered: () => boolean;
  /** The SSE text of the timeout error event. */
  errorEvent: () => string;
  /** Called once, when the deadline passes unanswered: abort the upstream request and record the timeout. */
  onExpire: () => void;
}

export function withSseDeadline(
  body: ReadableStream<Uint8Array>,
  options: SseDeadlineOptions,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let expired: (() => void) | undefined;
  const expiry = new Promise<'expired'>((resolve) => {
    expired = () => resolve('expired');
  });
  let finished = false;
  let deadlinePassed = false;
  let pending: ReturnType<typeof reader.read> | undefined;
  const finish = () => {
    finished = true;
    clearTimeout(timer);
  };
  return new ReadableStream<Uint8Array>({
    start() {
      timer = setTimeout(() => expired?.(), options.ms);
      // The deadline must not keep a process alive on its own.
      (timer as { unref?: () => void }).unref?.();
    },
    async pull(controller) {
      if (finished) return;
      // One read in flight at a time: a read that lost the race to the deadline is kept for the next pull.
      pending ??= reader.read();
      let next = deadlinePassed ? await pending : await Promise.race([pending, expiry]);
      if (next === 'expired') {
        deadlinePassed = true;
        if (!options.answered()) {
          finish();
          options.onExpire();
          controller.enqueue(new TextEncoder().encode(options.errorEvent()));
          controller.close();
          await reader.cancel().catch(() => undefined);
          return;
        }
        next = await pending; // answered in time: the rest flows without a deadline
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
