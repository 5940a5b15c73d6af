// What the dashboard offers for a store: the same rules the API applies, so a button is shown only when the
// API would accept it.
import type { Store } from './api/types';

/** The API retries a Failed store (POST /retry answers 409 otherwise, bar a provisioning ended by hand). */
export const canRetry = (store: Store): boolean => store.phase === 'Failed';

/** Deleting is offered until the store is Deleted; repeating a delete is harmless. */
export const canDelete = (store: Store): boolean => store.phase !== 'Deleted';

/** Only a Ready store, which people may be using, asks for its name to be typed before deleting. */
export const deleteNeedsName = (store: Store): boolean => store.phase === 'Ready';

/** What a delete removes, in the words of the dialog. */
export function whatGoes(store: Store): string[] {
  if (!store.holdsResources && store.phase === 'Failed') return ['the record of the store (nothing is left in the cluster)'];
  return [
    `the Helm release ${store.id}`,
    `the namespace ${store.id} and everything in it`,
    `the store's data: its database and uploaded files (persistent volumes)`,
  ];
}

export const isLive = (store: Store): boolean => store.phase === 'Queued' || store.phase === 'Provisioning' || store.phase === 'Deleting';

/** "2nd in line, 2 of 2 slots busy". */
export function queueText(position: number | null | undefined, busy?: number, slots?: number): string | null {
  if (!position) return null;
  const slotText = slots ? `, ${busy ?? slots} of ${slots} slots busy` : '';
  return `${ordinal(position)} in line${slotText}`;
}

export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}
