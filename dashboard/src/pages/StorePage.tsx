import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { Button } from 'react-aria-components';
import { api } from '../api/client';
import type { AuditEvent, Info, Store } from '../api/types';
import { useAnnounce } from '../components/Announcer';
import { CauseCards } from '../components/CauseCards';
import { DeleteDialog } from '../components/DeleteDialog';
import { LiveIndicator, PhaseBadge } from '../components/Status';
import { Timeline } from '../components/Timeline';
import { useLive } from '../live';
import { canDelete, canRetry, queueText } from '../rules';
import { storeRoute } from '../router';

export function StorePage() {
  const { id } = storeRoute.useParams();
  const client = useQueryClient();
  const announce = useAnnounce();
  const store = useQuery({ queryKey: ['store', id], queryFn: () => api<Store>(`/api/stores/${id}`) });
  const events = useQuery({ queryKey: ['events', id], queryFn: () => api<{ items: AuditEvent[] }>(`/api/stores/${id}/events`) });
  const info = useQuery({ queryKey: ['info'], queryFn: () => api<Info>('/api/info'), staleTime: 60_000 });
  const live = useLive(`/api/stores/${id}/stream`,
    () => Promise.all([client.invalidateQueries({ queryKey: ['store', id] }), client.invalidateQueries({ queryKey: ['events', id] })]),
    (s) => announce(`Store ${s.name} is now ${s.phase}`));
  const act = useMutation({
    mutationFn: (action: 'retry' | 'delete') => api<{ store: Store }>(
      action === 'retry' ? `/api/stores/${id}/retry` : `/api/stores/${id}`, { method: action === 'retry' ? 'POST' : 'DELETE' }),
    onSuccess: ({ store: next }) => client.setQueryData(['store', id], next),
  });

  if (store.error) return <section className="card"><p role="alert" className="alert">{(store.error as Error).message}</p><Link to="/">Back to stores</Link></section>;
  if (!store.data) return <p className="muted">Loading…</p>;
  const s = store.data;
  const slots = info.data?.limits?.maxConcurrentProvisioning;

  return (
    <>
      <section className="card" aria-labelledby="store-title">
        <div className="row">
          <h1 id="store-title">{s.name}</h1>
          <PhaseBadge phase={s.phase} />
          <span className="spacer" />
          <LiveIndicator status={live} />
        </div>
        <dl className="facts">
          <dt>Engine</dt><dd>{s.engine}</dd>
          <dt>Plan</dt><dd>{s.plan}</dd>
          <dt>Owner</dt><dd>{s.owner}</dd>
          <dt>Attempt</dt><dd>{s.attempt}</dd>
          {s.phase === 'Ready' && s.url && <><dt>Store</dt><dd><a href={s.url} target="_blank" rel="noreferrer">{s.url}</a></dd></>}
          {s.phase === 'Ready' && s.adminUrl && <><dt>Admin</dt><dd><a href={s.adminUrl} target="_blank" rel="noreferrer">{s.adminUrl}</a></dd></>}
        </dl>
        {(s.phase === 'Provisioning' || s.phase === 'Queued' || s.phase === 'Deleting') && (
          <div className="progress">
            <label htmlFor="progress">{s.phase === 'Queued' ? 'Waiting for a provisioning slot' : `Step: ${s.step ?? '…'}`}</label>
            <progress id="progress" max={100} value={s.progress} aria-valuetext={`${s.progress}%, ${s.step ?? s.phase}`} />
            {s.phase === 'Queued' && s.queuePosition && <p data-testid="queue">{queueText(s.queuePosition, slots, slots)}</p>}
          </div>
        )}
        {s.phase === 'Failed' && s.lastError && <CauseCards lastError={s.lastError} />}
        {act.error && <p role="alert" className="alert">{(act.error as Error).message}</p>}
        <div className="row">
          {canRetry(s) && <Button className="button primary" isDisabled={act.isPending} onPress={() => act.mutate('retry')}>Retry</Button>}
          {canDelete(s) && <DeleteDialog store={s} busy={act.isPending} onDelete={() => act.mutate('delete')} />}
          <Link to="/">Back to stores</Link>
        </div>
      </section>
      <section className="card" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        {events.data ? <Timeline events={events.data.items} /> : <p className="muted">Loading…</p>}
      </section>
    </>
  );
}
