import type { AuditEvent } from '../api/types';

interface Operation {
  instanceId: string;
  action: string;
  requestedBy?: string | null;
  clientIp?: string | null;
  start: number;
  end: number;
  waitedForSlot: number | null;
  steps: AuditEvent[];
  finished?: AuditEvent;
  others: AuditEvent[];
}

/** The store's operations (create, retries, deletes), each with its steps as bars on one time scale. */
export function operationsOf(events: AuditEvent[]): Operation[] {
  const byInstance = new Map<string, AuditEvent[]>();
  for (const e of events) byInstance.set(e.instanceId, [...(byInstance.get(e.instanceId) ?? []), e]);
  return [...byInstance.entries()].map(([instanceId, list]) => {
    const requested = list.find((e) => e.kind === 'requested');
    const granted = list.find((e) => e.kind === 'slot-granted');
    const times = list.flatMap((e) => [Date.parse(e.at), e.endedAt ? Date.parse(e.endedAt) : Date.parse(e.at)]);
    return {
      instanceId,
      action: list[0].action,
      requestedBy: requested?.requestedBy ?? list[0].requestedBy,
      clientIp: requested?.clientIp ?? list[0].clientIp,
      start: Math.min(...times),
      end: Math.max(...times),
      waitedForSlot: requested && granted ? Date.parse(granted.at) - Date.parse(requested.at) : null,
      steps: list.filter((e) => e.kind === 'step'),
      finished: list.find((e) => e.kind === 'finished'),
      others: list.filter((e) => e.kind === 'cancel-requested' || e.kind === 'provisioning-stopped'),
    };
  });
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function Timeline({ events }: { events: AuditEvent[] }) {
  const operations = operationsOf(events);
  if (operations.length === 0) return <p className="muted">No history yet.</p>;
  return (
    <ol className="timeline">
      {operations.map((op) => {
        const span = Math.max(1, op.end - op.start);
        return (
          <li key={op.instanceId} data-operation={op.action}>
            <h3>
              {op.action} <span className="muted">{new Date(op.start).toLocaleString()}</span>
              {op.finished?.outcome && <> — {op.finished.outcome}</>}
            </h3>
            <p className="muted">Asked by {op.requestedBy ?? 'unknown'} from {op.clientIp ?? 'unknown'}
              {op.waitedForSlot !== null && <> · waited {seconds(op.waitedForSlot)} for a provisioning slot</>}</p>
            <ul className="bars">
              {op.steps.map((step, i) => {
                const from = Date.parse(step.at);
                const to = step.endedAt ? Date.parse(step.endedAt) : from;
                return (
                  <li key={i} className={`bar-row outcome-${step.outcome}`}>
                    <span className="bar-label">{step.step}</span>
                    <span className="bar-track">
                      <span className="bar" style={{ marginLeft: `${((from - op.start) / span) * 100}%`, width: `max(2px, ${((to - from) / span) * 100}%)` }} />
                    </span>
                    <span className="bar-time">{seconds(to - from)} {step.outcome === 'failed' ? '✗ failed' : '✓'}</span>
                  </li>
                );
              })}
            </ul>
            {op.others.map((e, i) => <p key={i} className="muted">{e.kind} by {e.requestedBy} at {new Date(e.at).toLocaleTimeString()}</p>)}
          </li>
        );
      })}
    </ol>
  );
}
