import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseConfig } from '../../../src/config';
import { createProcessLogger, wantsPrettyLogs } from '../../../src/logger';
import { prettyLine } from '../../../src/logging/pretty-lines';
import { pinoLevelOf } from '../../../src/temporal/runtime-logger';

const ROOT = path.resolve(__dirname, '../../..');
const plain = { colours: false };

/** A logger writing into an array, as a terminal (or a pipe) would receive it. */
function captured(env: Record<string, string>, isTTY: boolean) {
  const out: string[] = [];
  const logger = createProcessLogger(parseConfig({ LOG_LEVEL: 'info', ...env }), { isTTY, colours: false, write: (text) => out.push(text) });
  return { logger, out };
}

describe('readable log lines (dev mode on a terminal)', () => {
  it('one line per event: time, level, message, then key=value fields; nested objects one level flat; no service/pid/hostname noise', () => {
    const line = prettyLine(JSON.stringify({ level: 30, time: Date.UTC(2026, 11, 1, 9, 8, 7, 6), pid: 1, hostname: 'h', service: 'custodian', msg: 'refreshed', connection: 'c-1', temporal: { taskQueue: 'custodian', attempt: 2 }, note: 'two words' }), plain);
    expect(line).to.equal('09:08:07.006 INFO  refreshed  connection=c-1 temporal.taskQueue=custodian temporal.attempt=2 note="two words"\n');
  });

  it('errors show as type and message; newlines in a message stay on the line', () => {
    const line = prettyLine(JSON.stringify({ level: 50, time: 0, msg: 'request failed\nsecond line', err: { type: 'TypeError', message: 'boom', stack: 'TypeError: boom\n    at x' } }), plain);
    expect(line).to.equal('00:00:00.000 ERROR request failed\\nsecond line  err="TypeError: boom"\n');
    expect(line.split('\n')).to.have.length(2);
  });

  it('colours the level (ANSI) when colours are on; a line that is not JSON passes through', () => {
    expect(prettyLine(JSON.stringify({ level: 40, time: 0, msg: 'careful' }), { colours: true })).to.contain('\u001b[33mWARN \u001b[0m');
    expect(prettyLine('[dev] stopping', plain)).to.equal('[dev] stopping\n');
  });

  it('LOG_FORMAT=auto: pretty only in dev mode on a TTY; json and pretty force it', () => {
    expect(wantsPrettyLogs({ mode: 'dev', logFormat: 'auto' }, { isTTY: true })).to.equal(true);
    expect(wantsPrettyLogs({ mode: 'dev', logFormat: 'auto' }, { isTTY: false })).to.equal(false);
    expect(wantsPrettyLogs({ mode: 'production', logFormat: 'auto' }, { isTTY: true })).to.equal(false);
    expect(wantsPrettyLogs({ mode: 'dev', logFormat: 'json' }, { isTTY: true })).to.equal(false);
    expect(wantsPrettyLogs({ mode: 'production', logFormat: 'pretty' }, { isTTY: false })).to.equal(true);
  });

  it('readable lines are redacted like JSON ones (the redacting formatter runs first)', () => {
    const tty = captured({}, true);
    tty.logger.info({ access_token: 'tok-123', connection: 'c-1' }, 'stored');
    expect(tty.out).to.have.length(1);
    expect(tty.out[0]).to.match(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}stored {2}access_token=\[redacted\] connection=c-1\n$/);
  });

  it('in a real process: a pseudo-terminal gets readable lines, a pipe gets JSON', function () {
    this.timeout(30_000);
    const script = "const { createProcessLogger } = require('./src/logger'); const { parseConfig } = require('./src/config'); createProcessLogger(parseConfig(process.env)).info({ connection: 'c-1' }, 'hello');";
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' };
    const piped = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: ROOT, env }).toString();
    expect(JSON.parse(piped)).to.deep.include({ level: 30, msg: 'hello', connection: 'c-1', service: 'custodian' });
    // util-linux `script` runs the command on a pseudo-terminal.
    const command = `${process.execPath} --require tsx/cjs -e "${script.replace(/"/g, '\\"')}"`;
    const onTty = execFileSync('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env }).toString();
    expect(onTty.trim()).to.match(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}hello {2}connection=c-1$/);
  });
});

describe('Temporal worker lines', () => {
  it('the SDK\'s own INFO chatter goes to debug; its warnings and Custodian\'s workflow logs keep their level', () => {
    expect(pinoLevelOf('INFO', { sdkComponent: 'worker' })).to.equal('debug');
    expect(pinoLevelOf('INFO', { sdkComponent: 'core' })).to.equal('debug');
    expect(pinoLevelOf('INFO', undefined)).to.equal('debug');
    expect(pinoLevelOf('WARN', { sdkComponent: 'worker' })).to.equal('warn');
    expect(pinoLevelOf('INFO', { sdkComponent: 'workflow' })).to.equal('info');
    expect(pinoLevelOf('ERROR', { sdkComponent: 'core' })).to.equal('error');
  });
});
