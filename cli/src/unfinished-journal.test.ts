import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJournal, journalDir, readDeadRecords } from './unfinished-journal.js';

let home: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'ckpt-journal-'));
  env = { HOME: home };
});
afterAll(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

const deadPid = () => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());

describe('the record of unfinished uploads', () => {
  it('lives in XDG_STATE_HOME when it is absolute, else ~/.local/state', () => {
    expect(journalDir({ HOME: '/h' })).toBe('/h/.local/state/ckptkit/unfinished');
    expect(journalDir({ HOME: '/h', XDG_STATE_HOME: '/s' })).toBe('/s/ckptkit/unfinished');
    expect(journalDir({ HOME: '/h', XDG_STATE_HOME: 'relative' })).toBe('/h/.local/state/ckptkit/unfinished');
  });

  it('writes one private file per process, nothing until an upload starts, and removes it when all ended', () => {
    const j = createJournal('abcdef01', env);
    expect(existsSync(journalDir(env))).toBe(false);
    j.listener({ phase: 'started', uri: 's3://b/k', id: 'u1' });
    const file = path.join(journalDir(env), `abcdef01-${process.pid}.jsonl`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    j.listener({ phase: 'started', uri: 's3://b/k2', id: 'u2' });
    j.listener({ phase: 'ended', uri: 's3://b/k', id: 'u1' });
    j.close();
    expect(existsSync(file)).toBe(true);
    j.listener({ phase: 'ended', uri: 's3://b/k2', id: 'u2' });
    j.close();
    expect(existsSync(file)).toBe(false);
  });

  it('reads the open uploads of dead processes of this machine only; settle rewrites or removes their files', () => {
    const dir = journalDir(env);
    mkdirSync(dir, { recursive: true });
    const dead = deadPid();
    const lines = (...l: object[]) => l.map((x) => `${JSON.stringify(x)}\n`).join('');
    writeFileSync(
      path.join(dir, `abcdef01-${dead}.jsonl`),
      lines({ phase: 'started', uri: 's3://b/a', id: 'A' }, { phase: 'started', uri: 'gs://b/c', id: 'C' }, { phase: 'started', uri: 's3://b/x', id: 'X' }, { phase: 'ended', uri: 's3://b/x', id: 'X' }) + '{"phase":"sta',
    );
    // A live process (this one, as seen by another file name), another machine, a stray file.
    writeFileSync(path.join(dir, `abcdef01-${process.ppid}.jsonl`), lines({ phase: 'started', uri: 's3://b/live', id: 'L' }));
    writeFileSync(path.join(dir, `99999999-${dead}.jsonl`), lines({ phase: 'started', uri: 's3://b/other', id: 'O' }));
    writeFileSync(path.join(dir, 'notes.txt'), 'x');
    const r = readDeadRecords('abcdef01', env);
    expect(r.writes).toEqual([
      { uri: 's3://b/a', id: 'A' },
      { uri: 'gs://b/c', id: 'C' },
    ]);
    r.settle(['A']);
    expect(readFileSync(path.join(dir, `abcdef01-${dead}.jsonl`), 'utf8')).toBe(lines({ phase: 'started', uri: 'gs://b/c', id: 'C' }));
    readDeadRecords('abcdef01', env).settle(['C']);
    expect(readdirSync(dir).sort()).toEqual([`99999999-${dead}.jsonl`, `abcdef01-${process.ppid}.jsonl`, 'notes.txt'].sort());
  });
});
