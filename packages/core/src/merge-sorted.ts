// Walks several sequences that are each sorted by a key as one sorted sequence, lazily, so a
// page of a listing costs what it shows (plus what it skips), not a sort of everything.

export function* mergeSorted<T>(sources: Iterable<Iterable<T>>, key: (item: T) => number): IterableIterator<T> {
  const heads: { item: T; rest: Iterator<T> }[] = [];
  for (const source of sources) {
    const rest = source[Symbol.iterator]();
    const first = rest.next();
    if (!first.done) heads.push({ item: first.value, rest });
  }
  while (heads.length > 0) {
    let least = 0;
    for (let i = 1; i < heads.length; i += 1) if (key((heads[i] as { item: T }).item) < key((heads[least] as { item: T }).item)) least = i;
    const head = heads[least] as { item: T; rest: Iterator<T> };
    yield head.item;
    const next = head.rest.next();
    if (next.done) heads.splice(least, 1);
    else head.item = next.value;
  }
}
