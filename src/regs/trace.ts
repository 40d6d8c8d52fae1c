export type TraceListener<E> = (event: E) => void;

/**
 * A typed trace channel, cheap when off: producers test `enabled` before building an event object
 * (QEMU's trace-events discipline), so an untraced access allocates nothing.
 */
export class Tracer<E> {
  #listeners: TraceListener<E>[] = [];

  get enabled(): boolean {
    return this.#listeners.length > 0;
  }

  /** Subscribes; returns the function that unsubscribes. */
  on(listener: TraceListener<E>): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  emit(event: E): void {
    for (const l of this.#listeners) l(event);
  }
}

/** What producers need: a flag to skip building events, and a way to deliver them. */
export interface TraceSink<E> {
  readonly enabled: boolean;
  emit(event: E): void;
}
