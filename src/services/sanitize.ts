/**
 * Message content sanitiser (CONTRACT.md: "HTML is removed; plain text survives unchanged").
 *
 * `sanitizeContent` turns arbitrary user input into plain text that contains no HTML markup:
 *
 * - Every tag (opening, closing, self-closing, unclosed such as `<b` or
 *   `<img src=x onerror=alert(1)//` at the end of the input), comment, doctype/declaration,
 *   CDATA section and processing instruction is removed. Attribute values are removed with
 *   their tag, including quoted values that contain `>`.
 * - The *bodies* of the elements in {@link DROPPED_BODY_ELEMENTS} are removed as well:
 *   `script` and `style` (executable / non-visible content), `template`, `noscript`, `iframe`,
 *   `object`, `noembed`, `noframes` (fallback or inert content a reader would never see), and
 *   `textarea`, `title`, `xmp` (raw-text bodies that usually carry pasted markup). An unclosed
 *   element of this kind swallows the rest of the input, as it would in a browser.
 * - Everything else is kept byte for byte. Entities are NOT decoded (a user who types `&amp;`
 *   sees `&amp;`), and `<` that does not start markup (`a < b`, `x<3`, `5 > 4`), emoji, CJK,
 *   tabs and line breaks (`\n`, `\r\n`) are untouched. The input is not trimmed: the caller
 *   trims and enforces the length limits.
 * - C0 control characters other than `\t`, `\n` and `\r` (U+0000–U+001F) are removed first, so
 *   that e.g. `<\u0000script>` cannot sneak past the parser and reassemble later. DEL (U+007F)
 *   and other non-C0 characters are left alone.
 *
 * Reassembly attacks. Removing markup can join two harmless fragments into new markup
 * (`<<b>script>…` → `<script>…`, `<scr<script>ipt>`). The text left after a pass is therefore
 * parsed again, up to {@link MAX_PASSES} times, until it is stable. Whatever the pass count,
 * a final step neutralises every `<` that could still open markup: a run of `<` immediately
 * followed by an ASCII letter, `/`, `!` or `?` (the only characters after which the HTML
 * tokenizer leaves the text state) is deleted. The `<` is dropped rather than escaped to `&lt;`
 * because entities are not decoded anywhere in the pipeline, so `&lt;` would be shown to the
 * reader literally; dropping it leaves the harmless remainder (`script>alert(1)/script>`) as
 * visible text. A consequence: plain text in which `<` is directly followed by a letter
 * (`x<y`) is treated as markup and loses that part — write `x < y` instead.
 *
 * Guarantees (covered by property tests): the output contains no substring an HTML parser
 * treats as a tag, comment, declaration, CDATA or processing instruction; the function is
 * idempotent; input without `<` (and without stripped control characters) comes back unchanged.
 *
 * Cost: one regex scan for input with no markup; otherwise at most MAX_PASSES linear parser
 * passes over an ever-shrinking string, plus one linear scan.
 */
import { Parser } from 'htmlparser2';
import { stripControlCharactersKeepingLineBreaks } from '../plain-text';

/** Elements whose content is dropped together with the tags. Names are lower case. */
export const DROPPED_BODY_ELEMENTS: ReadonlySet<string> = new Set([
  'script',
  'style',
  'template',
  'noscript',
  'iframe',
  'object',
  'noembed',
  'noframes',
  'textarea',
  'title',
  'xmp',
]);

/** Upper bound on parse passes; deeper reassembly nesting is handled by the final step. */
export const MAX_PASSES = 8;

/**
 * `<` followed by a character that makes the HTML tokenizer leave the text state:
 * ASCII letter (tag), `/` (end tag / bogus comment), `!` (comment, doctype, CDATA), `?` (PI).
 */
const MARKUP_START = /<[A-Za-z/!?]/;
const OPENS_MARKUP = /[A-Za-z/!?]/;
const LT_RUN = /<+/g;

/** One parser pass: keep text nodes (raw, entities untouched) outside dropped elements. */
function stripOnce(input: string): string {
  let out = '';
  let dropDepth = 0;
  const parser = new Parser(
    {
      // onopentagname/onclosetag are symmetric: the parser pushes a non-void element on its
      // stack at onopentagname and reports every popped element (explicit, implied, or at
      // end of input) through onclosetag.
      onopentagname(name) {
        if (DROPPED_BODY_ELEMENTS.has(name)) dropDepth++;
      },
      onclosetag(name) {
        if (dropDepth > 0 && DROPPED_BODY_ELEMENTS.has(name)) dropDepth--;
      },
      ontext(text) {
        if (dropDepth === 0) out += text;
      },
    },
    { decodeEntities: false, lowerCaseTags: true, recognizeCDATA: false, recognizeSelfClosing: false },
  );
  parser.end(input);
  return out;
}

/** Delete every run of `<` that is directly followed by a markup-opening character. */
function neutraliseMarkupStarts(input: string): string {
  if (!MARKUP_START.test(input)) return input;
  return input.replace(LT_RUN, (run: string, offset: number) => {
    const next = input.charAt(offset + run.length);
    return next !== '' && OPENS_MARKUP.test(next) ? '' : run;
  });
}

export function sanitizeContent(input: string): string {
  let text = stripControlCharactersKeepingLineBreaks(input);
  // Fast path: without a markup start, the parser would return the text unchanged.
  if (!MARKUP_START.test(text)) return text;

  for (let pass = 0; pass < MAX_PASSES && MARKUP_START.test(text); pass++) {
    const next = stripOnce(text);
    if (next === text) break;
    text = next;
  }
  return neutraliseMarkupStarts(text);
}
