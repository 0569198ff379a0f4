/** Search attributes of connection workflows (DESIGN.md §4.1), registered at dev-server start. */
export const SEARCH_ATTRIBUTES = {
  CustodianEnvironment: 'Keyword',
  CustodianIntegration: 'Keyword',
  CustodianProvider: 'Keyword',
  CustodianConnectionId: 'Keyword',
  CustodianAuthMode: 'Keyword',
  CustodianStatus: 'Keyword',
  CustodianEndUserId: 'Keyword',
  CustodianExpiresAt: 'Datetime',
  CustodianNextRefreshAt: 'Datetime',
} as const;

/** `--search-attribute NAME=Type` flags for `temporal server start-dev`. */
export function searchAttributeFlags(): string[] {
  return Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]);
}
