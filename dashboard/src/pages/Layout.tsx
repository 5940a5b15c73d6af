import { useState } from 'react';
import { Link, Outlet } from '@tanstack/react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Button } from 'react-aria-components';
import { api, ApiError, session } from '../api/client';
import type { Me } from '../api/types';
import { Announcer } from '../components/Announcer';
import { applyTheme, storedTheme, type ThemeChoice } from '../theme';
import { SignIn } from './SignIn';

const nextTheme: Record<ThemeChoice, ThemeChoice> = { system: 'light', light: 'dark', dark: 'system' };

export function useMe() {
  return useQuery({ queryKey: ['me'], queryFn: () => api<Me>('/api/me'), enabled: session.key() !== null });
}

export function Layout() {
  const client = useQueryClient();
  const [signedIn, setSignedIn] = useState(session.key() !== null);
  const [theme, setTheme] = useState<ThemeChoice>(storedTheme());
  const me = useMe();
  const refused = me.error instanceof ApiError && me.error.status === 401;

  const signOut = () => {
    session.signOut();
    client.clear();
    setSignedIn(false);
  };
  const cycleTheme = () => {
    const next = nextTheme[theme];
    applyTheme(next);
    setTheme(next);
  };

  return (
    <Announcer>
      <a className="skip" href="#main">Skip to content</a>
      <header className="top">
        <Link to="/" className="brand">Urumi</Link>
        {signedIn && !refused && (
          <nav aria-label="Main">
            <Link to="/" activeOptions={{ exact: true }}>Stores</Link>
            <Link to="/audit">Audit</Link>
          </nav>
        )}
        <span className="spacer" />
        {me.data && <span className="who">{me.data.isAdmin ? 'Admin' : `Owner: ${me.data.owner}`}</span>}
        <Button className="button quiet" onPress={cycleTheme} aria-label={`Theme: ${theme}. Change theme`}>
          <span aria-hidden="true">{theme === 'dark' ? '☾' : theme === 'light' ? '☀' : '◐'}</span> {theme}
        </Button>
        {signedIn && <Button className="button quiet" onPress={signOut}>Sign out</Button>}
      </header>
      <main id="main">
        {!signedIn || refused ? (
          <SignIn refused={refused} onSignedIn={() => { setSignedIn(true); void client.invalidateQueries(); }} />
        ) : (
          <Outlet />
        )}
      </main>
    </Announcer>
  );
}
