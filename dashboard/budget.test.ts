// @vitest-environment node
// The bundle budget: the production build's JavaScript at most 150 kB gzipped (run after `npm run build`).
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const budget = 150 * 1024;

it('keeps the production JavaScript within 150 kB gzipped', () => {
  const assets = join(__dirname, 'dist', 'assets');
  const files = readdirSync(assets).filter((f) => f.endsWith('.js'));
  expect(files.length).toBeGreaterThan(0);
  const gzipped = files.reduce((sum, f) => sum + gzipSync(readFileSync(join(assets, f)), { level: 9 }).length, 0);
  console.log(`bundle: ${files.length} JavaScript file(s), ${(gzipped / 1024).toFixed(1)} kB gzipped (budget ${budget / 1024} kB)`);
  expect(gzipped).toBeLessThanOrEqual(budget);
});
