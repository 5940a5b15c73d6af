// Dark and light: follows the OS unless the user picked one, which is remembered.
export type ThemeChoice = 'system' | 'light' | 'dark';
const key = 'urumi.theme';

export function storedTheme(): ThemeChoice {
  const value = localStorage.getItem(key);
  return value === 'light' || value === 'dark' ? value : 'system';
}

export function applyTheme(choice: ThemeChoice) {
  if (choice === 'system') {
    localStorage.removeItem(key);
    delete document.documentElement.dataset.theme;
  } else {
    localStorage.setItem(key, choice);
    document.documentElement.dataset.theme = choice;
  }
}
