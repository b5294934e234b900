/**
 * The names the sanitiser (sanitize.ts) recognises as HTML: the elements of the HTML living
 * standard (plus obsolete ones browsers still parse, and the `svg`/`math` roots), and the
 * attributes of HTML. `<Enter>` or `<ana@example.com>` name no element, so they are text.
 */
export const HTML_ELEMENTS: ReadonlySet<string> = new Set(
  `a abbr acronym address applet area article aside audio b base basefont bdi bdo bgsound big blink
  blockquote body br button canvas caption center cite code col colgroup data datalist dd del details
  dfn dialog dir div dl dt em embed fieldset figcaption figure font footer form frame frameset h1 h2
  h3 h4 h5 h6 head header hgroup hr html i iframe image img input ins isindex kbd keygen label legend
  li link listing main map mark marquee math menu menuitem meta meter multicol nav nextid nobr noembed
  noframes noscript object ol optgroup option output p param picture plaintext portal pre progress q
  rb rp rt rtc ruby s samp script search section select slot small source spacer span strike strong
  style sub summary sup svg table tbody td template textarea tfoot th thead time title tr track tt u
  ul var video wbr xmp`.split(/\s+/),
);

/**
 * Elements that are markup whatever their attributes: they run code, load or embed something,
 * take input, or change how the rest of the page parses. A formatting element such as `<b>` with
 * only unknown attributes (`if a<b then c>d`) is prose instead.
 */
export const ALWAYS_MARKUP_ELEMENTS: ReadonlySet<string> = new Set(
  `a applet area base basefont bgsound body button embed form frame frameset head html iframe image img
  input isindex keygen link math meta noembed noframes noscript object param plaintext portal script select
  source style svg template textarea title track video audio xmp listing marquee picture canvas dialog
  details option optgroup label output`.split(/\s+/),
);

const HTML_ATTRIBUTES: ReadonlySet<string> = new Set(
  `accept accept-charset accesskey action align allow alt async autocapitalize autocomplete autofocus
  autoplay background bgcolor border charset checked cite class clear color cols colspan content
  contenteditable controls coords crossorigin data datetime decoding default defer dir dirname disabled
  download draggable enctype enterkeyhint face for form formaction formenctype formmethod formnovalidate
  formtarget frameborder headers height hidden high href hreflang http-equiv id inert inputmode integrity
  is ismap itemid itemprop itemref itemscope itemtype kind label lang language list loading loop low
  manifest max maxlength media method min minlength multiple muted name nonce novalidate open optimum
  pattern ping placeholder popover popovertarget poster preload readonly referrerpolicy rel required
  reversed role rows rowspan sandbox scope scrolling selected shape size sizes slot span spellcheck src
  srcdoc srclang srcset start step style tabindex target title translate type usemap valign value width
  wrap xmlns xlink:href`.split(/\s+/),
);

/** A known HTML attribute: listed, an event handler (`on…`), or a `data-`/`aria-` attribute. */
export function isHtmlAttribute(name: string): boolean {
  return HTML_ATTRIBUTES.has(name) || /^on[a-z]+$/.test(name) || /^(data|aria)-/.test(name);
}
