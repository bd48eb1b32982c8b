// What a restore must bring back: for every table of our schemas (and graphile-worker's), its row
// count and an MD5 over all its rows in a fixed order. Two databases with equal checksums hold
// the same data.
import pg from "pg";

export async function tableChecksums(url: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ name: string }>(
      `select format('%I.%I', schemaname, relname) as name from pg_stat_user_tables
        where schemaname not in ('pg_catalog', 'information_schema') order by 1`,
    );
    const sums: Record<string, string> = {};
    for (const { name } of tables) {
      const { rows } = await client.query<{ n: string; md5: string | null }>(
        `select count(*) as n, md5(string_agg(t::text, E'\\n' order by t::text)) as md5 from ${name} t`,
      );
      sums[name] = `${rows[0]!.n}:${rows[0]!.md5 ?? "-"}`;
    }
    return sums;
  } finally {
    await client.end();
  }
}
