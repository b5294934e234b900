import fc from 'fast-check';
import { Parser, Tokenizer } from 'htmlparser2';
import type { TokenizerCallbacks } from 'htmlparser2';
import { HTML_ELEMENTS, isMarkupTag, sanitizeContent } from '../src/services/sanitize';

/**
 * Every event of real markup an HTML parser reports for `text` (CONTRACT.md: the tags of HTML
 * elements and comments): at parser level, opening tags that are markup (`isMarkupTag`) and
 * explicit end tags of HTML elements; at tokenizer level (the Parser swallows unmatched end
 * tags), end tags of HTML elements, comments, declarations, CDATA and processing instructions.
 */
function markupEvents(text: string): string[] {
  const events: string[] = [];
  const parser = new Parser(
    {
      onopentag: (name, attributes) => isMarkupTag(name, Object.keys(attributes)) && events.push(`open:${name}`),
      onclosetag: (name, isImplied) => !isImplied && HTML_ELEMENTS.has(name) && events.push(`close:${name}`),
      oncomment: (data) => events.push(`comment:${data}`),
      oncdatastart: () => events.push('cdata'),
      onprocessinginstruction: (name) => events.push(`pi:${name}`),
    },
    { decodeEntities: false },
  );
  parser.end(text);

  const noop = (): void => undefined;
  const tokenizerCallbacks: TokenizerCallbacks = {
    onattribdata: noop,
    onattribentity: noop,
    onattribend: noop,
    onattribname: noop,
    oncdata: () => events.push('tok:cdata'),
    onclosetag: (start, end) => HTML_ELEMENTS.has(text.slice(start, end).toLowerCase()) && events.push('tok:close'),
    oncomment: () => events.push('tok:comment'),
    ondeclaration: () => events.push('tok:declaration'),
    onend: noop,
    onopentagend: noop,
    onopentagname: noop,
    onprocessinginstruction: () => events.push('tok:pi'),
    onselfclosingtag: noop,
    ontext: noop,
    ontextentity: noop,
  };
  const tokenizer = new Tokenizer({ decodeEntities: false }, tokenizerCallbacks);
  tokenizer.write(text);
  tokenizer.end();
  return events;
}

// eslint-disable-next-line no-control-regex
const STRIPPED_CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;

function isSubsequence(needle: string, haystack: string): boolean {
  let i = 0;
  for (let j = 0; j < haystack.length && i < needle.length; j++) {
    if (haystack[j] === needle[i]) i++;
  }
  return i === needle.length;
}

function expectClean(output: string): void {
  expect(markupEvents(output)).toEqual([]);
  expect(output).not.toMatch(STRIPPED_CONTROLS);
  expect(sanitizeContent(output)).toBe(output);
}

describe('sanitizeContent: examples', () => {
  it.each<[string, string]>([
    ['<b>bold</b> and <i>italic</i>', 'bold and italic'],
    ['hi <script>alert(1)</script>there', 'hi there'],
    ['<SCRIPT>alert(1)</SCRIPT>ok', 'ok'],
    ['<ScRiPt type="text/javascript">x()</sCrIpT >ok', 'ok'],
    ['<script>if (a < b && c > d) { x("</scr" + "ipt>") }</script>ok', 'ok'],
    ['a<style>body { color: red }</style>b', 'ab'],
    ['<STYLE>p{}</STYLE>b', 'b'],
    ['x<script>never closed', 'x'],
    ['<template><b>t</b></template>v', 'v'],
    ['<noscript>enable js</noscript>v', 'v'],
    ['<iframe src="//evil">fallback</iframe>v', 'v'],
    ['<textarea><b>x</b></textarea>v', 'v'],
    ['<a href="x" title="a > b">link</a>', 'link'],
    ["<a title='1>2' onclick=\"alert('>')\">link</a>", 'link'],
    ['before<!-- a comment -->after', 'beforeafter'],
    ['before<!-- <script>alert(1)</script> -->after', 'beforeafter'],
    ['before<!--unterminated comment', 'before'],
    ['<!DOCTYPE html>text', 'text'],
    ['<![CDATA[<script>x</script>]]>text', 'text'],
    ['<?xml version="1.0"?>text', 'text'],
    ['</1foo>text', 'text'],
    ['hello <b', 'hello '],
    ['hello <img src=x onerror=alert(1)//', 'hello '],
    ['<img src=x onerror=alert(1)>', ''],
    ['<br/>line<br />', 'line'],
    ['<p>para</p><div>div</div>', 'paradiv'],
    ['<svg><script>alert(1)</script></svg>ok', 'ok'],
    // Reassembly attacks: removing one layer must not produce new markup. A reassembled
    // <script> is parsed again, so its body is dropped too.
    ['<<b>script>alert(1)<</b>/script>', ''],
    ['<<b>b>x', 'x'],
    // `<scr<script>` is one tag named `scr<script` (text); the `<` of the element inside it goes.
    ['<scr<script>ipt>alert(1)</script>', '<scrscript>ipt>alert(1)'],
    ['<scr<b>ipt>alert(1)</scr<b>ipt>', '<scrb>ipt>alert(1)</scrb>ipt>'],
    ['<<<<b>b>b>b>x', 'x'],
    // Deeper than MAX_PASSES (8): the final step drops the leftover run of '<'.
    ['<<<<<<<<<<<<b>b>b>b>b>b>b>b>b>b>b>b>x', 'b>b>b>b>x'],
    ['<<<<<<<<<<<<<', '<<<<<<<<<<<<<'],
    ['<!<!-- -->-- x -->y', '-- x -->y'],
    ['<\u0000script>alert(1)</script>', ''],
    ['a</>b', 'a</>b'],
    // Text that is not HTML next to HTML that is (CONTRACT.md, Messages).
    ['press <Enter>, then <b>this</b>', 'press <Enter>, then this'],
    ['<img zz onerror=alert(1)>x', 'x'],
    ['<b zz onclick=x>y</b>', 'y'],
    ['<i>if a<b then c>d</i>', 'if a<b then c>d'],
    ['a< /b>', 'a< /b>'],
  ])('%j -> %j', (input, expected) => {
    const output = sanitizeContent(input);
    expect(output).toBe(expected);
    expectClean(output);
  });
});

