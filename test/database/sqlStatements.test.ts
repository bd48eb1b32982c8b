// The statement splitter of the definition runner: a semicolon inside a string, a quoted
// identifier, a function body or a comment does not end a statement, and each statement knows its
// line (errors name it).
import test from "ava";
import { splitStatements } from "../../src/database/sqlStatements.ts";

const texts = (sql: string) => splitStatements(sql).map((statement) => statement.text);

test("statements end at semicolons outside strings, identifiers, bodies and comments", (t) => {
  const sql = `-- after: x; not a statement
/* a block; comment /* nested; */ still comment; */
create or replace function a.f(p text) returns text language plpgsql as $body$
begin
  return p || ';' || $$;$$ || $1; -- $1 is a parameter, $$;$$ a nested dollar quote
end;
$body$;
comment on function a.f(text) is E'it\\'s; fine' ;
comment on column a."odd;name".c is 'it''s; fine';
select $$;$$, a$b$c;
`;
  t.deepEqual(texts(sql), [
    "create or replace function a.f(p text) returns text language plpgsql as $body$\nbegin\n  return p || ';' || $$;$$ || $1; -- $1 is a parameter, $$;$$ a nested dollar quote\nend;\n$body$",
    "comment on function a.f(text) is E'it\\'s; fine'",
    "comment on column a.\"odd;name\".c is 'it''s; fine'",
    "select $$;$$, a$b$c",
  ]);
});

test("each statement knows the line it starts on; comments before it do not count", (t) => {
  const sql = "-- header\n\nselect 1;\n-- why\nselect\n  2;\n\n   select 3";
  t.deepEqual(
    splitStatements(sql).map((statement) => statement.line),
    [3, 5, 8],
  );
});

test("an unterminated string, body or comment is an error naming its line", (t) => {
  t.throws(() => splitStatements("select 1;\nselect 'oops;"), { message: /unterminated string starting on line 2/ });
  t.throws(() => splitStatements("\n\ncreate function f() returns int as $x$ select 1;"), { message: /unterminated dollar-quoted string \$x\$ starting on line 3/ });
  t.throws(() => splitStatements("/* /* */"), { message: /unterminated \/\* comment starting on line 1/ });
});
