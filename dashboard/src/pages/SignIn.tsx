import { useState, type FormEvent } from 'react';
import { Button, FieldError, Input, Label, TextField } from 'react-aria-components';
import { api, ApiError, session } from '../api/client';
import type { Me } from '../api/types';

/** Paste a function key (owner) or the admin key; it is kept for this tab only. */
export function SignIn({ refused, onSignedIn }: { refused: boolean; onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(refused ? 'That key was not accepted. Paste a valid key.' : null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    session.signIn(key.trim());
    try {
      await api<Me>('/api/me');
      onSignedIn();
    } catch (err) {
      session.signOut();
      setError(err instanceof ApiError && err.status === 401
        ? 'That key was not accepted. Paste a valid key.'
        : `Could not check the key: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card narrow">
      <h1>Sign in</h1>
      <p>Paste your function key (store owner) or the admin key. It stays in this tab only and is sent only in a request header.</p>
      <form onSubmit={submit}>
        <TextField value={key} onChange={setKey} isRequired isInvalid={error !== null} autoFocus>
          <Label>Key</Label>
          <Input type="password" autoComplete="off" spellCheck={false} />
          <FieldError>{error}</FieldError>
        </TextField>
        <Button type="submit" className="button primary" isDisabled={busy || key.trim() === ''}>Sign in</Button>
      </form>
    </section>
  );
}
