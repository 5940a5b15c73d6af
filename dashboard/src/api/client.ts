// The API client: the key lives in sessionStorage and goes only in the x-functions-key header.
const keyName = 'urumi.key';

export const session = {
  key: (): string | null => sessionStorage.getItem(keyName),
  signIn: (key: string) => sessionStorage.setItem(keyName, key),
  signOut: () => sessionStorage.removeItem(keyName),
};

/** An RFC 9457 problem answered by the API (or a network failure, status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly title: string,
    readonly detail: string,
    readonly errors: Record<string, string[]> = {},
    readonly retryAfter: number | null = null,
  ) {
    super(detail || title);
  }

  /** The messages for one field (the API names fields as the request body does). */
  fieldErrors(field: string): string[] {
    const key = Object.keys(this.errors).find((k) => k.toLowerCase() === field.toLowerCase());
    return key ? this.errors[key] : [];
  }
}

export function authHeaders(extra?: HeadersInit): Headers {
  const headers = new Headers(extra);
  const key = session.key();
  if (key) headers.set('x-functions-key', key);
  return headers;
}

export async function toApiError(response: Response): Promise<ApiError> {
  const retryAfter = Number(response.headers.get('Retry-After'));
  let body: Record<string, unknown> = {};
  try {
    body = await response.json();
  } catch {
    // Not JSON: the status says enough.
  }
  const type = String(body.type ?? `http-${response.status}`).split('/').pop() ?? '';
  return new ApiError(
    response.status,
    type,
    String(body.title ?? '') || response.statusText || `The control plane answered ${response.status}`,
    String(body.detail ?? ''),
    (body.errors as Record<string, string[]>) ?? {},
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
  );
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers: authHeaders(init.headers) });
  } catch (e) {
    throw new ApiError(0, 'network', 'The control plane cannot be reached', String(e));
  }
  if (!response.ok) throw await toApiError(response);
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Downloads an authenticated response as a file (the key cannot go in a link). */
export async function download(path: string, fileName: string): Promise<void> {
  const response = await fetch(path, { headers: authHeaders() });
  if (!response.ok) throw await toApiError(response);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  URL.revokeObjectURL(url);
}
