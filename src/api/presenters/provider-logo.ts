/** A neutral generated logo (initials on a colour derived from the name): no third-party artwork is shipped. */
import { createHash } from 'node:crypto';

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Up to two initials of the display name. */
function initials(displayName: string): string {
  const words = displayName.replace(/[^\p{L}\p{N} ]/gu, ' ').split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? words[0]![0]! + words[1]![0]! : (words[0] ?? '?').slice(0, 2);
  return letters.toUpperCase();
}

/** The SVG document for a provider. */
export function providerLogoSvg(name: string, displayName: string): string {
  const hue = createHash('sha256').update(name).digest().readUInt16BE(0) % 360;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64" role="img" aria-label="${escapeXml(displayName)}">`
    + `<rect width="64" height="64" rx="14" fill="hsl(${hue},55%,42%)"/>`
    + `<text x="32" y="41" font-family="system-ui,sans-serif" font-size="24" font-weight="600" text-anchor="middle" fill="#fff">${escapeXml(initials(displayName))}</text></svg>`;
}
