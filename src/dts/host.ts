/**
 * What a compiler host answers for a path: the bytes, `undefined` when there is no file there (the search
 * goes on to the next directory), or a refusal when there is one the host will not read (a device such as
 * /dev/zero, a directory, a file past the size limit). A refusal ends the search with its reason, as dtc and
 * cpp stop at the first candidate they can open and then fail on it.
 */
export interface HostRefusal {
  /** Why, in the words that follow `Couldn't open "NAME": ` (e.g. "not a regular file"). */
  readonly refused: string;
}

export type HostRead<T> = T | HostRefusal | undefined;

export const isRefusal = (v: unknown): v is HostRefusal =>
  typeof v === 'object' && v !== null && 'refused' in v && typeof v.refused === 'string';
