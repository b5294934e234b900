import escapeHtml from 'escape-html';

/** A piece of HTML that `html` inserts as it is (its own output), never escaped twice. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/**
 * A tagged template that escapes every interpolated value (escape-html, express's escaper)
 * unless it is SafeHtml from another `html` template; arrays are joined. The digest is two
 * short templates, so this is chosen over a template engine (mjml would add a compiler and
 * a large dependency for five lines of markup): escaping is the default, not a step to remember.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0];
  values.forEach((value, index) => {
    out += render(value) + strings[index + 1];
  });
  return new SafeHtml(out);
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined) return '';
  return escapeHtml(String(value));
}
