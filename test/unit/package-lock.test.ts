import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.join(__dirname, '..', '..');

describe('package-lock.json', function () {
  this.timeout(120_000);

  it('is complete: npm resolving package.json again writes the very same lock (a fresh clone stays clean)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'custodian-lock-'));
    try {
      for (const file of ['package.json', 'package-lock.json']) copyFileSync(path.join(ROOT, file), path.join(dir, file));
      // What `npm install` does to the lock on a fresh clone, without installing anything; metadata comes from npm's cache when it has it.
      await promisify(execFile)('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir });
      const rewritten = readFileSync(path.join(dir, 'package-lock.json'), 'utf8');
      expect(rewritten === readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'), 'npm rewrote package-lock.json: commit the lock npm writes').to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
