import { afterEach } from 'vitest';
import { cleanup } from '@testing-library/react';

afterEach(() => {
  cleanup();
  globalThis.sessionStorage?.clear();
});

// jsdom has no scrolling; the router scrolls to the top on navigation.
if (typeof window !== "undefined") window.scrollTo = () => {};
