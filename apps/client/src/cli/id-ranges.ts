// Job ids as compact ranges (`1-20,25`), so a confirmation names every id on one short line.

export function formatIdRanges(jobIds: readonly number[]): string {
  const parts: string[] = [];
  let index = 0;
  while (index < jobIds.length) {
    const first = jobIds[index] as number;
    let last = first;
    while (index + 1 < jobIds.length && jobIds[index + 1] === last + 1) {
      index += 1;
      last += 1;
    }
    parts.push(first === last ? `${first}` : `${first}-${last}`);
    index += 1;
  }
  return parts.join(",");
}
