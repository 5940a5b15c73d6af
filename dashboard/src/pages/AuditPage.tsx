import { useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { Button, Dialog, DialogTrigger, Heading, Modal } from 'react-aria-components';
import { api, download } from '../api/client';
import type { AuditEvent } from '../api/types';
import { auditRoute, type AuditSearch } from '../router';
import { useMe } from './Layout';

export function auditQuery(search: AuditSearch, format?: 'csv' | 'ndjson'): string {
  const params = new URLSearchParams();
  for (const key of ['store', 'action', 'from', 'to'] as const) {
    if (search[key]) params.set(key, key === 'from' || key === 'to' ? new Date(search[key]!).toISOString() : search[key]!);
  }
  params.set('limit', '500');
  if (format) params.set('format', format);
  return `/api/audit?${params}`;
}

export function AuditPage() {
  const search = auditRoute.useSearch();
  const navigate = useNavigate({ from: '/audit' });
  const me = useMe();
  const audit = useQuery({ queryKey: ['audit', search], queryFn: () => api<{ items: AuditEvent[] }>(auditQuery(search)) });
  const [exportError, setExportError] = useState<string | null>(null);
  const set = (key: keyof AuditSearch, value: string) => void navigate({ search: (s) => ({ ...s, [key]: value || undefined }) });
  const save = (format: 'csv' | 'ndjson') =>
    download(auditQuery(search, format), `urumi-audit.${format}`).then(() => setExportError(null), (e: Error) => setExportError(e.message));

  return (
    <>
      <section className="card" aria-labelledby="audit-title">
        <h1 id="audit-title">Audit</h1>
        <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
          <label>Store <input value={search.store ?? ''} onChange={(e) => set('store', e.target.value)} /></label>
          <label>Action
            <select value={search.action ?? ''} onChange={(e) => set('action', e.target.value)}>
              <option value="">Any</option><option value="create">create</option><option value="retry">retry</option><option value="delete">delete</option>
            </select>
          </label>
          <label>From <input type="datetime-local" value={search.from ?? ''} onChange={(e) => set('from', e.target.value)} /></label>
          <label>To <input type="datetime-local" value={search.to ?? ''} onChange={(e) => set('to', e.target.value)} /></label>
        </form>
        <div className="row">
          <Button className="button" onPress={() => void save('csv')}>Export CSV</Button>
          <Button className="button" onPress={() => void save('ndjson')}>Export NDJSON</Button>
        </div>
        {exportError && <p role="alert" className="alert">{exportError}</p>}
        {audit.error && <p role="alert" className="alert">{(audit.error as Error).message}</p>}
        <table>
          <thead>
            <tr><th scope="col">When</th><th scope="col">Store</th><th scope="col">Action</th><th scope="col">What</th>
              <th scope="col">Outcome</th><th scope="col">Who</th><th scope="col">IP</th></tr>
          </thead>
          <tbody>
            {audit.data?.items.map((e, i) => (
              <tr key={i}>
                <td><time dateTime={e.at}>{new Date(e.at).toLocaleString()}</time></td>
                <td>{e.storeId}</td><td>{e.action}</td><td>{e.kind}{e.step ? `: ${e.step}` : ''}</td>
                <td title={e.error ?? undefined}>{e.outcome ?? ''}</td><td>{e.requestedBy}</td><td>{e.clientIp}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {me.data?.isAdmin && <PurgeForm />}
    </>
  );
}

function PurgeForm() {
  const [before, setBefore] = useState('');
  const purge = useMutation({
    mutationFn: () => api<{ purged: number }>(`/api/audit?before=${encodeURIComponent(new Date(before).toISOString())}`, { method: 'DELETE' }),
  });
  return (
    <section className="card" aria-labelledby="purge-title">
      <h2 id="purge-title">Purge old histories</h2>
      <p>Deletes the histories of finished operations created before a date. This cannot be undone.</p>
      <div className="row">
        <label>Before <input type="date" value={before} onChange={(e) => setBefore(e.target.value)} /></label>
        <DialogTrigger>
          <Button className="button danger" isDisabled={!before}>Purge…</Button>
          <Modal className="modal" isDismissable>
            <Dialog className="dialog" role="alertdialog">
              {({ close }) => (
                <>
                  <Heading slot="title">Purge histories before {before}?</Heading>
                  <p>Their timelines and audit entries are deleted for good.</p>
                  <div className="row">
                    <Button className="button" onPress={close} autoFocus>Cancel</Button>
                    <Button className="button danger" onPress={() => { purge.mutate(); close(); }}>Purge</Button>
                  </div>
                </>
              )}
            </Dialog>
          </Modal>
        </DialogTrigger>
      </div>
      {purge.data && <p role="status">Purged {purge.data.purged} histories.</p>}
      {purge.error && <p role="alert" className="alert">{(purge.error as Error).message}</p>}
    </section>
  );
}
