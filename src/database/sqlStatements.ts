// Splits a SQL file into its statements, so that the definition runner can run them one by one
// and say which statement (and line) failed: PostgreSQL does not tell which statement of a
// multi-statement string raised an error. Knows what may hide a semicolon: '...' and E'...'
// strings, "..." identifiers, $tag$...$tag$ bodies, -- and (nested) /* */ comments.

export interface SqlStatement {
  /** The statement's text, without the terminating semicolon. */
  text: string;
  /** 1-based line of the file on which the statement starts (comments before it excluded). */
  line: number;
}

const IDENTIFIER_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

export function splitStatements(sql: string): SqlStatement[] {
  const statements: SqlStatement[] = [];
  let start = -1; // offset of the first character of the current statement, -1 before it
  let i = 0;
  const begin = () => {
    if (start < 0) start = i;
  };
  const finish = (end: number) => {
    if (start >= 0) {
      const text = sql.slice(start, end).trim();
      if (text) statements.push({ text, line: lineAt(sql, start) });
    }
    start = -1;
  };
  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    if (ch === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end + 1;
    } else if (ch === "/" && next === "*") {
      i = skipBlockComment(sql, i);
    } else if (ch === ";") {
      finish(i);
      i += 1;
    } else if (/\s/.test(ch)) {
      i += 1;
    } else {
      begin();
      if (ch === "'") {
        const escapes = i > 0 && /[eE]/.test(sql[i - 1]!) && !(i > 1 && IDENTIFIER_CHAR.test(sql[i - 2]!));
        i = skipQuoted(sql, i, "'", escapes);
      } else if (ch === '"') {
        i = skipQuoted(sql, i, '"', false);
      } else if (ch === "$" && !(i > 0 && IDENTIFIER_CHAR.test(sql[i - 1]!))) {
        const tag = DOLLAR_TAG.exec(sql.slice(i, i + 64));
        if (tag) {
          const end = sql.indexOf(tag[0], i + tag[0].length);
          if (end < 0) throw new Error(`unterminated dollar-quoted string ${tag[0]} starting on line ${lineAt(sql, i)}`);
          i = end + tag[0].length;
        } else {
          i += 1; // $1, a parameter
        }
      } else {
        i += 1;
      }
    }
  }
  finish(sql.length);
  return statements;
}

/** 1-based line number of an offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i += 1) if (text.charCodeAt(i) === 10) line += 1;
  return line;
}

function skipBlockComment(sql: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < sql.length) {
    if (sql[i] === "/" && sql[i + 1] === "*") {
      depth += 1;
      i += 2;
    } else if (sql[i] === "*" && sql[i + 1] === "/") {
      depth -= 1;
      i += 2;
      if (depth === 0) return i;
    } else {
      i += 1;
    }
  }
  throw new Error(`unterminated /* comment starting on line ${lineAt(sql, from)}`);
}

/** Skips a quoted string or identifier; a doubled quote is part of it, as is \' in E'...'. */
function skipQuoted(sql: string, from: number, quote: string, backslashEscapes: boolean): number {
  let i = from + 1;
  while (i < sql.length) {
    const ch = sql[i];
    if (backslashEscapes && ch === "\\") {
      i += 2;
    } else if (ch === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i += 1;
    }
  }
  throw new Error(`unterminated ${quote === "'" ? "string" : "quoted identifier"} starting on line ${lineAt(sql, from)}`);
}
