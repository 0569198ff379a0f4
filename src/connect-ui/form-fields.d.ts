/** Types of form-fields.js (the browser module has no build step; these let TypeScript tests import it). */

export interface FieldSchema {
  type?: string;
  title?: string;
  description?: string;
  example?: string;
  pattern?: string;
  optional?: boolean;
  format?: string;
  prefix?: string;
  suffix?: string;
  order?: number;
  default_value?: string;
  hidden?: boolean;
  secret?: boolean;
  multiline?: boolean;
  automated?: boolean;
}

/** How a provider is connected (`GET /providers`' `connect`, derived by the server from the auth mode's strategy). */
export type ConnectStyle =
  | { kind: 'redirect' }
  | { kind: 'form'; route: string; credentials: Record<string, FieldSchema>; sections?: Record<string, Record<string, FieldSchema>> };

/** What a form posts: top-level values, and each section's values as an object. */
export type CollectedCredentials = Record<string, string | Record<string, string>>;

export interface ProviderLike {
  auth_mode?: string;
  connection_config?: Record<string, FieldSchema>;
  credentials?: Record<string, FieldSchema>;
  connect?: ConnectStyle | null;
}

export interface FieldDescriptor {
  group: 'params' | 'credentials';
  key: string;
  /** The body object a credential goes in (`assertionOption`), or null for the top of the body. */
  section: string | null;
  name: string;
  title: string;
  description: string;
  prefix: string;
  suffix: string;
  placeholder: string;
  pattern: string | null;
  format: string | null;
  required: boolean;
  hidden: boolean;
  secret: boolean;
  multiline: boolean;
  /** `textarea` for multi-line values, else `input` of `inputType`. */
  control: 'input' | 'textarea';
  inputType: 'password' | 'url' | 'email' | 'text' | null;
  defaultValue: string | null;
  /** Set by the session's `integrations_config_defaults`: shown read-only, never sent. */
  pinned: boolean;
  pinnedValue: string | null;
  order: number | null;
}

export declare function connectStyleOf(provider: ProviderLike | null | undefined): ConnectStyle | null;
export declare function buildFields(provider: ProviderLike, options?: { presetConnectionConfig?: Record<string, unknown> }): FieldDescriptor[];
export declare function visibleFields(fields: FieldDescriptor[]): FieldDescriptor[];
export declare function normalizeValue(field: FieldDescriptor, raw: unknown): string;
export declare function validateField(field: FieldDescriptor, raw: unknown): string | null;
export declare function collectValues(
  fields: FieldDescriptor[],
  values: Record<string, string | undefined>,
): { errors: Record<string, string>; params: Record<string, string>; credentials: CollectedCredentials };
export declare function oauthUrl(apiURL: string, providerConfigKey: string, sessionToken: string, params?: Record<string, string>, wsClientId?: string | null): string;
export declare function formRequest(
  apiURL: string,
  route: string,
  providerConfigKey: string,
  sessionToken: string,
  params?: Record<string, string>,
  credentials?: CollectedCredentials,
): { url: string; body: CollectedCredentials };
export declare function credentialTitles(fields: FieldDescriptor[]): string[];
export declare function describeApiError(body: unknown, fields?: FieldDescriptor[]): { code: string; message: string; fieldErrors: Record<string, string> };
export declare function resolveTheme(defaultTheme: string, override: string | null | undefined, prefersDark: boolean): 'light' | 'dark';
export declare function contrastText(color: string): string | null;
