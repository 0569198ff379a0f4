/**
 * The rigs' default REFRESH_POLICY: `always`. Their tests exercise the renewal machinery (failures,
 * storms, crashes) on connections nobody reads, which `by-use` (the product's default) would leave
 * idle until a keep-alive. The by-use tests set the policy themselves.
 */
export const ALWAYS_REFRESH = { REFRESH_POLICY: 'always' } as const;
