/**
 * Makes X.509 certificates: the self-signed one a node serves when TLS is on and no certificate
 * is configured (Java's test mode does the same with Netty's SelfSignedCertificate), and, for
 * tests and operators' experiments, a small CA with server and client certificates.
 *
 * Why node-forge: Node has no API to build a certificate. node-forge is pure JavaScript, has no
 * dependencies and has been maintained for over a decade; @peculiar/x509 2.x needs a global
 * reflect-metadata polyfill, and shelling out to openssl is not portable. Only the ASN.1 building
 * comes from forge: the RSA key is made and the signature computed by Node's native crypto, which
 * is ~30x faster than forge's JavaScript RSA.
 *
 * RSA 2048 with SHA-256: what every Java 8+ client accepts (some stripped JREs lack EC support).
 */
import { createPublicKey, generateKeyPair, randomBytes, sign, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import forge from 'node-forge';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Public in node-forge (what cert.sign() uses) but missing from @types/node-forge. */
interface ForgeTbs {
  getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1;
}

export interface CertificateRequest {
  /** Subject and issuer common name of a self-signed certificate. */
  readonly commonName: string;
  /** DNS names and IP addresses for subjectAltName (servers); none for a client. */
  readonly altNames?: readonly string[];
  /** Validity from now (default 825 days, the longest browsers accept, though irrelevant here). */
  readonly days?: number;
  /** A CA certificate (may sign others). */
  readonly isCA?: boolean;
  /** Signs with this CA instead of self-signing. */
  readonly issuer?: IssuedCertificate;
}

export interface IssuedCertificate {
  readonly certPem: string;
  /** PKCS#8 PEM, unencrypted. */
  readonly keyPem: string;
  /** SHA-256 fingerprint `AA:BB:…`. */
  readonly fingerprint256: string;
}

function altNameEntries(names: readonly string[]): object[] {
  // forge type codes: 2 = dNSName, 7 = iPAddress.
  return names.map((name) => (isIP(name) !== 0 ? { type: 7, ip: name } : { type: 2, value: name }));
}

export async function createCertificate(request: CertificateRequest): Promise<IssuedCertificate> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  // Positive 16-byte serial (high bit cleared), unique per certificate as RFC 5280 requires.
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  cert.serialNumber = serial.toString('hex');
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60_000); // tolerate small clock skew
  cert.validity.notAfter = new Date(now + (request.days ?? 825) * 86_400_000);
  const subject = [{ name: 'commonName', value: request.commonName }];
  cert.setSubject(subject);
  let signingKey = privateKey;
  if (request.issuer === undefined) {
    cert.setIssuer(subject);
  } else {
    const issuerCert = forge.pki.certificateFromPem(request.issuer.certPem);
    cert.setIssuer(issuerCert.subject.attributes);
    signingKey = request.issuer.keyPem;
  }
  const extensions: object[] = [
    { name: 'basicConstraints', cA: request.isCA === true, critical: true },
    request.isCA === true
      ? {
          name: 'keyUsage',
          keyCertSign: true,
          cRLSign: true,
          digitalSignature: true,
          critical: true,
        }
      : { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ];
  if (request.isCA !== true)
    extensions.push({ name: 'extKeyUsage', serverAuth: true, clientAuth: true });
  if (request.altNames !== undefined && request.altNames.length > 0) {
    extensions.push({ name: 'subjectAltName', altNames: altNameEntries(request.altNames) });
  }
  cert.setExtensions(extensions);

  // What forge's cert.sign() does, with Node's native RSA for the signature.
  const oid = forge.pki.oids['sha256WithRSAEncryption']!;
  cert.signatureOid = oid;
  cert.siginfo.algorithmOid = oid;
  const tbs = (forge.pki as unknown as ForgeTbs).getTBSCertificate(cert);
  const der = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  cert.tbsCertificate = tbs;
  cert.signature = sign('sha256', der, signingKey).toString('binary');
  const certPem = forge.pki.certificateToPem(cert);

  const x509 = new X509Certificate(certPem);
  const issuerKey = createPublicKey(request.issuer?.keyPem ?? privateKey);
  if (!x509.verify(issuerKey)) throw new Error('generated certificate does not verify');
  return { certPem, keyPem: privateKey, fingerprint256: x509.fingerprint256 };
}

/**
 * The certificate a node serves when TLS is on and none is configured: self-signed, for the
 * host's name, localhost and the loopback addresses. Clients in Java's default test mode (and
 * ours without `ca`) accept it; clients that verify do not, by design.
 */
export function createSelfSignedServerCertificate(hostname: string): Promise<IssuedCertificate> {
  const names = new Set([hostname, 'localhost', '127.0.0.1', '::1']);
  return createCertificate({ commonName: `nameserver-ts ${hostname}`, altNames: [...names] });
}

const selfSignedByHost = new Map<string, Promise<IssuedCertificate>>();

/**
 * `createSelfSignedServerCertificate`, made at most once per host name in this process: every
 * node started here (tests start many) serves the same one instead of paying for an RSA key each.
 */
export function selfSignedServerCertificateOnce(hostname: string): Promise<IssuedCertificate> {
  let made = selfSignedByHost.get(hostname);
  if (made === undefined) {
    made = createSelfSignedServerCertificate(hostname);
    selfSignedByHost.set(hostname, made);
    // A failure is not remembered: the next node tries again.
    made.catch(() => selfSignedByHost.delete(hostname));
  }
  return made;
}
