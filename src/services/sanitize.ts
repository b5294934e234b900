/**
 * Message content sanitiser (CONTRACT.md: "HTML is removed (the tags of HTML elements and
 * comments gone, script and style bodies gone); text that is not HTML survives unchanged").
 *
 * `sanitizeContent` removes the markup of real HTML and keeps every other character:
 *
 * - Tags of HTML elements ({@link HTML_ELEMENTS}: `<b>`, `</p>`, `<img src=x onerror=…>`, also
 *   unclosed at the end of the input such as `hello <img src=x onerror=alert(1)//`) are removed
 *   with their attributes, including quoted values that contain `>`. Comments, doctypes and
 *   other declarations, CDATA sections and processing instructions are removed too.
 * - A tag is text when it names no HTML element (`press <Enter>`, `<ana@example.com>`, `x<y`),
 *   or when a harmless formatting element carries only attributes HTML does not have
 *   (`if a<b then c>d`: `then` and `c` are no attributes). Elements of
 *   {@link ALWAYS_MARKUP_ELEMENTS} (scripts, links, images, frames, forms, ...) are always markup.
 * - The *bodies* of the elements in {@link DROPPED_BODY_ELEMENTS} are removed as well:
 *   `script` and `style` (executable / non-visible content), `template`, `noscript`, `iframe`,
 *   `object`, `noembed`, `noframes` (fallback or inert content a reader would never see), and
 *   `textarea`, `title`, `xmp` (raw-text bodies that usually carry pasted markup). An unclosed
 *   element of this kind swallows the rest of the input, as it would in a browser.
 * - Everything else is kept byte for byte. Entities are NOT decoded (a user who types `&amp;`
 *   sees `&amp;`); `a < b`, `I <3 you`, emoji, CJK, tabs and line breaks are untouched. The input
 *   is not trimmed: the caller trims and enforces the length limits.
 * - C0 control characters other than `\t`, `\n` and `\r` (U+0000–U+001F) are removed first, so
 *   that e.g. `<\u0000script>` cannot sneak past the tokenizer and reassemble later.
 *
 * Reassembly attacks. Removing markup can join two harmless fragments into new markup
 * (`<<b>b>script>…`). The text left after a pass is therefore tokenized again, up to
 * {@link MAX_PASSES} times, until it is stable; input still changing after that (nesting deeper
 * than any text needs) loses every `<` that could open markup.
 *
 * Clients show content as text, never as HTML (the contract's rule); the sanitiser is the
 * second line, so that no element that runs, loads or embeds anything is ever stored.
 *
 * Cost: one regex scan for input with no markup start; otherwise at most MAX_PASSES linear
 * tokenizer passes.
 */
import { Tokenizer } from 'htmlparser2';
import { stripControlCharactersKeepingLineBreaks } from '../plain-text';
import { ALWAYS_MARKUP_ELEMENTS, HTML_ELEMENTS, isHtmlAttribute } from './html-names';

export { ALWAYS_MARKUP_ELEMENTS, HTML_ELEMENTS } from './html-names';

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
const INNER_ELEMENT_START = /<(?=\/?([A-Za-z][A-Za-z0-9]*))/g;

/** Whether a tag is markup to remove: an HTML element, unless prose as described above. */
export function isMarkupTag(name: string, attributes: string[]): boolean {
  if (!HTML_ELEMENTS.has(name)) return false;
  if (ALWAYS_MARKUP_ELEMENTS.has(name) || DROPPED_BODY_ELEMENTS.has(name) || attributes.length === 0) return true;
  return attributes.some(isHtmlAttribute);
}

/**
 * One tokenizer pass. The tokenizer reports where each text run, tag and comment lies; text
 * is copied, markup tags and comments are skipped, and tags that are text are copied raw.
 * A Tokenizer rather than the Parser: the Parser swallows unmatched end tags (`</Enter>`) and
 * reports no source span for them.
 */
function stripOnce(input: string): string {
  let out = '';
  /** Source before this index is decided (copied or dropped). */
  let position = 0;
  /** Bodies of DROPPED_BODY_ELEMENTS being skipped, by element name. */
  const dropping: string[] = [];
  let tag: { start: number; name: string; attributes: string[] } | null = null;
  const copy = (from: number, to: number) => {
    if (dropping.length === 0) out += input.slice(from, to);
  };
  // A tag that is text may hide an element's start inside its name (`<scr<script>`, one tag
  // `scr<script` to a browser): that inner `<` goes, so that no reading of the output finds it.
  const copyTagAsText = (from: number, to: number) => {
    if (dropping.length > 0) return;
    const raw = input.slice(from, to);
    out += raw.charAt(0) + raw.slice(1).replace(INNER_ELEMENT_START, (lt: string, name: string) => (HTML_ELEMENTS.has(name.toLowerCase()) ? '' : lt));
  };
  const endOpenTag = (endIndex: number) => {
    if (!tag) return;
    const end = endIndex + 1;
    if (!isMarkupTag(tag.name, tag.attributes)) copyTagAsText(tag.start, end);
    else if (DROPPED_BODY_ELEMENTS.has(tag.name) && input.charAt(endIndex - 1) !== '/') dropping.push(tag.name);
    position = end;
    tag = null;
  };
  const tokenizer = new Tokenizer(
    { decodeEntities: false },
    {
      ontext(start, endIndex) {
        // Between the last decided index and this text lay comments or declarations: dropped.
        // Text the tokenizer reports again after an end tag without `>` was decided already.
        if (endIndex <= position) return;
        copy(Math.max(start, position), endIndex);
        position = endIndex;
      },
      ontextentity() {},
      onopentagname(start, endIndex) {
        tag = { start: start - 1, name: input.slice(start, endIndex).toLowerCase(), attributes: [] };
      },
      onattribname(start, endIndex) {
        tag?.attributes.push(input.slice(start, endIndex).toLowerCase());
      },
      onattribdata() {},
      onattribentity() {},
      onattribend() {},
      onopentagend: endOpenTag,
      onselfclosingtag: endOpenTag,
      onclosetag(start, endIndex) {
        const name = input.slice(start, endIndex).toLowerCase();
        const close = input.indexOf('>', endIndex);
        const end = close === -1 ? input.length : close + 1;
        if (dropping.length > 0) {
          if (dropping[dropping.length - 1] === name) dropping.pop();
        } else if (!HTML_ELEMENTS.has(name)) {
          copyTagAsText(start - 2, end);
        }
        position = end;
      },
      oncomment() {},
      oncdata() {},
      ondeclaration() {},
      onprocessinginstruction() {},
      onend() {},
    },
  );
  tokenizer.write(input);
  tokenizer.end();
  // What the tokenizer left undecided at the end: an unterminated comment or declaration
  // (dropped), or a tag cut off by the end of input, dropped if it names an element.
  if (position < input.length && dropping.length === 0) {
    const rest = input.slice(position);
    const cutTag = /^<\/?([A-Za-z][^\s/>]*)/.exec(rest);
    if (cutTag && !HTML_ELEMENTS.has(cutTag[1].toLowerCase())) out += rest;
    else if (!/^<[!?/]?/.test(rest)) out += rest;
  }
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
    if (next === text) return text;
    text = next;
  }
  return MARKUP_START.test(text) && stripOnce(text) !== text ? neutraliseMarkupStarts(text) : text;
}