describe('sanitizeContent: plain text is unchanged', () => {
  it.each([
    'a < b & c',
    'x<3',
    '5 > 4',
    '1 <= 2 >= 0',
    '&amp; &lt;script&gt; &#60;b&#62; &nbsp;',
    'a <3 b << c <<< d < > <> <- <= <# <1',
    'trailing <',
    'tom & jerry > "quotes" \'single\'',
    'emoji 😀👩‍💻🏳️‍🌈 and CJK 漢字かなカナ한국어',
    'line1\nline2\r\nline3\rline4',
    '\ttabbed\tcontent\t',
    '   leading and trailing spaces   ',
    '',
    'é café naïve — “quotes” – ‘x’ …',
    'math: ∀x∈ℝ, x² ≥ 0; 10 > 9 < 11',
    // CONTRACT.md: text that is not HTML survives unchanged.
    'x<y',
    'if a<b then c>d',
    'email me <ana@example.com>',
    'press <Enter> to send',
    'I <3 you',
    'List<String> and Map<K, V>',
    '<Enter> and </Enter>',
  ])('%j', (input) => {
    expect(sanitizeContent(input)).toBe(input);
  });

  it('strips C0 control characters except tab, LF and CR', () => {
    expect(sanitizeContent('a\u0000b\u0001c\u0008d\u000be\u000cf\u001bg\u001fh')).toBe('abcdefgh');
    expect(sanitizeContent('keep\t\n\r\n')).toBe('keep\t\n\r\n');
    expect(sanitizeContent('del \u007f and nbsp \u00a0 kept')).toBe('del \u007f and nbsp \u00a0 kept');
  });

  it('does not trim', () => {
    expect(sanitizeContent('  <b>x</b>  ')).toBe('  x  ');
    expect(sanitizeContent('\n<script>x</script>\n')).toBe('\n\n');
  });
});

describe('sanitizeContent: properties', () => {
  const NUM_RUNS = 2000;

  const htmlFragment = fc.constantFrom(
    '<', '>', '/', '!', '?', '-', '--', '!--', '-->', '<!--', '</', '/>', '<!', '<?', ']]>', '<![CDATA[',
    'script', 'SCRIPT', 'style', 'textarea', 'template', 'b', 'img', 'svg', 'p', 'br', 'iframe', 'title',
    ' ', '=', '"', "'", '&amp;', '&lt;', '&', 'onerror', 'alert(1)', '\n', '\r\n', '\t', '\u0000', '\u001b',
    '😀', '漢', 'x', '1',
  );
  const htmlSoup = fc.array(fc.oneof(htmlFragment, htmlFragment, fc.string({ maxLength: 3 })), { maxLength: 60 })
    .map((parts) => parts.join(''));

  const plainUnit = fc.oneof(
    fc.constantFrom('&', '&amp;', '&lt;', '>', '\n', '\r\n', '\r', '\t', ' ', '"', "'", '😀', '👩‍💻', '漢字', 'é', '/', '!', '?'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ).filter((s) => !s.includes('<') && !STRIPPED_CONTROLS.test(s));
  const plainText = fc.array(plainUnit, { maxLength: 80 }).map((parts) => parts.join(''));

  const anyInput = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 120 }),
    fc.string({ unit: 'grapheme', maxLength: 60 }),
    htmlSoup,
  );

  it('leaves no markup, is idempotent and never adds characters', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        const output = sanitizeContent(input);
        expect(markupEvents(output)).toEqual([]);
        expect(output).not.toMatch(STRIPPED_CONTROLS);
        expect(sanitizeContent(output)).toBe(output);
        expect(isSubsequence(output, input)).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('returns plain text (no "<", no stripped controls) unchanged', () => {
    fc.assert(
      fc.property(plainText, (input) => {
        expect(sanitizeContent(input)).toBe(input);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
