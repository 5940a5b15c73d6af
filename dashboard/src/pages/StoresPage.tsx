import { useEffect, useState } from 'react';
import { Link, useNavigate } from '@tanstack/react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Button } from 'react-aria-components';
import { api } from '../api/client';
import { engines, phases, type StorePage } from '../api/types';
import { useAnnounce } from '../components/Announcer';
import { age, LiveIndicator, PhaseBadge } from '../components/Status';
import { useLive } from '../live';
import { queueText } from '../rules';
import { storesRoute } from '../router';
import { LaunchForm } from './LaunchForm';
import { useMe } from './Layout';

export function storesQuery(search: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const key of ['status', 'engine', 'name', 'owner'] as const) {
    if (search[key]) params.set(key, search[key]!);
  }
  if (search.token) params.set('continuationToken', search.token);
  params.set('limit', '20');
  return `/api/stores?${params}`;
}

export function StoresPage() {
  const search = storesRoute.useSearch();
  const navigate = useNavigate({ from: '/' });
  const client = useQueryClient();
  const announce = useAnnounce();
  const me = useMe();
  const stores = useQuery({ queryKey: ['stores', search], queryFn: () => api<StorePage>(storesQuery({ ...search })) });
  const live = useLive('/api/stores/stream',
    () => client.invalidateQueries({ queryKey: ['stores'] }),
    (store) => announce(`Store ${store.name} is now ${store.phase}`));
  const [name, setName] = useState(search.name ?? '');
  const [tokens, setTokens] = useState<string[]>([]);

  useEffect(() => {
    const timer = setTimeout(() => {
      const next = name.trim().toLowerCase() || undefined;
      if (next !== search.name) void navigate({ search: (s) => ({ ...s, name: next, token: undefined }) });
    }, 300);
    return () => clearTimeout(timer);
  }, [name, search.name, navigate]);

  const setFilter = (key: 'status' | 'engine' | 'owner', value: string) =>
    void navigate({ search: (s) => ({ ...s, [key]: value || undefined, token: undefined }) });
  const isAdmin = me.data?.isAdmin ?? false;

  return (
    <>
      {!isAdmin && <LaunchForm />}
      <section className="card" aria-labelledby="stores-title">
        <div className="row">
          <h1 id="stores-title">Stores</h1>
          <span className="spacer" />
          <LiveIndicator status={live} />
        </div>
        <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
          <label>Name <input type="search" value={name} onChange={(e) => setName(e.target.value)} placeholder="starts with…" /></label>
          <label>Status
            <select value={search.status ?? ''} onChange={(e) => setFilter('status', e.target.value)}>
              <option value="">Any</option>
              {phases.map((p) => <option key={p} value={p}>{p}</option>)}
            </select>
          </label>
          <label>Engine
            <select value={search.engine ?? ''} onChange={(e) => setFilter('engine', e.target.value)}>
              <option value="">Any</option>
              {engines.map((e) => <option key={e.id} value={e.id}>{e.label}</option>)}
            </select>
          </label>
          {isAdmin && (
            <label>Owner <input value={search.owner ?? ''} onChange={(e) => setFilter('owner', e.target.value)} /></label>
          )}
        </form>
        {stores.error && <p role="alert" className="alert">{(stores.error as Error).message}</p>}
        <table className="stores">
          <thead>
            <tr>
              <th scope="col">Name</th><th scope="col">Status</th><th scope="col">Engine</th><th scope="col">Plan</th>
              {isAdmin && <th scope="col">Owner</th>}<th scope="col">URL</th><th scope="col">Age</th>
            </tr>
          </thead>
          <tbody>
            {stores.data?.items.map((s) => (
              <tr key={s.id} data-store={s.id}>
                <td><Link to="/stores/$id" params={{ id: s.id }}>{s.name}</Link></td>
                <td>
                  <PhaseBadge phase={s.phase} />
                  {s.phase === 'Provisioning' && s.step && <span className="muted"> {s.step}</span>}
                  {s.phase === 'Queued' && s.queuePosition && <span className="muted"> {queueText(s.queuePosition)}</span>}
                </td>
                <td>{engines.find((e) => e.id === s.engine)?.label ?? s.engine}</td>
                <td>{s.plan}</td>
                {isAdmin && <td>{s.owner}</td>}
                <td>{s.phase === 'Ready' && s.url ? <a href={s.url} target="_blank" rel="noreferrer">{s.url}</a> : '—'}</td>
                <td><time dateTime={s.createdAt}>{age(s.createdAt)}</time></td>
              </tr>
            ))}
          </tbody>
        </table>
        {stores.data && stores.data.items.length === 0 && <p className="muted">No stores match.</p>}
        <div className="row">
          <Button className="button" isDisabled={tokens.length === 0}
            onPress={() => {
              const previous = tokens.slice(0, -1);
              setTokens(previous);
              void navigate({ search: (s) => ({ ...s, token: previous[previous.length - 1] }) });
            }}>Previous page</Button>
          <Button className="button" isDisabled={!stores.data?.continuationToken}
            onPress={() => {
              const token = stores.data!.continuationToken!;
              setTokens([...tokens, token]);
              void navigate({ search: (s) => ({ ...s, token }) });
            }}>Next page</Button>
        </div>
      </section>
    </>
  );
}
