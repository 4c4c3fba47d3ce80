// Text bound for an operator's terminal. Strings that came from workers (progress messages, error
// reasons, worker ids) lose their control characters, so a job cannot move the cursor, recolour or
// clear the screen of whoever watches; and lines are cut to the terminal's width.
//
// Width is counted in code points: right for the text djq itself prints; wide characters (CJK,
// emoji) in a worker's message count as one column, so such a line may still wrap.

// C0 and C1 controls (ESC starts every ANSI sequence; U+009B is a one-byte CSI), line and paragraph
// separators, and the bidirectional overrides that make text display in another order than stored.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every control character (newlines too) replaced by a space. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, " ");
}

export function displayWidth(text: string): number {
  let width = 0;
  for (const _ of text) width += 1;
  return width;
}

/** `text` cut to `columns`, ending in `…` when something was cut. */
export function fitWidth(text: string, columns: number): string {
  if (displayWidth(text) <= columns) return text;
  if (columns <= 0) return "";
  return `${Array.from(text).slice(0, columns - 1).join("")}…`;
}

export type Align = "left" | "right";

/**
 * Rows padded into columns two spaces apart, trailing spaces trimmed. Columns not named in
 * `align` are left-aligned; put the one most worth cutting (a message, a reason) last.
 */
export function columnsOf(rows: readonly (readonly string[])[], align: readonly Align[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, column) => (widths[column] = Math.max(widths[column] ?? 0, displayWidth(cell))));
  return rows.map((row) =>
    row
      .map((cell, column) => {
        const padding = " ".repeat((widths[column] ?? 0) - displayWidth(cell));
        return align[column] === "right" ? padding + cell : cell + padding;
      })
      .join("  ")
      .trimEnd(),
  );
}

/**
 * `parts` two spaces apart, starting a new line (with `indent`) where the next part would pass
 * `columns`: `jobs  delayed 0  pending 3` stays whole words on a narrow terminal. The first line
 * starts with `first`. A part wider than a line keeps a line of its own, to be cut by fitWidth.
 */
export function wrapParts(parts: readonly string[], columns: number, first: string, indent: string): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const part of parts) {
    if (!empty && displayWidth(line) + 2 + displayWidth(part) > columns) {
      lines.push(line);
      line = indent;
      empty = true;
    }
    line += empty ? part : `  ${part}`;
    empty = false;
  }
  lines.push(line);
  return lines;
}
