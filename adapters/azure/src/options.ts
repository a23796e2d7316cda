import { CkptError, registerSecret } from '@ckptkit/gfile';

/**
 * An Azure AD (Entra ID) token source, structurally `TokenCredential` of `@azure/core-auth`: what
 * `DefaultAzureCredential` and every other `@azure/identity` credential is.
 */
export interface AzureTokenCredential {
  getToken(scopes: string | string[], options?: object): Promise<{ token: string; expiresOnTimestamp: number } | null>;
}

/**
 * Options of the Azure Blob Storage adapter. Every field is optional: with none, the adapter reads
 * the environment the way Azure's own tools do (see {@link resolveAzureOptions}).
 */
export interface AzureAdapterOptions {
  /**
   * A storage connection string (`AccountName=...;AccountKey=...` or `...;SharedAccessSignature=...`,
   * optionally with `BlobEndpoint=` for an emulator or `EndpointSuffix=` for a sovereign cloud;
   * `UseDevelopmentStorage=true` means Azurite on 127.0.0.1:10000). Default: AZURE_STORAGE_CONNECTION_STRING.
   */
  connectionString?: string | undefined;
  /** Storage account name. Default: AZURE_STORAGE_ACCOUNT (or the connection string's). */
  account?: string | undefined;
  /** Shared key of the account. Default: AZURE_STORAGE_KEY. Registered for redaction. */
  accountKey?: string | undefined;
  /** A SAS token (with or without the leading `?`). Default: AZURE_STORAGE_SAS_TOKEN. Registered for redaction. */
  sasToken?: string | undefined;
  /**
   * The Blob service endpoint, e.g. `http://127.0.0.1:10000/devstoreaccount1` (Azurite: the account
   * is the first path segment) or `https://acct.blob.core.chinacloudapi.cn`. Overrides the connection
   * string's. Default: `https://<account>.blob.core.windows.net` (or the connection string's suffix).
   */
  endpoint?: string | undefined;
  /** Unsigned requests, for public containers: no credentials are looked up at all. */
  anonymous?: boolean | undefined;
  /**
   * An Entra ID token source to use instead of `DefaultAzureCredential` (which is otherwise loaded,
   * from `@azure/identity`, only when neither a key nor a SAS nor `anonymous` is given).
   */
  credential?: AzureTokenCredential | undefined;
  /** Per-request timeout in ms (default 60,000). For downloads it bounds the wait for headers and for each chunk. */
  timeoutMs?: number | undefined;
  /** Bodies of at least this many bytes go up as staged blocks plus one commit (default 8 MiB); smaller ones in one Put Blob. */
  singleUploadThreshold?: number | undefined;
  /** Size of one staged block (default 8 MiB; raised so that no body needs over 50,000 blocks). */
  blockSize?: number | undefined;
  /** Blocks staged at once within one write (default 4). Memory use is up to this many blocks. */
  blockConcurrency?: number | undefined;
  /** Largest page a list request asks for (default and Azure maximum 5,000). */
  maxPageSize?: number | undefined;
  /**
   * Send List Blobs' `startfrom` for a `startAfter` listing and declare the `startAfter` capability.
   * Default false: the parameter is new (service version 2026-x; Azurite from 3.37) and the facade
   * filters on its own. The adapter drops keys at or before `startAfter` either way, and turns the
   * capability off when it sees a server ignore the parameter.
   */
  startFrom?: boolean | undefined;
  /**
   * Read List Blobs answers with the adapter's own parser (default true), which allocates a
   * fraction of what the SDK's does; a body it is not sure of still goes to the SDK's. False: the
   * SDK's parser alone (the reference the adapter's is tested against).
   */
  fastListParser?: boolean | undefined;
  /** Environment to read (default `process.env`). */
  env?: NodeJS.ProcessEnv | undefined;
}

/** How requests are authorised once options and environment are resolved. */
export type AzureAuth =
  | { kind: 'sharedKey'; account: string; accountKey: string }
  | { kind: 'sas'; sasToken: string }
  | { kind: 'anonymous' }
  | { kind: 'token'; credential: AzureTokenCredential | undefined };

