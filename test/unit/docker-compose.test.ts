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
  ports?: (string | number | { target: number; published?: string | number; host_ip?: string })[];
}

const compose = parse(readFileSync(path.join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};

/** One published port: the host address it binds (compose's default is every address) and the container port. */
function publishedPorts(service: ComposeService): { hostIp: string; target: number }[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port === 'object') return { hostIp: port.host_ip ?? '0.0.0.0', target: port.target };
    // Short syntax: [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]; an IPv6 host is in brackets.
    const text = String(port).replace(/\/\w+$/, '');
    const ipv6 = /^\[([^\]]+)\]:(.+)$/.exec(text);
    const parts = ipv6 ? [ipv6[1] as string, ...(ipv6[2] as string).split(':')] : text.split(':');
    const target = Number(parts[parts.length - 1]!.split('-')[0]);
    return { hostIp: parts.length === 3 ? parts[0] as string : '0.0.0.0', target };
  });
}

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

  it('docker-compose publishes the Temporal frontend and Web UI on loopback only', () => {
    // Neither has authentication here: published on every address, anyone reaching the host could
    // start, signal or read workflows (and their history) or browse them in the UI.
    expect(publishedPorts({ ports: ['7233:7233', '127.0.0.1:8233:8080', '[::1]:1:2/tcp', { target: 8080, published: 8233 }] }))
      .to.deep.equal([{ hostIp: '0.0.0.0', target: 7233 }, { hostIp: '127.0.0.1', target: 8080 }, { hostIp: '::1', target: 2 }, { hostIp: '0.0.0.0', target: 8080 }]);
    for (const name of ['temporal', 'temporal-ui']) {
      for (const port of publishedPorts(compose.services[name] as ComposeService)) {
        expect(['127.0.0.1', '::1'], `${name} publishes ${port.target} on ${port.hostIp}`).to.include(port.hostIp);
      }
    }
    expect(publishedPorts(compose.services['temporal-ui'] as ComposeService).map((p) => p.target)).to.deep.equal([8080]);
  });

  it('refuses to start without the required secrets', () => {
    const env = (compose.services.api as ComposeService).environment ?? {};
    expect(() => substitute(String(env.ENCRYPTION_KEYS), {})).to.throw('compose requires ENCRYPTION_KEYS');
  });
});
