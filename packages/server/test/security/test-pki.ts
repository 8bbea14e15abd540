/** Certificates for the TLS tests, made once per test file (RSA key generation takes a while). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificate } from '../../src/security/tls/certificate-factory.js';
import type { IssuedCertificate } from '../../src/security/tls/certificate-factory.js';

export interface TestPki {
  ca: IssuedCertificate;
  server: IssuedCertificate;
  /** A second server certificate from the same CA, for rotation. */
  server2: IssuedCertificate;
  client: IssuedCertificate;
  rogueCa: IssuedCertificate;
  rogueClient: IssuedCertificate;
}

export async function makeTestPki(): Promise<TestPki> {
  const [ca, rogueCa] = await Promise.all([
    createCertificate({ commonName: 'Test CA', isCA: true }),
    createCertificate({ commonName: 'Rogue CA', isCA: true }),
  ]);
  const serverNames = ['localhost', '127.0.0.1'];
  const [server, server2, client, rogueClient] = await Promise.all([
    createCertificate({ commonName: 'ns-1', altNames: serverNames, issuer: ca }),
    createCertificate({ commonName: 'ns-1 rotated', altNames: serverNames, issuer: ca }),
    createCertificate({ commonName: 'broker-a', issuer: ca }),
    createCertificate({ commonName: 'mallory', issuer: rogueCa }),
  ]);
  return { ca, server, server2, client, rogueCa, rogueClient };
}

/** Writes PEM files into a fresh temporary directory; returns their paths. */
export function writePemFiles(
  files: Record<string, string>,
): Record<string, string> & { dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ns-tls-'));
  const out: Record<string, string> = {};
  for (const [name, pem] of Object.entries(files)) {
    const path = join(dir, name);
    writeFileSync(path, pem);
    out[name] = path;
  }
  return Object.assign(out, { dir });
}
