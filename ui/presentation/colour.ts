/** Colour only when wanted: https://no-color.org */
export function colour(name: string | undefined): string | undefined {
  return process.env['NO_COLOR'] ? undefined : name;
}

/** The first visible index of a window of `height` rows that keeps `selected` in view. */
export function windowStart(selected: number, height: number, total: number): number {
  if (total <= height) return 0;
  const half = Math.floor(height / 2);
  return Math.max(0, Math.min(selected - half, total - height));
}
