// Server-Sent Events read with fetch (EventSource cannot send the key header): a parser, and one live connection
// per tab that reconnects with Last-Event-ID and falls back to polling when streaming keeps failing.
import { authHeaders } from './client';

export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

/** The event-stream format (WHATWG HTML, "Server-sent events"): feed it text as it arrives. */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private eventName = '';
  private pendingId: string | null = null;
  lastEventId: string | null;
  retry: number | null = null;

  constructor(lastEventId: string | null = null) {
    this.lastEventId = lastEventId;
  }

  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const events: SseEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (!match || (match[0] === '\r' && match.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  private line(line: string): SseEvent | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.eventName = value;
    else if (field === 'id' && !value.includes('\0')) this.pendingId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retry = Number(value);
    return null;
  }

  private dispatch(): SseEvent | null {
    if (this.pendingId !== null) this.lastEventId = this.pendingId;
    this.pendingId = null;
    const name = this.eventName || 'message';
    this.eventName = '';
    if (this.data.length === 0) return null;
    const event = { id: this.lastEventId, event: name, data: this.data.join('\n') };
    this.data = [];
    return event;
  }
}

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'polling' | 'closed';

export interface LiveOptions {
  path: string;
  onEvent: (event: SseEvent) => void;
  onStatus?: (status: LiveStatus) => void;
  /** Reads the state the stream would push (the GET endpoints); run every pollInterval while polling. */
  poll: () => Promise<unknown>;
  pollInterval?: number;
  /** Consecutive failed connections before falling back to polling. */
  maxFailures?: number;
  /** How long polling goes on before streaming is tried again. */
  streamRetryAfter?: number;
  fetchImpl?: typeof fetch;
  reconnectDelay?: (failures: number) => number;
}

let current: { close: () => void } | null = null;

/** Opens the tab's live connection, closing the one open before (one stream per tab). Returns its close. */
export function openLive(options: LiveOptions): () => void {
  current?.close();
  const connection = connect(options);
  current = connection;
  return () => {
    connection.close();
    if (current === connection) current = null;
  };
}

function connect(options: LiveOptions): { close: () => void } {
  const {
    path, onEvent, onStatus = () => {}, poll, pollInterval = 2000, maxFailures = 3, streamRetryAfter = 30000,
    fetchImpl = (...args) => fetch(...args), reconnectDelay = (n) => Math.min(1000 * 2 ** (n - 1), 8000),
  } = options;
  const abort = new AbortController();
  let closed = false;
  let lastEventId: string | null = null;
  let failures = 0;

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      abort.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    });

  async function streamOnce(): Promise<'ended' | 'refused'> {
    const headers = authHeaders({ Accept: 'text/event-stream' });
    if (lastEventId) headers.set('Last-Event-ID', lastEventId);
    const response = await fetchImpl(path, { headers, signal: abort.signal, cache: 'no-store' });
    if (response.status === 401 || response.status === 403 || response.status === 404) return 'refused';
    if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
    onStatus('live');
    failures = 0;
    const parser = new SseParser(lastEventId);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return 'ended';
      for (const event of parser.push(value)) {
        lastEventId = event.id;
        onEvent(event);
      }
    }
  }

  async function pollFor(ms: number) {
    onStatus('polling');
    const until = Date.now() + ms;
    while (!closed && Date.now() < until) {
      await poll().catch(() => undefined);
      await wait(pollInterval);
    }
  }

  (async () => {
    onStatus('connecting');
    while (!closed) {
      try {
        if ((await streamOnce()) === 'refused') break;
      } catch {
        if (closed) break;
      }
      failures += 1;
      if (failures >= maxFailures) {
        await pollFor(streamRetryAfter);
        failures = maxFailures - 1;
      } else {
        onStatus('reconnecting');
        await wait(reconnectDelay(failures));
      }
    }
    if (!closed) onStatus('closed');
  })();

  return {
    close: () => {
      closed = true;
      abort.abort();
    },
  };
}
