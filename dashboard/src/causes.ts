// Failures explained: the causes the API names in a store's lastError (RolloutReasons and the orchestration's own
// words), each with what to do about it.

export type CauseKind =
  | 'quota' | 'image-pull' | 'crash-loop' | 'probe' | 'job-failed' | 'deadline' | 'cleanup' | 'unknown';

export interface Cause {
  kind: CauseKind;
  title: string;
  explanation: string;
  action: string;
  /** The quota named, for quota exceeded. */
  detail?: string;
}

const rules: { kind: CauseKind; test: RegExp; title: string; explanation: string; action: string }[] = [
  {
    kind: 'quota', test: /QuotaExceeded|exceeded quota/i, title: 'Quota exceeded',
    explanation: "The store's namespace quota refused a pod: the plan's CPU, memory or storage is used up.",
    action: 'Choose a larger plan, or ask an administrator to raise the quota, then retry.',
  },
  {
    kind: 'image-pull', test: /ImagePullFailure|ImagePullBackOff|ErrImagePull/i, title: 'Image could not be pulled',
    explanation: 'The cluster could not download a container image (wrong name or tag, or the registry refused).',
    action: 'Check that the image exists and the cluster can reach its registry, then retry.',
  },
  {
    kind: 'crash-loop', test: /CrashLoop/i, title: 'A container keeps crashing',
    explanation: 'A container starts and exits again and again.',
    action: "Read the container's log (kubectl logs) for the error; retry once it is fixed.",
  },
  {
    kind: 'probe', test: /ProbeFailure|Readiness probe failed|Liveness probe failed/i, title: 'Health check failing',
    explanation: "The store runs but does not answer its readiness check, so it gets no traffic.",
    action: 'The store may be slow to start or misconfigured: retry; if it fails again, read its log.',
  },
  {
    kind: 'job-failed', test: /JobFailed/i, title: 'Set-up job failed',
    explanation: 'The job that installs and seeds the shop (pages, products) failed.',
    action: "Read the job's log; retry to run it again.",
  },
  {
    kind: 'deadline', test: /deadline/i, title: 'Took too long',
    explanation: 'The provisioning did not finish within its deadline.',
    action: 'The cluster may be busy or short of resources: retry later.',
  },
];

const cleanupRule = {
  kind: 'cleanup' as const, title: 'Clean-up incomplete',
  explanation: 'After the failure, removing the release or namespace did not finish.',
  action: 'Delete the store to finish the clean-up (deleting is safe to repeat).',
};

/** Every cause the error names, most important first (the API orders rollout problems by severity). */
export function causesOf(lastError: string | null | undefined): Cause[] {
  if (!lastError) return [];
  const found: Cause[] = rules
    .filter((r) => r.test.test(lastError))
    .map(({ kind, title, explanation, action }) => ({ kind, title, explanation, action }));
  const quota = found.find((c) => c.kind === 'quota');
  if (quota) {
    const name = /exceeded quota: ([a-z0-9.-]+)/i.exec(lastError)?.[1];
    if (name) quota.detail = `Quota: ${name}`;
  }
  if (/cleanup did not finish|stuck/i.test(lastError)) found.push({ ...cleanupRule });
  if (found.length === 0) {
    found.push({
      kind: 'unknown', title: 'Provisioning failed',
      explanation: 'The message below says what went wrong.', action: 'Retry; if it fails again, ask an administrator.',
    });
  }
  return found;
}
