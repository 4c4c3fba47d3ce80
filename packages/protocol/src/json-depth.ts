// How deeply a parsed message nests arrays and objects. JSON.parse takes any depth, but encoding
// such a value again (a payload in an `assign`, a result in a job view) recurses once per level,
// so the queue refuses a message past MAX_JSON_DEPTH before it keeps anything from it.

/** The message is level 1, `jobs` level 2, a job level 3: a payload or a result starts at level 4. */
export const JOB_FIELD_LEVEL = 4;

/**
 * Whether arrays and objects nest more than `limit` levels deep in `value` (level 1 itself),
 * found without recursion and without building an array of each node's values.
 */
export function nestsDeeperThan(value: object, limit: number): boolean {
  if (limit < 1) return true;
  const nodes: object[] = [value];
  const depths: number[] = [1];
  for (let node = nodes.pop(); node !== undefined; node = nodes.pop()) {
    const childDepth = (depths.pop() ?? 1) + 1;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i += 1) {
        const child: unknown = node[i];
        if (typeof child !== "object" || child === null) continue;
        if (childDepth > limit) return true;
        nodes.push(child);
        depths.push(childDepth);
      }
      continue;
    }
    for (const key in node) {
      if (!Object.hasOwn(node, key)) continue;
      const child: unknown = (node as Record<string, unknown>)[key];
      if (typeof child !== "object" || child === null) continue;
      if (childDepth > limit) return true;
      nodes.push(child);
      depths.push(childDepth);
    }
  }
  return false;
}

/** Whether a job field (a payload, a result) nests past `limit` levels counted from the message. */
export function jobFieldNestsDeeperThan(field: unknown, limit: number): boolean {
  return typeof field === "object" && field !== null && nestsDeeperThan(field, limit - JOB_FIELD_LEVEL + 1);
}
