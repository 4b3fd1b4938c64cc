// BERT uncased WordPiece, as Hugging Face `tokenizers` runs it for all-MiniLM-L6-v2 (BertNormalizer,
// BertPreTokenizer, WordPiece, [CLS] ... [SEP]); `data` is the export's wordpiece.json. Ids equal the reference
// on every tests/data/golden text (tests/export/web/test_model.py).

// tokenizers' is_chinese_char: the CJK ideograph blocks get spaces around each character
const CJK = [[0x4e00, 0x9fff], [0x3400, 0x4dbf], [0x20000, 0x2a6df], [0x2a700, 0x2b73f], [0x2b740, 0x2b81f],
  [0x2b920, 0x2ceaf], [0xf900, 0xfaff], [0x2f800, 0x2fa1f]];
// tokenizers' is_control (Cc, Cf, Co, Cn, Cs but tab, newline and return) and is_whitespace
const CONTROL = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}]/u;
const WHITESPACE = /[\t\n\r\p{White_Space}]/u;
const MARK = /\p{Mn}/u;
// BertPreTokenizer's punctuation: ASCII punctuation (symbols such as $ + < = > ^ ` | ~ too) and Unicode P*
const PUNCT = /[!-\/:-@\[-`{-~\p{P}]/u;

function isChinese(code) {
  for (const [lo, hi] of CJK) if (code >= lo && code <= hi) return true;
  return false;
}

export class Tokenizer {
  constructor(data) {
    this.data = data;
    this.vocab = new Map(data.vocab.map((token, id) => [token, id]));
    this.unk = this.vocab.get(data.unk_token);
    this.prefix = data.continuing_subword_prefix;
    // longest first, so that of two added tokens starting at one place the longer is taken
    this.added = [...data.added_tokens].sort((a, b) => b.content.length - a.content.length);
    this.firsts = new Set(this.added.map(t => t.content[0]));
  }

  normalize(text) {
    const { clean_text, handle_chinese_chars, strip_accents, lowercase } = this.data;
    let out = '';
    for (const ch of text) {
      const code = ch.codePointAt(0);
      if (clean_text) {
        if (code === 0 || code === 0xfffd) continue;
        if (ch !== '\t' && ch !== '\n' && ch !== '\r' && CONTROL.test(ch)) continue;
        if (WHITESPACE.test(ch)) { out += ' '; continue; }
      }
      out += handle_chinese_chars && isChinese(code) ? ` ${ch} ` : ch;
    }
    if (strip_accents) {
      let kept = '';
      for (const ch of out.normalize('NFD')) if (!MARK.test(ch)) kept += ch;
      out = kept;
    }
    if (lowercase) {
      let lower = '';
      for (const ch of out) lower += ch.toLowerCase();  // per character, as Rust's char::to_lowercase (no final sigma)
      out = lower;
    }
    return out;
  }

  // whitespace splits and is dropped; each punctuation character is a word of its own
  words(text) {
    const words = [];
    let word = '';
    for (const ch of text) {
      if (WHITESPACE.test(ch)) {
        if (word) words.push(word);
        word = '';
      } else if (PUNCT.test(ch)) {
        if (word) words.push(word);
        words.push(ch);
        word = '';
      } else {
        word += ch;
      }
    }
    if (word) words.push(word);
    return words;
  }

  // greedy longest match; a word over max_input_chars_per_word characters, or with a part no piece matches, is [UNK]
  wordpiece(word, ids) {
    const chars = Array.from(word);
    if (chars.length > this.data.max_input_chars_per_word) { ids.push(this.unk); return; }
    const pieces = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found;
      while (start < end) {
        let piece = chars.slice(start, end).join('');
        if (start > 0) piece = this.prefix + piece;
        found = this.vocab.get(piece);
        if (found !== undefined) break;
        end -= 1;
      }
      if (found === undefined) { ids.push(this.unk); return; }
      pieces.push(found);
      start = end;
    }
    for (const id of pieces) ids.push(id);
  }

  // added tokens ([CLS], [PAD], [MASK] ...) are matched in the raw text, before normalization
  segments(text) {
    const parts = [];
    let plain = '';
    let i = 0;
    outer: while (i < text.length) {
      if (this.firsts.has(text[i])) {
        for (const token of this.added) {
          if (text.startsWith(token.content, i)) {
            if (plain) parts.push(plain);
            parts.push(token.id);
            plain = '';
            i += token.content.length;
            continue outer;
          }
        }
      }
      plain += text[i];
      i += 1;
    }
    if (plain) parts.push(plain);
    return parts;
  }

  // the model's ids: [CLS], the first max_length - 2 word pieces, [SEP]
  encode(text) {
    if (typeof text !== 'string') throw new TypeError(`tokenize: expected a string, got ${text === null ? 'null' : typeof text}`);
    const limit = this.data.max_length - 2;
    const ids = [];
    for (const part of this.segments(text)) {
      if (typeof part === 'number') { ids.push(part); } else {
        for (const word of this.words(this.normalize(part))) {
          this.wordpiece(word, ids);
          if (ids.length >= limit) break;
        }
      }
      if (ids.length >= limit) break;
    }
    return [this.data.cls_id, ...ids.slice(0, limit), this.data.sep_id];
  }
}
