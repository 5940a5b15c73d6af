import type { Phase } from '../api/types';
import type { LiveStatus } from '../api/sse';

const icons: Record<Phase, string> = {
  Queued: '◷', Provisioning: '↻', Ready: '✓', Failed: '✗', Deleting: '⊖', Deleted: '○',
};

/** The phase in words and an icon, not colour alone. */
export function PhaseBadge({ phase }: { phase: Phase }) {
  return (
    <span className={`phase phase-${phase.toLowerCase()}`} data-phase={phase}>
      <span aria-hidden="true">{icons[phase]}</span> {phase}
    </span>
  );
}

const liveWords: Record<LiveStatus, string> = {
  connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', polling: 'Updating every 2 s', closed: 'Not live',
};

export function LiveIndicator({ status }: { status: LiveStatus }) {
  return (
    <span className={`live live-${status}`} data-live={status}>
      <span aria-hidden="true">{status === 'live' ? '●' : '○'}</span> {liveWords[status]}
    </span>
  );
}

export function age(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86400)} d`;
}
