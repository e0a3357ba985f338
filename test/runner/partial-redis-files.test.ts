// Redis key patterns and files paths (restore.only) from the damaged state: only what they name comes back.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup } from '../../src/runner/commands/backup.js';
import { restore } from '../../src/runner/commands/restore.js';
import { redisCmd, tmpDir } from '../support/env.js';
import { onVariant, rows } from '../support/matrix.js';
import { makeApp, redisComponent, uniqueName } from './fixture.js';

describe.each(rows('redis'))('redis partial restores (%s)', (_name, variant) => {
  onVariant(variant);

  it('restore.only keys brings back the deleted keys matching the patterns (values and TTLs); other keys keep their changes', async () => {
    const p = uniqueName('rp');
    for (let i = 1; i <= 30; i++) await redisCmd('SET', `${p}:session:${i}`, `session ${i}`);
    await redisCmd('HSET', `${p}:cart:1`, 'item', 'book', 'qty', '2');
    await redisCmd('PEXPIRE', `${p}:session:1`, '3600000');
    await redisCmd('SET', `${p}:other`, 'stored');
    const app = await makeApp({ values: { components: [redisComponent('cache')] } });
    await backup(app.ctx());
    for (let i = 1; i <= 30; i++) await redisCmd('DEL', `${p}:session:${i}`);
    await redisCmd('DEL', `${p}:cart:1`);
    await redisCmd('SET', `${p}:other`, 'changed after backup');
    await redisCmd('SET', `${p}:session:new`, 'written after backup');

    app.update({ restore: { only: { cache: { keys: [`${p}:session:*`] } } } });
    const plan = await restore(app.ctx());
    expect(plan.steps.join('\n')).toMatch(new RegExp(`keys matching ${p}:session:\\* in the set replace the live keys`));
    for (let i = 1; i <= 30; i++) expect(await redisCmd('GET', `${p}:session:${i}`)).toBe(`session ${i}`);
    expect(Number(await redisCmd('PTTL', `${p}:session:1`))).toBeGreaterThan(3_000_000);
    expect(await redisCmd('TTL', `${p}:session:2`)).toBe('-1');
    // Not named: not brought back, not changed.
    expect(await redisCmd('EXISTS', `${p}:cart:1`)).toBe('0');
    expect(await redisCmd('GET', `${p}:other`)).toBe('changed after backup');
    expect(await redisCmd('GET', `${p}:session:new`)).toBe('written after backup');

    app.update({ restore: { only: { cache: { keys: [`${p}:cart:*`], into: 'side' } } } });
    await restore(app.ctx());
    expect(await redisCmd('EXISTS', `${p}:cart:1`)).toBe('0');
    expect(await redisCmd('HGET', `safehold-restored:${p}:cart:1`, 'qty')).toBe('2');
  });
});

function write(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
}

describe('files partial restores', () => {
  it('restore.only paths brings back the deleted files under the paths; files elsewhere stay as they are', async () => {
    const root = await tmpDir('partial-files');
    write(root, { 'uploads/2026/a.txt': 'a', 'uploads/2026/deep/b.txt': 'b', 'uploads/2025/c.txt': 'c', 'config.ini': 'stored' });
    const app = await makeApp({ values: { components: [{ name: 'data', type: 'files', paths: [root] }] } });
    await backup(app.ctx());
    rmSync(join(root, 'uploads'), { recursive: true });
    write(root, { 'config.ini': 'changed after backup', 'uploads/2026/new.txt': 'new' });

    app.update({ restore: { only: { data: { paths: [`${root}/uploads/2026`] } } } });
    const plan = await restore(app.ctx());
    expect(plan.steps.join('\n')).toContain(`${root}/uploads/2026 → ${root}: stored files overwrite existing ones; other paths are left alone`);
    expect(readFileSync(join(root, 'uploads/2026/a.txt'), 'utf8')).toBe('a');
    expect(readFileSync(join(root, 'uploads/2026/deep/b.txt'), 'utf8')).toBe('b');
    expect(readFileSync(join(root, 'uploads/2026/new.txt'), 'utf8')).toBe('new');
    expect(existsSync(join(root, 'uploads/2025'))).toBe(false);
    expect(readFileSync(join(root, 'config.ini'), 'utf8')).toBe('changed after backup');

    app.update({ restore: { only: { data: { paths: [`${root}/uploads/2025`, `${root}/config.ini`], into: 'side' } } } });
    await restore(app.ctx());
    expect(existsSync(join(root, 'uploads/2025'))).toBe(false);
    expect(readFileSync(join(root, '.safehold-restored/uploads/2025/c.txt'), 'utf8')).toBe('c');
    expect(readFileSync(join(root, '.safehold-restored/config.ini'), 'utf8')).toBe('stored');
    expect(readFileSync(join(root, 'config.ini'), 'utf8')).toBe('changed after backup');

    app.update({ restore: { only: { data: { paths: [`${root}/uploads/2025`, `${root}/uploads/nosuch`] } } } });
    await expect(restore(app.ctx())).rejects.toThrow(new RegExp(`paths the set does not hold: ${root}/uploads/nosuch; nothing was changed`));
    expect(existsSync(join(root, 'uploads/2025'))).toBe(false);
  });
});
