import type { components as RegistryComponents, paths as RegistryPaths } from './registry.schema';
import type { components as SettingsComponents, paths as SettingsPaths } from './settings.schema';

// A thin typed fetch over the types openapi-typescript generates from docs/openapi/: the path, the
// method, the parameters, the body and the answer of each call are checked against the document,
// so an API change that the document does not follow breaks the callers' build.

export type { RegistryPaths, SettingsPaths };
export type Key = RegistryComponents['schemas']['Key'];
export type IssuedKey = RegistryComponents['schemas']['IssuedKey'];
export type RevokedKey = RegistryComponents['schemas']['RevokedKey'];
export type RevealRequested = RegistryComponents['schemas']['RevealRequested'];
export type RevealedKey = RegistryComponents['schemas']['RevealedKey'];
export type KeyTest = RegistryComponents['schemas']['KeyTest'];
export type SecretTest = RegistryComponents['schemas']['SecretTest'];
export type Audit = RegistryComponents['schemas']['Audit'];
export type Settings = SettingsComponents['schemas']['Settings'];
export type SettingsChange = SettingsComponents['schemas']['SettingsChange'];
/** API.md's error body, as both documents describe it. */
export type ApiErrorBody = RegistryComponents['schemas']['ApiError'];

export type HttpMethod = 'get' | 'post' | 'patch' | 'delete';
type OperationOf<P, Path extends keyof P, M extends HttpMethod> = P[Path] extends { [K in M]: infer O } ? O : never;
/** The methods a path has in the document. */
export type MethodsOf<P, Path extends keyof P> = { [M in HttpMethod]: [OperationOf<P, Path, M>] extends [never] ? never : M }[HttpMethod];

type PathParams<O> = O extends { parameters: { path: infer T } } ? T : undefined;
type QueryParams<O> = O extends { parameters: { query?: infer Q } } ? ([Exclude<Q, undefined>] extends [never] ? undefined : Exclude<Q, undefined>) : undefined;
type JsonBody<O> = O extends { requestBody: { content: { 'application/json': infer B } } } ? B : undefined;
type SuccessStatus = 200 | 201 | 202 | 204;
/** The body of the operation's success answer (undefined for a 204). */
export type AnswerOf<O> = O extends { responses: infer R }
  ? { [S in keyof R & SuccessStatus]: R[S] extends { content: { 'application/json': infer B } } ? B : undefined }[keyof R & SuccessStatus]
  : never;

/** What a call sends: the path parameters and the body when the operation has them, the query when it takes one. */
export type CallOptions<O> = (PathParams<O> extends undefined ? { path?: undefined } : { path: PathParams<O> }) &
  (QueryParams<O> extends undefined ? { query?: undefined } : { query?: QueryParams<O> }) &
  (JsonBody<O> extends undefined ? { body?: undefined } : { body: JsonBody<O> }) & { headers?: Record<string, string> };

/** A refusal or error answer: its status and API.md's error body (`details.code` to branch on). */
export class KeywardenApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody | null,
  ) {
    super(body?.message ?? `the service answered ${status}`);
    this.name = 'KeywardenApiError';
  }

  get code(): string | undefined {
    return this.body?.details?.code;
  }
}

export type ClientOptions = Readonly<{
  /** e.g. http://localhost:3000 (the registry) or http://localhost:3001 (the settings service). */
  baseUrl: string;
  /** The admin token sent as `Authorization: Bearer`; read at each call. */
  token?: () => string | Promise<string>;
  fetch?: typeof fetch;
}>;

/** A client of one service's document: `client.call('post', '/v1/orgs/{orgId}/keys', { path: { orgId }, body: {} })`. */
export class KeywardenClient<P> {
  constructor(private readonly options: ClientOptions) {}

  async call<Path extends keyof P & string, M extends MethodsOf<P, Path>>(method: M, path: Path, options: CallOptions<OperationOf<P, Path, M>>): Promise<AnswerOf<OperationOf<P, Path, M>>> {
    const { path: params, query, body, headers } = options as { path?: Record<string, string>; query?: Record<string, string>; body?: unknown; headers?: Record<string, string> };
    const url = new URL(path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(params?.[name] ?? ''))), this.options.baseUrl);
    for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const token = this.options.token ? await this.options.token() : undefined;
    const res = await (this.options.fetch ?? fetch)(url, {
      method: method.toUpperCase(),
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const json: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) throw new KeywardenApiError(res.status, (json as ApiErrorBody | undefined) ?? null);
    return json as AnswerOf<OperationOf<P, Path, M>>;
  }
}

export const registryClient = (options: ClientOptions): KeywardenClient<RegistryPaths> => new KeywardenClient<RegistryPaths>(options);
export const settingsClient = (options: ClientOptions): KeywardenClient<SettingsPaths> => new KeywardenClient<SettingsPaths>(options);
