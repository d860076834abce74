import { describe, expect, it } from 'vitest';
import { discoveryEnv } from '../../core/discovery/env.ts';
import {
  instanceLabel,
  instanceName,
  leaderName,
  normalizeZone,
  parseDiscoveryName,
  serviceName,
  srvName,
} from '../../core/discovery/names.ts';
import { ValidationError } from '../../core/errors.ts';

describe('discovery names', () => {
  it('builds the four names under the default zone', () => {
    expect(serviceName('myapp', 'web')).toBe('web.myapp.wharf.internal');
    expect(srvName('myapp', 'web')).toBe('_web._tcp.myapp.wharf.internal');
    expect(instanceName('myapp', 'web', 'i-abc')).toBe('i-abc.web.myapp.wharf.internal');
    expect(leaderName('myapp', 'web')).toBe('leader.web.myapp.wharf.internal');
  });

  it('turns an instance id that is not a DNS label into one', () => {
    expect(instanceLabel('web.3F2a01')).toBe('web-3f2a01');
    expect(instanceName('myapp', 'web', 'web.3f2a01')).toBe('web-3f2a01.web.myapp.wharf.internal');
    expect(parseDiscoveryName(instanceName('myapp', 'web', 'web.3f2a01'))).toEqual({
      kind: 'instance',
      app: 'myapp',
      type: 'web',
      id: 'web-3f2a01',
    });
  });

  it('builds and parses under a configured zone', () => {
    expect(serviceName('a', 'worker', 'svc.example')).toBe('worker.a.svc.example');
    expect(parseDiscoveryName('worker.a.svc.example', 'svc.example')).toEqual({
      kind: 'service',
      app: 'a',
      type: 'worker',
    });
    expect(parseDiscoveryName('worker.a.wharf.internal', 'svc.example')).toBeNull();
  });

  it('parses every shape, case-insensitively and with a trailing dot', () => {
    expect(parseDiscoveryName('WEB.MyApp.wharf.internal.')).toEqual({
      kind: 'service',
      app: 'myapp',
      type: 'web',
    });
    expect(parseDiscoveryName('_web._tcp.myapp.wharf.internal')).toEqual({
      kind: 'srv',
      app: 'myapp',
      type: 'web',
    });
    expect(parseDiscoveryName('i-1.web.myapp.wharf.internal')).toEqual({
      kind: 'instance',
      app: 'myapp',
      type: 'web',
      id: 'i-1',
    });
    expect(parseDiscoveryName('leader.web.myapp.wharf.internal')).toEqual({
      kind: 'leader',
      app: 'myapp',
      type: 'web',
    });
    expect(parseDiscoveryName('myapp.wharf.internal')).toEqual({ kind: 'app', app: 'myapp' });
    expect(parseDiscoveryName('wharf.internal')).toEqual({ kind: 'apex' });
  });

  it('calls odd names inside the zone unknown and names outside it null', () => {
    for (const n of [
      'a.b.c.d.wharf.internal',
      '_web.myapp.wharf.internal',
      '_web._udp.myapp.wharf.internal',
    ]) {
      expect(parseDiscoveryName(n)).toEqual({ kind: 'unknown' });
    }
    expect(parseDiscoveryName('example.com')).toBeNull();
    expect(parseDiscoveryName('notwharf.internal')).toBeNull();
  });

  it('refuses a zone that is not a DNS name', () => {
    expect(normalizeZone('Wharf.Internal.')).toBe('wharf.internal');
    expect(() => normalizeZone('bad zone')).toThrow(ValidationError);
    expect(() => normalizeZone('')).toThrow(/give a DNS name/);
  });
});

describe('discoveryEnv', () => {
  it('tells an instance where the resolver and the API are, and who it is', () => {
    expect(
      discoveryEnv({
        app: 'myapp',
        processType: 'web',
        instanceId: 'i-7',
        dns: '127.0.0.1:5353',
        url: 'http://127.0.0.1:4000/discovery/',
      }),
    ).toEqual({
      WHARF_APP: 'myapp',
      WHARF_PROCESS_TYPE: 'web',
      WHARF_INSTANCE_ID: 'i-7',
      WHARF_ZONE: 'wharf.internal',
      WHARF_SERVICE_NAME: 'web.myapp.wharf.internal',
      WHARF_INSTANCE_NAME: 'i-7.web.myapp.wharf.internal',
      WHARF_LEADER_NAME: 'leader.web.myapp.wharf.internal',
      WHARF_DISCOVERY_DNS: '127.0.0.1:5353',
      WHARF_DISCOVERY_URL: 'http://127.0.0.1:4000/discovery',
    });
  });

  it('leaves out what the runtime does not have', () => {
    const env = discoveryEnv({ app: 'a', processType: 'worker', instanceId: 'x', zone: 'svc.local' });
    expect(env['WHARF_DISCOVERY_DNS']).toBeUndefined();
    expect(env['WHARF_DISCOVERY_URL']).toBeUndefined();
    expect(env['WHARF_SERVICE_NAME']).toBe('worker.a.svc.local');
  });
});
