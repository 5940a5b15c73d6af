import { describe, expect, it, vi } from 'vitest';
import { openLive, SseParser, type LiveStatus } from './sse';

describe('SseParser', () => {
  it('parses events split across chunks, with ids, names, multi-line data and comments', () => {
    const parser = new SseParser();
    expect(parser.push('retry: 2000\n\n: heartbeat\n\nid: 5\nevent: st')).toEqual([]);
    const events = parser.push('ore\ndata: {"a":1}\ndata: two\r\n\r\ndata: no id\n\n');
    expect(events).toEqual([
      { id: '5', event: 'store', data: '{"a":1}\ntwo' },
      { id: '5', event: 'message', data: 'no id' },
    ]);
    expect(parser.retry).toBe(2000);
    expect(parser.lastEventId).toBe('5');
  });

  it('waits for the \\n after a \\r at the end of a chunk', () => {
    const parser = new SseParser();
    expect(parser.push('data: x\r')).toEqual([]);
    expect(parser.push('\n\r\n')).toEqual([{ id: null, event: 'message', data: 'x' }]);
  });
});

function streamResponse(chunks: string[], keepOpen = false): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
      if (!keepOpen) controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
};

describe('openLive', () => {
  it('reconnects with the last event id and never delivers an event twice', async () => {
    sessionStorage.setItem('urumi.key', 'k1');
    const requests: Headers[] = [];
    const fetchImpl = vi.fn(async (_: RequestInfo | URL, init?: RequestInit) => {
      requests.push(new Headers(init?.headers));
      return requests.length === 1
        ? streamResponse(['id: 1\nevent: store\ndata: a\n\nid: 2\nevent: store\ndata: b\n\n'])
        : streamResponse(['id: 3\nevent: store\ndata: c\n\n'], true);
    });
    const seen: string[] = [];
    const close = openLive({ path: '/s', fetchImpl, poll: async () => {}, onEvent: (e) => seen.push(e.data), reconnectDelay: () => 1 });
    await until(() => seen.length === 3);
    close();
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(requests[0].get('Last-Event-ID')).toBeNull();
    expect(requests[1].get('Last-Event-ID')).toBe('2');
    expect(requests[0].get('x-functions-key')).toBe('k1');
  });

  it('falls back to polling when streaming keeps failing', async () => {
    const statuses: LiveStatus[] = [];
    let polls = 0;
    const fetchImpl = vi.fn(async () => { throw new TypeError('network'); });
    const close = openLive({
      path: '/s', fetchImpl, onEvent: () => {}, onStatus: (s) => statuses.push(s), maxFailures: 2,
      reconnectDelay: () => 1, pollInterval: 5, poll: async () => { polls += 1; },
    });
    await until(() => polls >= 2);
    close();
    expect(statuses).toContain('reconnecting');
    expect(statuses).toContain('polling');
    expect(fetchImpl).toHaveBeenCalledTimes(2);
  });

  it('keeps one stream per tab: opening another closes the first', async () => {
    const signals: AbortSignal[] = [];
    const fetchImpl = vi.fn(async (_: RequestInfo | URL, init?: RequestInit) => {
      signals.push(init!.signal!);
      return streamResponse([], true);
    });
    const closeFirst = openLive({ path: '/a', fetchImpl, poll: async () => {}, onEvent: () => {} });
    await until(() => signals.length === 1);
    const closeSecond = openLive({ path: '/b', fetchImpl, poll: async () => {}, onEvent: () => {} });
    await until(() => signals.length === 2);
    expect(signals[0].aborted).toBe(true);
    expect(signals[1].aborted).toBe(false);
    closeSecond();
    closeFirst();
  });
});
