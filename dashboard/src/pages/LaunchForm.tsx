import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { Button, FieldError, Input, Label, Radio, RadioGroup, TextField } from 'react-aria-components';
import { api, ApiError } from '../api/client';
import { engines, plans, type Engine, type Plan, type Store } from '../api/types';
import { useMe } from './Layout';

interface LaunchBody {
  name: string;
  engine: Engine;
  plan: Plan;
}

/** Field errors from the API's problem+json `errors`, by field; the rest is said above the form. */
export function formErrors(error: unknown): { fields: Partial<Record<keyof LaunchBody, string>>; form: string | null } {
  if (!(error instanceof ApiError)) return { fields: {}, form: error ? String((error as Error).message) : null };
  const fields: Partial<Record<keyof LaunchBody, string>> = {};
  for (const field of ['name', 'engine', 'plan'] as const) {
    const messages = error.fieldErrors(field);
    if (messages.length > 0) fields[field] = messages.join(' ');
  }
  const others = Object.keys(error.errors).filter((k) => !['name', 'engine', 'plan'].includes(k.toLowerCase()));
  const form = Object.keys(fields).length > 0 && others.length === 0 ? null : error.detail || error.title;
  return { fields, form };
}

function useCountdown(): [number, (seconds: number) => void] {
  const [left, setLeft] = useState(0);
  useEffect(() => {
    if (left <= 0) return undefined;
    const timer = setTimeout(() => setLeft((n) => n - 1), 1000);
    return () => clearTimeout(timer);
  }, [left]);
  return [left, setLeft];
}

export function LaunchForm() {
  const client = useQueryClient();
  const navigate = useNavigate();
  const me = useMe();
  const [name, setName] = useState('');
  const [engine, setEngine] = useState<Engine>('woocommerce');
  const [plan, setPlan] = useState<Plan>('small');
  const [countdown, startCountdown] = useCountdown();
  // One Idempotency-Key per intended store: kept while the same form is sent again, so a double click makes one store.
  const idempotencyKey = useRef<string | null>(null);

  const launch = useMutation({
    mutationFn: (body: LaunchBody) =>
      api<{ store: Store }>('/api/stores', {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json', 'Idempotency-Key': idempotencyKey.current! },
      }),
    onSuccess: ({ store }) => {
      idempotencyKey.current = null;
      client.setQueryData(['store', store.id], store);
      void client.invalidateQueries({ queryKey: ['stores'] });
      void client.invalidateQueries({ queryKey: ['me'] });
      void navigate({ to: '/stores/$id', params: { id: store.id } });
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status === 429 && error.retryAfter) startCountdown(error.retryAfter);
      if (error instanceof ApiError && error.status < 500 && error.type !== 'idempotency-key-in-use') idempotencyKey.current = null;
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (launch.isPending || countdown > 0) return;
    idempotencyKey.current ??= crypto.randomUUID();
    launch.mutate({ name: name.trim(), engine, plan });
  };

  const { fields, form } = formErrors(launch.error);
  const slots = me.data && !me.data.isAdmin && me.data.activeStores != null
    ? `${me.data.activeStores} of ${me.data.maxActiveStores} store slots used, ${me.data.freeSlots} free` : null;

  return (
    <section className="card" aria-labelledby="launch-title">
      <h2 id="launch-title">Launch a store</h2>
      {slots && <p className="muted" data-testid="slots">{slots}</p>}
      {form && (
        <p role="alert" className="alert">
          {form}
          {countdown > 0 && <> Try again in <strong data-testid="countdown">{countdown}</strong> s.</>}
        </p>
      )}
      <form onSubmit={submit} noValidate className="launch">
        <TextField value={name} onChange={(v) => { setName(v); idempotencyKey.current = null; }} isRequired
          isInvalid={fields.name !== undefined} validationBehavior="aria">
          <Label>Store name</Label>
          <Input placeholder="my-shop" spellCheck={false} autoComplete="off" />
          <FieldError>{fields.name}</FieldError>
        </TextField>
        <RadioGroup value={engine} onChange={(v) => setEngine(v as Engine)} isInvalid={fields.engine !== undefined}
          validationBehavior="aria" orientation="horizontal">
          <Label>Engine</Label>
          <div className="choices">
            {engines.map((e) => <Radio key={e.id} value={e.id}>{e.label}</Radio>)}
          </div>
          <FieldError>{fields.engine}</FieldError>
        </RadioGroup>
        <RadioGroup value={plan} onChange={(v) => setPlan(v as Plan)} isInvalid={fields.plan !== undefined}
          validationBehavior="aria" orientation="horizontal">
          <Label>Plan</Label>
          <div className="choices">
            {plans.map((p) => <Radio key={p} value={p}>{p}</Radio>)}
          </div>
          <FieldError>{fields.plan}</FieldError>
        </RadioGroup>
        <Button type="submit" className="button primary" isDisabled={launch.isPending || countdown > 0}>
          {launch.isPending ? 'Launching…' : 'Launch'}
        </Button>
      </form>
    </section>
  );
}
