/**
 * The S3 client's request handler: GetObject goes to {@link DirectGetClient} (bodies read into
 * 1 MiB buffers), every other request to the SDK's own node:http handler.
 */
import { buildQueryString, HttpResponse, type HttpRequest } from '@smithy/core/protocols';
import { NodeHttpHandler, type NodeHttpHandlerOptions } from '@smithy/node-http-handler';
import type { HttpHandlerOptions } from '@smithy/types';
import { DirectGetClient, type DirectGetOptions } from './direct-get.js';

/** True for the one request the direct client takes: a GetObject, which has no body. */
export function isDirectGet(request: HttpRequest): boolean {
  return request.method === 'GET' && request.query?.['x-id'] === 'GetObject' && request.body == null && !request.fragment && request.username == null && request.password == null;
}

/**
 * A request handler for the S3 client that sends GetObject requests through a
 * {@link DirectGetClient} and everything else through `NodeHttpHandler` with `options`.
 * Responses have the shape the SDK expects from its own handler (a Node Readable body, lower-case
 * header names), so its deserializers, checksum validation and error parsing are unchanged.
 */
export class S3RequestHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' };
  private readonly inner: NodeHttpHandler;
  private readonly direct: DirectGetClient;

  constructor(
    options: NodeHttpHandlerOptions,
    direct: DirectGetOptions,
  ) {
    this.inner = new NodeHttpHandler(options);
    this.direct = new DirectGetClient(direct);
  }

  async handle(request: HttpRequest, options: HttpHandlerOptions = {}): Promise<{ response: HttpResponse }> {
    const signal = options.abortSignal;
    // An old-style signal (no addEventListener) is left to the SDK's handler, which knows it.
    if (!isDirectGet(request) || (signal !== undefined && !(signal instanceof AbortSignal))) return this.inner.handle(request, options);
    const query = request.query ? buildQueryString(request.query) : '';
    const res = await this.direct.get(
      { protocol: request.protocol, hostname: request.hostname, port: request.port, path: query ? `${request.path}?${query}` : request.path, headers: request.headers },
      signal,
      options.requestTimeout,
    );
    return { response: new HttpResponse({ statusCode: res.statusCode, reason: res.reason, headers: res.headers, body: res.body }) };
  }

  updateHttpClientConfig(key: keyof NodeHttpHandlerOptions, value: NodeHttpHandlerOptions[typeof key]): void {
    this.inner.updateHttpClientConfig(key, value);
  }

  httpHandlerConfigs(): NodeHttpHandlerOptions {
    return this.inner.httpHandlerConfigs();
  }

  destroy(): void {
    this.inner.destroy();
    this.direct.destroy();
  }
}
