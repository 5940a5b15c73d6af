export type Phase = 'Queued' | 'Provisioning' | 'Ready' | 'Failed' | 'Deleting' | 'Deleted';
export const phases: Phase[] = ['Queued', 'Provisioning', 'Ready', 'Failed', 'Deleting', 'Deleted'];
export type Engine = 'woocommerce' | 'medusa';
export const engines: { id: Engine; label: string }[] = [
  { id: 'woocommerce', label: 'WooCommerce' },
  { id: 'medusa', label: 'Medusa' },
];
export type Plan = 'small' | 'medium';
export const plans: Plan[] = ['small', 'medium'];

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface Store {
  id: string;
  name: string;
  engine: Engine;
  plan: Plan;
  owner: string;
  phase: Phase;
  conditions: Condition[];
  step?: string | null;
  progress: number;
  queuePosition?: number | null;
  url?: string | null;
  adminUrl?: string | null;
  createdAt: string;
  updatedAt: string;
  lastError?: string | null;
  attempt: number;
  holdsResources: boolean;
}

export interface StorePage {
  items: Store[];
  continuationToken?: string | null;
}

export interface AuditEvent {
  storeId: string;
  instanceId: string;
  action: string;
  kind: string;
  step?: string | null;
  at: string;
  endedAt?: string | null;
  outcome?: string | null;
  error?: string | null;
  requestedBy?: string | null;
  clientIp?: string | null;
}

export interface Me {
  owner: string;
  isAdmin: boolean;
  maxActiveStores: number;
  activeStores?: number | null;
  freeSlots?: number | null;
}

export interface Info {
  limits?: { maxConcurrentProvisioning?: number; maxActiveStoresPerOwner?: number };
  cluster?: { simulated?: boolean };
}
