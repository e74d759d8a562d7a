/**
 * The XML escaper of the deposit writer: strings are escaped once, here, and everything else is
 * template strings (stack.md §1.6: ~200x faster than an XML builder).
 *
 * `esc()` serves element content and attribute values alike. It escapes `& < > "` and writes
 * TAB, LF and CR as character references, so an XML parser returns exactly the original string
 * (attribute-value normalisation and line-end normalisation would otherwise change them). It
 * refuses what XML 1.0 cannot carry at all (§2.2 Char: C0 controls other than TAB/LF/CR,
 * U+FFFE/U+FFFF, unpaired surrogates): such a value cannot be written faithfully, so the object
 * holding it is reported by the pre-flight instead of silently altered.
 */

/** A value holds a character XML 1.0 cannot represent (XML 1.0 §2.2, production [2] Char). */
export class XmlCharacterError extends Error {
  constructor(readonly codePoint: number) {
    super(`contains U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}, a character XML 1.0 cannot represent`);
  }

  override get name(): string {
    return 'XmlCharacterError';
  }
}

/** Anything that needs a second look: markup characters, whitespace controls, surrogates, non-characters. */
const SPECIAL = /[&<>"\u0000-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

const REPLACEMENT: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/** Escape a string for element content or a double-quoted attribute value. */
export function esc(value: string): string {
  if (!SPECIAL.test(value)) return value;
  let out = '';
  let start = 0;
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    let replacement: string | undefined;
    if (code < 0x20 || code === 0x22 || code === 0x26 || code === 0x3c || code === 0x3e) {
      replacement = REPLACEMENT[value[index]!];
      if (replacement === undefined) throw new XmlCharacterError(code);
    } else if (code >= 0xd800 && code <= 0xdbff) {
      const next = value.charCodeAt(index + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) throw new XmlCharacterError(code);
      index++; // a valid pair: keep both halves
      continue;
    } else if ((code >= 0xdc00 && code <= 0xdfff) || code === 0xfffe || code === 0xffff) {
      throw new XmlCharacterError(code);
    } else continue;
    out += value.slice(start, index) + replacement;
    start = index + 1;
  }
  return out + value.slice(start);
}

/** ` name="value"` with the value escaped, or '' when absent. */
export function at(name: string, value: string | undefined): string {
  return value === undefined ? '' : ` ${name}="${esc(value)}"`;
}
