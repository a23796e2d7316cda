/**
 * Searching output for credentials. Tests configure recognisable fake secrets (and the test
 * servers' real ones), make things fail in every way they can, and hand everything that could
 * reach a human or a log to {@link leaksIn}: error messages, stacks, the whole error as
 * `util.inspect` prints it (causes included, as `console.error(err)` would), JSON, retry log
 * lines, and the CLI's stdout and stderr with `--verbose`.
 */
import { inspect } from 'node:util';

/** Recognisable fake secrets: long, unique, and nothing that a message would contain by accident. */
export const FAKE = {
  accessKeyId: 'CKPTLEAKACCESSKEYID7',
  secretAccessKey: 'ckptLeakSecretAccessKey0000000000000SECRET',
  sessionToken: 'ckptLeakSessionToken//FwoGZXIvYXdzEJr0000000000TOKEN',
  oauthToken: 'ya29.ckptLeakOAuthToken0000000000000000TOKEN',
  opaqueToken: 'ckpt-leak-opaque-bearer-token-000000000000',
  privateKeyBody: 'CKPTLEAKPRIVATEKEYBODY0000000000000000000000000000000000000000',
  /** An Azure account key: base64 of 64 bytes, as Azure's are. */
  azureAccountKey: 'Q0tQVExFQUtBWlVSRUFDQ09VTlRLRVkwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=',
  /** The signature of an Azure SAS token. */
  azureSasSig: 'CkptLeakSasSignature0000000000000000000SIG%3D',
} as const;

/** Shapes that are secret whatever their value: request signatures and capability URLs. */
const PATTERNS: Array<[string, RegExp]> = [
  ['a SigV4 signature', /Signature=[0-9a-f]{16,}/i],
  ['a SigV4 credential scope', /Credential=[A-Za-z0-9]{8,}\//],
  ['a presigned-URL signature', /X-Amz-Signature=[0-9a-f]/i],
  ['a GCS signed-URL signature', /X-Goog-Signature=[0-9a-f]/i],
  ['a Bearer token', /Bearer\s+(?!<redacted>)[A-Za-z0-9._~+/-]{8,}/],
  ['an Azure Shared Key signature', /SharedKey(?:Lite)?\s+[a-z0-9]+:(?!<redacted>)[A-Za-z0-9+/=]{16,}/],
  ['an Azure SAS signature', /[?&]sig=(?!<redacted>)[A-Za-z0-9%+/=]{10,}/],
  ['a resumable upload session id', /upload_id=[A-Za-z0-9_-]{6,}/],
  ['a PEM private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----\s*[A-Za-z0-9+/]/],
];

/** Every text a value would show a human: message, stack, inspect with causes, JSON. */
export function renderings(value: unknown): string[] {
  // showHidden too: SDK errors keep the raw response (with the signed request) in hidden fields.
  const out = [inspect(value, { depth: 12 }), inspect(value, { depth: 12, showHidden: true }), String(value)];
  if (value instanceof Error) {
    out.push(value.message, value.stack ?? '');
    let cause: unknown = value.cause;
    for (let i = 0; i < 8 && cause !== undefined; i++) {
      out.push(inspect(cause, { depth: 12, showHidden: true }), String(cause));
      cause = cause instanceof Error ? cause.cause : undefined;
    }
  }
  try {
    out.push(JSON.stringify(value) ?? '');
  } catch {
    // circular: inspect covered it
  }
  return out;
}

/** What leaked: each secret found (by name) and each secret shape found, with a little context. */
export function leaksIn(texts: readonly string[], secrets: Record<string, string>): string[] {
  const found: string[] = [];
  for (const text of texts) {
    for (const [name, secret] of Object.entries(secrets)) {
      const at = text.indexOf(secret);
      if (at >= 0) found.push(`${name}: …${text.slice(Math.max(0, at - 60), at + secret.length + 20)}…`);
    }
    for (const [name, re] of PATTERNS) {
      const m = re.exec(text);
      if (m) found.push(`${name}: …${text.slice(Math.max(0, m.index - 60), m.index + 80)}…`);
    }
  }
  return [...new Set(found)];
}