/** What the adapter runs with after the options and the environment are resolved. */
export interface ResolvedAzureOptions {
  /** The Blob service URL without a trailing slash: `https://acct.blob.core.windows.net`, or an emulator's `http://host:port/acct`. */
  endpoint: string;
  account: string | undefined;
  auth: AzureAuth;
  timeoutMs: number;
  singleUploadThreshold: number;
  blockSize: number;
  blockConcurrency: number;
  maxPageSize: number;
  startFrom: boolean;
  fastListParser: boolean;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const MiB = 1024 * 1024;
const DEFAULT_THRESHOLD = 8 * MiB;
const DEFAULT_BLOCK = 8 * MiB;
/** Azure's own ceiling for one Put Block (4,000 MiB); the adapter keeps blocks far below it. */
const MAX_BLOCK = 4000 * MiB;
const MAX_PAGE = 5000;
/** Azurite's well-known development account and endpoint (`UseDevelopmentStorage=true`). */
export const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const DEV_ENDPOINT = 'http://127.0.0.1:10000/devstoreaccount1';
/** Storage account names: 3 to 24 lowercase letters and digits. */
const ACCOUNT_RE = /^[a-z0-9]{3,24}$/;

function config(message: string): CkptError {
  return new CkptError('INVALID_CONFIG', { operation: 'configure', message });
}

/**
 * The fields of a connection string (`Key=Value;...`; a value may contain `=`, as base64 keys do).
 * Field names are case-insensitive, as in Azure's SDKs. INVALID_CONFIG for a part without `=`;
 * the message never quotes the string, which holds the key.
 */
export function parseConnectionString(cs: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const raw of cs.split(';')) {
    const part = raw.trim();
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw config('AZURE_STORAGE_CONNECTION_STRING is not a connection string (expected Name=Value pairs separated by ";")');
    fields.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return fields;
}

/**
 * Normalises a Blob endpoint: an `http(s)://` URL without query, fragment or trailing slash; a
 * bare `host:port` means `http://host:port`. INVALID_CONFIG when it is not one.
 */
export function normalizeEndpoint(raw: string, source = 'endpoint'): string {
  let s = raw.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) s = `http://${s}`;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw config(`${source} is not a URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw config(`${source} must be http:// or https://, got ${url.protocol}//`);
  if (url.search || url.hash) throw config(`${source} must not carry a query or fragment (give a SAS token on its own)`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function positive(v: number | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isFinite(v) || v <= 0) throw config(`${name} must be a positive number, got ${v}`);
  return v;
}

const set = (v: string | undefined): string | undefined => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);

/**
 * Applies defaults and the environment to {@link AzureAdapterOptions}, in the order Azure's tools
 * use: explicit options, then AZURE_STORAGE_CONNECTION_STRING, then AZURE_STORAGE_ACCOUNT with
 * AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN, then Entra ID (`DefaultAzureCredential`).
 * `anonymous` wins over every credential. Keys and SAS tokens are registered for redaction.
 */
export function resolveAzureOptions(options: AzureAdapterOptions = {}): ResolvedAzureOptions {
  const env = options.env ?? process.env;
  const explicitCredential = options.accountKey !== undefined || options.sasToken !== undefined || options.credential !== undefined;
  const cs = set(options.connectionString) ?? (explicitCredential ? undefined : set(env.AZURE_STORAGE_CONNECTION_STRING));
  const fields = cs === undefined ? new Map<string, string>() : parseConnectionString(cs);
  const dev = fields.get('usedevelopmentstorage')?.toLowerCase() === 'true';

  let account = set(options.account) ?? (dev ? DEV_ACCOUNT : fields.get('accountname')) ?? set(env.AZURE_STORAGE_ACCOUNT);
  const accountKey = set(options.accountKey) ?? (dev ? DEV_KEY : fields.get('accountkey')) ?? (cs === undefined && !explicitCredential ? set(env.AZURE_STORAGE_KEY) : undefined);
  let sas = set(options.sasToken) ?? fields.get('sharedaccesssignature') ?? (cs === undefined && !explicitCredential ? set(env.AZURE_STORAGE_SAS_TOKEN) : undefined);
  if (sas?.startsWith('?')) sas = sas.slice(1);
  registerSecret(accountKey);
  registerSecret(sas);
  // The signature alone, too: it is what a URL in an SDK message would carry.
  const sig = sas === undefined ? undefined : new URLSearchParams(sas).get('sig');
  registerSecret(sig ?? undefined);
  if (sig) registerSecret(encodeURIComponent(sig));

  let endpoint: string;
  if (set(options.endpoint)) endpoint = normalizeEndpoint(options.endpoint!);
  else if (fields.get('blobendpoint')) endpoint = normalizeEndpoint(fields.get('blobendpoint')!, 'the connection string\'s BlobEndpoint');
  else if (dev) endpoint = DEV_ENDPOINT;
  else {
    if (account === undefined) {
      throw config('no Azure storage account: set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT (with AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN or an Entra ID login), or an endpoint');
    }
    const protocol = fields.get('defaultendpointsprotocol') ?? 'https';
    const suffix = fields.get('endpointsuffix') ?? 'core.windows.net';
    endpoint = normalizeEndpoint(`${protocol}://${account}.blob.${suffix}`, 'the account endpoint');
  }
  if (account !== undefined && !ACCOUNT_RE.test(account)) throw config(`not a storage account name: ${JSON.stringify(account)} (3 to 24 lowercase letters and digits)`);
  // The account of an endpoint as Azure spells it (acct.blob.core...) when none was given.
  account ??= /^https?:\/\/([a-z0-9]{3,24})\.blob\./.exec(endpoint)?.[1];

  let auth: AzureAuth;
  if (options.anonymous) auth = { kind: 'anonymous' };
  else if (accountKey !== undefined) {
    if (account === undefined) throw config('an account key needs the account name (AZURE_STORAGE_ACCOUNT or AccountName=)');
    auth = { kind: 'sharedKey', account, accountKey };
  } else if (sas !== undefined) auth = { kind: 'sas', sasToken: sas };
  else auth = { kind: 'token', credential: options.credential };

  const blockSize = Math.floor(positive(options.blockSize, 'blockSize', DEFAULT_BLOCK));
  if (blockSize > MAX_BLOCK) throw config(`blockSize must be at most ${MAX_BLOCK} bytes (Azure's largest block), got ${blockSize}`);
  return {
    endpoint,
    account,
    auth,
    timeoutMs: positive(options.timeoutMs, 'timeoutMs', DEFAULT_TIMEOUT_MS),
    singleUploadThreshold: Math.floor(positive(options.singleUploadThreshold, 'singleUploadThreshold', DEFAULT_THRESHOLD)),
    blockSize,
    blockConcurrency: Math.floor(positive(options.blockConcurrency, 'blockConcurrency', 4)),
    maxPageSize: Math.min(MAX_PAGE, Math.floor(positive(options.maxPageSize, 'maxPageSize', MAX_PAGE))),
    startFrom: options.startFrom ?? false,
    fastListParser: options.fastListParser ?? true,
  };
}
