/** Test helper: a self-signed certificate and its private key encrypted with a password, as files. */
import { createPrivateKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCertificate } from '../src/security/tls/certificate-factory.js';

/** Writes `server.pem` and `server.key` (aes-256-cbc, `password`) into `dir`. */
export async function writeEncryptedKeyPair(
  dir: string,
  password: string,
): Promise<{ certPath: string; keyPath: string }> {
  const cert = await createCertificate({ commonName: 'ns-1' });
  const encrypted = createPrivateKey(cert.keyPem).export({
    format: 'pem',
    type: 'pkcs8',
    cipher: 'aes-256-cbc',
    passphrase: password,
  }) as string;
  const certPath = join(dir, 'server.pem');
  const keyPath = join(dir, 'server.key');
  writeFileSync(certPath, cert.certPem);
  writeFileSync(keyPath, encrypted);
  return { certPath, keyPath };
}
