/** `coroner list` as lines of text: every field came from an engine or a copied data root. */
import type { ContainerSummary } from '../sources/evidence-source.js';
import { safeLine } from '../untrusted.js';

const HEADER = ['ID', 'NAME', 'IMAGE', 'STATE', 'CREATED'];

/** One row a container, in aligned columns; a field of the wrong type shows as text, escaped. */
export function containerListText(containers: readonly ContainerSummary[]): string[] {
  const cell = (value: unknown, maxChars: number) => safeLine(String(value ?? ''), maxChars);
  const rows = containers.map((c) => [
    cell(String(c.id ?? '').slice(0, 12), 12),
    cell(Array.isArray(c.names) ? c.names[0] : '', 60),
    cell(c.image, 60),
    cell(c.state, 20),
    cell(c.createdAt, 40),
  ]);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [HEADER, ...rows].map((row) =>
    row.map((value, i) => (i < row.length - 1 ? value.padEnd(widths[i]!) : value)).join('  '),
  );
}
