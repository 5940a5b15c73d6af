import { createRootRoute, createRoute, createRouter } from '@tanstack/react-router';
import { Layout } from './pages/Layout';
import { StoresPage } from './pages/StoresPage';
import { StorePage } from './pages/StorePage';
import { AuditPage } from './pages/AuditPage';
import { phases, engines, type Engine, type Phase } from './api/types';

export interface StoresSearch {
  status?: Phase;
  engine?: Engine;
  name?: string;
  owner?: string;
  token?: string;
}

export interface AuditSearch {
  store?: string;
  action?: 'create' | 'retry' | 'delete';
  from?: string;
  to?: string;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

/** Filters live in the URL: typed here, so a bad link drops the bad value instead of breaking the page. */
export function validateStoresSearch(search: Record<string, unknown>): StoresSearch {
  const status = text(search.status);
  const engine = text(search.engine);
  return {
    status: phases.find((p) => p === status),
    engine: engines.find((e) => e.id === engine)?.id,
    name: text(search.name)?.toLowerCase(),
    owner: text(search.owner),
    token: text(search.token),
  };
}

export function validateAuditSearch(search: Record<string, unknown>): AuditSearch {
  const action = text(search.action);
  return {
    store: text(search.store),
    action: action === 'create' || action === 'retry' || action === 'delete' ? action : undefined,
    from: text(search.from),
    to: text(search.to),
  };
}

const rootRoute = createRootRoute({ component: Layout });
const storesRoute = createRoute({ getParentRoute: () => rootRoute, path: '/', validateSearch: validateStoresSearch, component: StoresPage });
export const storeRoute = createRoute({ getParentRoute: () => rootRoute, path: '/stores/$id', component: StorePage });
const auditRoute = createRoute({ getParentRoute: () => rootRoute, path: '/audit', validateSearch: validateAuditSearch, component: AuditPage });

// The path index.html's <base> names: `/`, or the Dashboard function's path under the Functions host.
const basepath = new URL(document.baseURI).pathname.replace(/\/$/, '') || '/';

export const router = createRouter({ routeTree: rootRoute.addChildren([storesRoute, storeRoute, auditRoute]), basepath });
export { storesRoute, auditRoute };

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}
