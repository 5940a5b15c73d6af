import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import type { Store } from './api/types';
import { ApiError } from './api/client';
import { causesOf } from './causes';
import { CauseCards } from './components/CauseCards';
import { formErrors } from './pages/LaunchForm';
import { canRetry, deleteNeedsName, queueText, whatGoes } from './rules';

const store = (phase: Store['phase'], extra: Partial<Store> = {}): Store => ({
  id: 'shop-1a2b', name: 'shop', engine: 'woocommerce', plan: 'small', owner: 'alice', phase, conditions: [], progress: 0,
  createdAt: '2026-11-30T01:00:00Z', updatedAt: '2026-11-30T01:00:00Z', attempt: 1, holdsResources: true, ...extra,
});

describe('retry and delete rules', () => {
  it('offers retry only for a Failed store', () => {
    expect(['Queued', 'Provisioning', 'Ready', 'Failed', 'Deleting', 'Deleted'].filter((p) => canRetry(store(p as Store['phase']))))
      .toEqual(['Failed']);
  });

  it('asks for the name only before deleting a Ready store', () => {
    expect(deleteNeedsName(store('Ready'))).toBe(true);
    expect(deleteNeedsName(store('Failed'))).toBe(false);
    expect(deleteNeedsName(store('Provisioning'))).toBe(false);
  });

  it('lists the release, namespace and data, or only the record when nothing is left', () => {
    expect(whatGoes(store('Ready')).join(' ')).toMatch(/release.*namespace.*data/s);
    expect(whatGoes(store('Failed', { holdsResources: false }))).toHaveLength(1);
  });

  it('words the queue position', () => {
    expect(queueText(2, 2, 2)).toBe('2nd in line, 2 of 2 slots busy');
    expect(queueText(11)).toBe('11th in line');
    expect(queueText(null)).toBeNull();
  });
});

describe('cause cards', () => {
  it('names the quota that was exceeded', () => {
    const [cause] = causesOf('step VerifyRollout failed: Deployment web: QuotaExceeded: pods "web-1" is forbidden: exceeded quota: store-quota, requested: cpu=2');
    expect(cause.kind).toBe('quota');
    expect(cause.detail).toBe('Quota: store-quota');
  });

  it.each([
    ['Deployment web: ImagePullFailure: ErrImagePull', 'image-pull'],
    ['Deployment web: CrashLoop: back-off restarting', 'crash-loop'],
    ['Deployment web: ProbeFailure: Readiness probe failed', 'probe'],
    ['Job seed: JobFailed: BackoffLimitExceeded', 'job-failed'],
    ['the provisioning deadline (00:10:00) passed during step InstallRelease', 'deadline'],
    ['something odd', 'unknown'],
  ])('explains %s as %s', (error, kind) => {
    expect(causesOf(error)[0].kind).toBe(kind);
  });

  it('adds a clean-up card when the clean-up did not finish', () => {
    expect(causesOf('step InstallRelease failed: x (cleanup did not finish: see the store\'s events)').map((c) => c.kind)).toContain('cleanup');
  });

  it('shows each cause with what to do and folds the raw message', () => {
    render(<CauseCards lastError="Deployment web: ImagePullFailure: ErrImagePull" />);
    expect(screen.getByRole('heading', { name: /Image could not be pulled/ })).toBeTruthy();
    expect(screen.getByText(/What to do:/)).toBeTruthy();
    expect(screen.getByText('Full error message').closest('details')?.open).toBe(false);
  });
});

describe('launch form errors', () => {
  it('puts each API field error next to its field and nothing above the form', () => {
    const error = new ApiError(400, 'validation', 'The request is not valid', 'name: bad.', { name: ['must be lowercase'], plan: ['unknown plan'] });
    expect(formErrors(error)).toEqual({ fields: { name: 'must be lowercase', plan: 'unknown plan' }, form: null });
  });

  it('says a refusal without fields above the form', () => {
    const error = new ApiError(403, 'store-limit', 'Too many active stores', 'An owner may have 3 active stores.');
    expect(formErrors(error)).toEqual({ fields: {}, form: 'An owner may have 3 active stores.' });
  });

  it('maps a name clash (409 with errors.name) to the name field', () => {
    const error = new ApiError(409, 'name-taken', 'The name is taken', "You already have a store named 'shop'.", { name: ["'shop' is already one of your stores"] });
    expect(formErrors(error).fields.name).toMatch(/already one of your stores/);
  });
});
