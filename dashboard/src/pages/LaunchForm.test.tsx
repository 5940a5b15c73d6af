import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createMemoryHistory, createRootRoute, createRoute, createRouter, Outlet, RouterProvider } from '@tanstack/react-router';
import { LaunchForm } from './LaunchForm';

// A mock API: /api/me answers alice's slots; POST /api/stores answers what the test queues.
function mockApi(answers: Response[]) {
  const posts: Request[] = [];
  vi.stubGlobal('fetch', vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(new URL(String(input), 'http://localhost'), init);
    if (request.url.endsWith('/api/me')) {
      return Response.json({ owner: 'alice', isAdmin: false, maxActiveStores: 3, activeStores: 1, freeSlots: 2 });
    }
    posts.push(request);
    await new Promise((r) => setTimeout(r, 20));
    return answers.shift() ?? Response.json({ store: { id: 'shop-1', name: 'shop' } }, { status: 202 });
  }));
  return posts;
}

function renderForm() {
  sessionStorage.setItem('urumi.key', 'alice-key');
  const root = createRootRoute({ component: () => <><LaunchForm /><Outlet /></> });
  const store = createRoute({ getParentRoute: () => root, path: '/stores/$id', component: () => <p>store page</p> });
  const router = createRouter({ routeTree: root.addChildren([store]), history: createMemoryHistory({ initialEntries: ['/'] }) });
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
}

const problem = (status: number, body: object, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/problem+json', ...headers } });

afterEach(() => vi.unstubAllGlobals());

describe('LaunchForm', { timeout: 20_000 }, () => {
  it("shows the owner's used and free slots", async () => {
    mockApi([]);
    renderForm();
    expect(await screen.findByText('1 of 3 store slots used, 2 free', {}, { timeout: 5000 })).toBeTruthy();
  });

  it('puts the API field error next to its field', async () => {
    mockApi([problem(400, { type: 'https://urumi.dev/problems/validation', title: 'The request is not valid', detail: 'name: bad.',
      errors: { name: ['must be a lowercase DNS label'] } })]);
    renderForm();
    await userEvent.type(await screen.findByLabelText('Store name'), 'Shop');
    await userEvent.click(screen.getByRole('button', { name: 'Launch' }));
    const message = await screen.findByText('must be a lowercase DNS label', {}, { timeout: 5000 });
    const field = screen.getByLabelText('Store name');
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(field.getAttribute('aria-describedby')).toContain(message.id);
  });

  it('counts down from Retry-After on 429 and keeps Launch disabled meanwhile', async () => {
    mockApi([problem(429, { title: 'Too many stores requested', detail: 'At most 5 store creations per 900 s.' }, { 'Retry-After': '7' })]);
    renderForm();
    await userEvent.type(await screen.findByLabelText('Store name'), 'shop');
    await userEvent.click(screen.getByRole('button', { name: 'Launch' }));
    expect((await screen.findByTestId('countdown', {}, { timeout: 5000 })).textContent).toBe('7');
    expect(screen.getByRole('button', { name: 'Launch' }).hasAttribute('disabled')).toBe(true);
    await waitFor(() => expect(screen.getByTestId('countdown').textContent).toBe('6'), { timeout: 2500 });
  });

  it('sends one Idempotency-Key for a double click and the same key again after a network failure', async () => {
    const posts = mockApi([new Response('', { status: 503 })]);
    renderForm();
    await userEvent.type(await screen.findByLabelText('Store name'), 'shop');
    await userEvent.dblClick(screen.getByRole('button', { name: 'Launch' }));
    await screen.findByRole('alert', {}, { timeout: 5000 });
    await userEvent.click(screen.getByRole('button', { name: 'Launch' }));
    await screen.findByText('store page', {}, { timeout: 5000 });
    expect(posts).toHaveLength(2);
    expect(posts[0].headers.get('Idempotency-Key')).toBeTruthy();
    expect(posts[1].headers.get('Idempotency-Key')).toBe(posts[0].headers.get('Idempotency-Key'));
    expect(posts[0].headers.get('x-functions-key')).toBe('alice-key');
  });
});
