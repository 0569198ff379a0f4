import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, parseConfig } from '../../src/config';

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number>;
}

const compose = parse(readFileSync(path.join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};

/** Resolves compose `${VAR:-default}` / `${VAR:?msg}` / `${VAR}` with the given variables. */
function substitute(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{([A-Z_]+)(?::([-?])([^}]*))?\}/g, (_m, name: string, kind?: string, rest?: string) => {
    const given = vars[name];
    if (given !== undefined) return given;
    if (kind === '-') return rest ?? '';
    throw new Error(`compose requires ${name}`);
  });
}

describe('docker-compose.yml', () => {
  const custodianServices = ['api', 'worker'];
  const given = { POSTGRES_PASSWORD: 'pw', ENCRYPTION_KEYS: `k1=${Buffer.alloc(32, 1).toString('base64')}` };

  it('pins every third-party image to a version tag', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.image) expect(service.image, name).to.match(/:[0-9][\w.-]*$/);
    }
    expect(Object.keys(compose.services)).to.include.members(['postgres', 'temporal', 'temporal-ui', 'api', 'worker']);
  });

  for (const name of custodianServices) {
    it(`gives the ${name} service only variables the config schema knows, and they parse in production mode`, () => {
      const service = compose.services[name] as ComposeService;
      expect(service.build, `${name} is built from the repo`).to.equal('.');
      expect(service.command).to.deep.equal([name]);
      const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, substitute(String(v), given)]));
      expect(Object.keys(env).filter((k) => !CONFIG_VARIABLES.includes(k))).to.deep.equal([]);
      const config = parseConfig(env);
      expect(config.mode).to.equal('production');
      expect(config.allowPrivateNetworkTargets).to.equal(false);
    });
  }

  it('refuses to start without the required secrets', () => {
    const env = (compose.services.api as ComposeService).environment ?? {};
    expect(() => substitute(String(env.ENCRYPTION_KEYS), {})).to.throw('compose requires ENCRYPTION_KEYS');
  });
});
