// Pushes the live streams into the query cache: the store page streams its store, the list page the caller's list.
import { useEffect, useState } from 'react';
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { openLive, type LiveStatus } from './api/sse';
import type { Store, StorePage } from './api/types';

export interface Arrival {
  id: string;
  phase: string;
  step: string | null | undefined;
  updatedAt: string;
  receivedAt: number;
}

declare global {
  interface Window {
    /** Each pushed store version as it reached the page (read by the browser tests to measure latency). */
    __urumiLive?: Arrival[];
  }
}

export function applyStore(client: QueryClient, store: Store): boolean {
  const previous = client.getQueryData<Store>(['store', store.id]);
  client.setQueryData(['store', store.id], store);
  let listed = false;
  client.setQueriesData<StorePage>({ queryKey: ['stores'] }, (page) => {
    if (!page || !page.items.some((s) => s.id === store.id)) return page;
    listed = true;
    return { ...page, items: page.items.map((s) => (s.id === store.id ? store : s)) };
  });
  if (!listed) void client.invalidateQueries({ queryKey: ['stores'] });
  if (previous?.phase !== store.phase) void client.invalidateQueries({ queryKey: ['me'] });
  if (previous?.step !== store.step || previous?.phase !== store.phase) {
    void client.invalidateQueries({ queryKey: ['events', store.id] });
  }
  (window.__urumiLive ??= []).push({
    id: store.id, phase: store.phase, step: store.step, updatedAt: store.updatedAt, receivedAt: Date.now(),
  });
  return previous?.phase !== undefined && previous.phase !== store.phase;
}

/** Streams <paramref name="path"/> into the cache; returns the connection's status for the page to show. */
export function useLive(path: string | null, poll: () => Promise<unknown>, onPhase?: (store: Store) => void): LiveStatus {
  const client = useQueryClient();
  const [status, setStatus] = useState<LiveStatus>('connecting');
  useEffect(() => {
    if (!path) return undefined;
    return openLive({
      path,
      poll,
      onStatus: setStatus,
      onEvent: (event) => {
        if (event.event !== 'store') return;
        const store = JSON.parse(event.data) as Store;
        if (applyStore(client, store)) onPhase?.(store);
      },
    });
    // The stream is opened once per path; poll and onPhase read current state through the cache.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [path, client]);
  return status;
}
