/**
 * The tags a connect session gives the connection it creates (API.md §1): generated from the end user
 * and organization, then `end_user.tags`, then top-level `tags`, which win.
 */
import type { EndUser } from '../connections/connection-store';

/** At most this many tags on a connection (API.md §0). */
export const MAX_TAGS = 10;
const MAX_TAG_VALUE = 255;

export interface SessionTagSources {
  endUser?: Pick<EndUser, 'id' | 'email' | 'display_name' | 'tags'>;
  organization?: { id: string; display_name?: string };
  tags?: Record<string, string>;
}

/** The generated tags; empty values are skipped and long ones cut to the tag value limit, as Nango does. */
function generatedTags({ endUser, organization }: SessionTagSources): Record<string, string> {
  const tags: Record<string, string> = {};
  const set = (key: string, value: string | undefined) => {
    if (value) tags[key] = value.slice(0, MAX_TAG_VALUE);
  };
  set('end_user_id', endUser?.id);
  set('end_user_email', endUser?.email);
  set('end_user_display_name', endUser?.display_name);
  set('organization_id', organization?.id);
  set('organization_display_name', organization?.display_name);
  return tags;
}

/**
 * Merges the sources, never exceeding {@link MAX_TAGS} and never refusing a request for it:
 * `end_user.tags` are kept only if they fit beside the generated tags (Nango drops them as a whole),
 * and when top-level tags push the total past the limit, the lowest-priority derived keys
 * (last `end_user.tags`, then `organization_display_name` … `end_user_id`) give way. Top-level tags
 * (≤ 10, validated) are always kept whole. Keys arrive lower-cased from the schemas.
 */
export function sessionTags(sources: SessionTagSources): Record<string, string> {
  const base = generatedTags(sources);
  const withEndUserTags = { ...base, ...sources.endUser?.tags };
  const derived = Object.keys(withEndUserTags).length <= MAX_TAGS ? withEndUserTags : base;
  const explicit = sources.tags ?? {};
  const derivedKeys = Object.keys(derived).filter((key) => !(key in explicit));
  const room = MAX_TAGS - Object.keys(explicit).length;
  const kept = derivedKeys.slice(0, Math.max(room, 0));
  return { ...Object.fromEntries(kept.map((key) => [key, derived[key]!])), ...explicit };
}
