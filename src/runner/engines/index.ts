// Engine lookup and endpoint resolution (component + mounted secrets → where to connect).
// I/O: endpointOf reads the login from the mounted Secrets (SecretStore) and tlsFiles may copy a key; lookup is pure.
import type { Component } from '../../values/components.js';
import { UsageError } from '../../errors.js';
import type { SecretStore } from '../secrets.js';
import { postgres } from './postgres.js';
import { tlsFiles } from './tls.js';
import type { Endpoint, StreamEngine } from './types.js';

const STREAM_ENGINES = new Map<string, StreamEngine>([[postgres.type, postgres]]);

/** Registers an engine module (each engine file calls this once from engines/all.ts). */
export function registerEngine(e: StreamEngine): void {
  STREAM_ENGINES.set(e.type, e);
}

/** Every registered stream engine (the shared engine test suite runs against each). */
export function streamEngines(): StreamEngine[] {
  return [...STREAM_ENGINES.values()];
}

export function streamEngine(type: string): StreamEngine | undefined {
  return STREAM_ENGINES.get(type);
}

export function requireStreamEngine(c: Component): StreamEngine {
  const e = STREAM_ENGINES.get(c.type);
  if (!e) throw new UsageError(`component ${c.name}: no stream engine for type ${c.type}`);
  return e;
}

type Login = { secretName: string; usernameKey?: string; passwordKey: string };

/** Production endpoint of a database component, credentials read from the mounted Secret. */
export function endpointOf(c: Component, secrets: SecretStore, override: Partial<Endpoint> & { credentials?: Login } = {}): Endpoint {
  if (!('host' in c)) throw new UsageError(`component ${c.name} (${c.type}) has no server endpoint`);
  const login = (override.credentials ?? ('credentials' in c ? c.credentials : undefined)) as Login | undefined;
  const { credentials: _c, ...rest } = override;
  return {
    host: c.host,
    port: c.port,
    database: 'database' in c ? c.database : undefined,
    username: login?.usernameKey ? secrets.read(login.secretName, login.usernameKey) : undefined,
    password: login ? secrets.read(login.secretName, login.passwordKey) : undefined,
    sslMode: 'sslMode' in c ? c.sslMode : undefined,
    tls: 'tls' in c ? tlsFiles(c.tls, secrets) : undefined,
    ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
  };
}
