import { applyContactInfoPolicy, detect, HIDDEN } from '../../src/services/detection';
import { MessageFlag } from '../../src/schema/common/safety-enums';

const { CONTACT_INFO, EXTERNAL_LINK, OFF_PLATFORM_PAYMENT } = MessageFlag;

/** [text, flags detection must answer, in the contract's order]. */
const TABLE: [string, MessageFlag[]][] = [
  // Phones: Spain
  ['Llámame al 612 345 678', [CONTACT_INFO]],
  ['mi móvil es 612345678', [CONTACT_INFO]],
  ['+34 612-345-678', [CONTACT_INFO]],
  ['0034 612 34 56 78 por whatsapp', [CONTACT_INFO]],
  ['fijo: 91 123 45 67', [CONTACT_INFO]],
  ['612.345.678', [CONTACT_INFO]],
  // Phones: Latin America
  ['Mi cel es 55 1234 5678', [CONTACT_INFO]],
  ['+52 1 55 1234 5678', [CONTACT_INFO]],
  ['whatsapp +54 9 11 2345-6789', [CONTACT_INFO]],
  ['llamame al 11 2345-6789', [CONTACT_INFO]],
  ['mi número 300 123 4567', [CONTACT_INFO]],
  ['+57 (300) 123-4567', [CONTACT_INFO]],
  ['escríbeme al +56 9 8765 4321', [CONTACT_INFO]],
  ['+51 987 654 321', [CONTACT_INFO]],
  // Phones: US
  ['call me at (415) 555-2671', [CONTACT_INFO]],
  ['text 415.555.2671 after 5', [CONTACT_INFO]],
  ['+1 212-555-0198', [CONTACT_INFO]],
  // Emails, written and spelled out
  ['write to ana@gmail.com', [CONTACT_INFO]],
  ['ANA.GARCIA@Hotmail.es please', [CONTACT_INFO]],
  ['ana at gmail dot com', [CONTACT_INFO]],
  ['john (at) yahoo (dot) com', [CONTACT_INFO]],
  ['john[at]outlook[dot]com', [CONTACT_INFO]],
  ['ana arroba gmail punto com', [CONTACT_INFO]],
  ['escríbeme: pepe_84 arroba hotmail punto es', [CONTACT_INFO]],
  ['mail me, ana at gmail.com', [CONTACT_INFO]],
  // Links and bare domains
  ['see https://example.com/portfolio', [EXTERNAL_LINK]],
  ['my work is on www.reformas-garcia.es', [EXTERNAL_LINK]],
  ['check example.com', [EXTERNAL_LINK]],
  ['mira instagram.com/pintor.madrid', [EXTERNAL_LINK]],
  ['http://192.168.1.10:8080/cv', [EXTERNAL_LINK]],
  // Payment outside the platform
  ['can you pay me by PayPal?', [OFF_PLATFORM_PAYMENT]],
  ['Venmo is easier for me', [OFF_PLATFORM_PAYMENT]],
  ['te lo paso por Bizum', [OFF_PLATFORM_PAYMENT]],
  ['send it via Western Union', [OFF_PLATFORM_PAYMENT]],
  ['I prefer a bank transfer', [OFF_PLATFORM_PAYMENT]],
  ['hazme una transferencia y listo', [OFF_PLATFORM_PAYMENT]],
  ['te paso mi IBAN', [OFF_PLATFORM_PAYMENT]],
  ['ES91 2100 0418 4502 0005 1332', [OFF_PLATFORM_PAYMENT]],
  ['let me pay you directly, no fees', [OFF_PLATFORM_PAYMENT]],
  ['mejor te pago por fuera de la app', [OFF_PLATFORM_PAYMENT]],
  ['págame por Mercado Pago', [OFF_PLATFORM_PAYMENT]],
  // Several at once
  ['PayPal ana@gmail.com or call 612 345 678, details on example.com', [CONTACT_INFO, EXTERNAL_LINK, OFF_PLATFORM_PAYMENT]],
  // Negatives: numbers of everyday job chat
  ['I can start at 9', []],
  ['120 euros', []],
  ['2 x 3 m', []],
  ['the room is 2.70 m high and 3.40 wide', []],
  ['El presupuesto son 1.500.000 pesos', []],
  ['Son $2.500.000 por la obra', []],
  ['la cita es el 2026-12-15 a las 10:30', []],
  ['empezamos el 02/12/2026', []],
  ['calle Mayor 45, 2º B, 28013 Madrid', []],
  ['I did 150 jobs, rated 4.9', []],
  ['the flat is 1000-1500 sq ft', []],
  ['del 10/12 - 15/12 estoy fuera', []],
  ['Mon-Fri 8-16, Sat 9-13', []],
  ['it costs 1 250 000 pesos', []],
  ['node.js and 3.5m of cable', []],
  ['Meet me at the office at 8', []],
  ['I am at home, done at noon.', []],
  ['we need to transfer the furniture to the 2nd floor', []],
  ['pay through the app as usual', []],
  ['Te pago por la app como siempre', []],
  ['', []],
];

describe('detection table', () => {
  it.each(TABLE)('%j answers %j', (text, flags) => {
    expect(detect(text).flags).toEqual(flags);
  });
});

describe('CONTACT_INFO_POLICY', () => {
  const text = 'Call me on 612 345 678 or ana at gmail dot com, see example.com';

  it('flag stores the text as written and lists what was found', () => {
    expect(applyContactInfoPolicy(text, 'flag', 'content')).toEqual({ text, flags: [CONTACT_INFO, EXTERNAL_LINK] });
  });

  it('mask hides the phone number and the email address, not the link', () => {
    const checked = applyContactInfoPolicy(text, 'mask', 'content');
    expect(checked.text).toBe(`Call me on ${HIDDEN} or ${HIDDEN}, see example.com`);
    expect(checked.flags).toEqual([CONTACT_INFO, EXTERNAL_LINK]);
  });

  it('block refuses with reason CONTACT_INFO', () => {
    expect(() => applyContactInfoPolicy(text, 'block', 'content')).toThrow(
      expect.objectContaining({ code: 'BAD_USER_INPUT', extensions: expect.objectContaining({ reason: 'CONTACT_INFO' }) }),
    );
  });

  it('block lets a link or a payment word through, flagged', () => {
    expect(applyContactInfoPolicy('pay by PayPal, see example.com', 'block', 'content').flags).toEqual([EXTERNAL_LINK, OFF_PLATFORM_PAYMENT]);
  });
});
