-- after: 20261122000400-timestamps-and-soft-delete
-- Why: seeds 002/004 want created_at/updated_at on every table kept by the database, and soft
-- delete with restore. These are the shared pieces every table migration attaches.
--
-- SOFT DELETE, how it fits together
-- * Every app_public table has `deleted_at timestamptz` (null = live). API roles get no DELETE
--   privilege; the gateway turns delete mutations into `update ... set deleted_at = now()`, and
--   only roles allowed to delete a row get `update (deleted_at)` on its table.
-- * Every table has ONE restrictive SELECT policy (ANDed with all permissive ones, for all roles):
--       deleted_at is null or deleted_at = now() or (select app_private.viewing_deleted())
--   - `deleted_at is null`: live rows.
--   - `deleted_at = now()`: the known trap. For `UPDATE ... RETURNING` PostgreSQL checks the NEW
--     row against the SELECT policies too; with only `deleted_at is null` the soft-deleting
--     update itself fails with "new row violates row-level security policy". now() is the
--     transaction's start time and tg__soft_delete_guard() forces deleted_at to exactly now(),
--     so a row soft-deleted by the current transaction stays visible to that transaction (and
--     to it only); every later transaction has a different now().
--   - viewing_deleted(): the explicit path. Only an admin role, and only when the gateway set
--     `spendgate.include_deleted = 'on'` for the transaction (admin + request header).
-- * tg__soft_delete_guard() (before update of deleted_at) stamps deletions with now(), allows
--   restores only to admins (or to the owner/DBA working in SQL directly), raises SQLSTATE SGDEL
--   otherwise, and records every delete and restore in app_private.soft_delete_log.
-- * The table owner bypasses RLS: SECURITY DEFINER functions (auth, submitRequest, jobs) must
--   filter `deleted_at is null` themselves.

create or replace function app_private.tg__timestamps() returns trigger
  language plpgsql volatile
as $$
begin
  if tg_op = 'INSERT' then
    -- API roles have no insert privilege on these columns, so only the owner (e.g. the legacy
    -- importer) can supply historical values; defaults fill them otherwise.
    new.created_at := coalesce(new.created_at, now());
    new.updated_at := coalesce(new.updated_at, now());
  else
    new.created_at := old.created_at;
    new.updated_at := now();
  end if;
  return new;
end;
$$;
comment on function app_private.tg__timestamps() is
  'Trigger (before insert or update): fills created_at/updated_at on insert; on update keeps created_at and sets updated_at to now().';
revoke all on function app_private.tg__timestamps() from public;

create or replace function app_private.log_soft_delete(table_name text, row_pk text, action text, actor_role text) returns void
  language sql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
  insert into app_private.soft_delete_log (table_name, row_pk, action, actor_user_id, actor_role)
  values ($1, $2, $3, app_public.current_user_id(), $4);
$$;
comment on function app_private.log_soft_delete(text, text, text, text) is
  'Appends to app_private.soft_delete_log on behalf of tg__soft_delete_guard(), which runs as the calling role and passes it in.';
revoke all on function app_private.log_soft_delete(text, text, text, text) from public;
grant execute on function app_private.log_soft_delete(text, text, text, text)
  to spendgate_user, spendgate_operator, spendgate_admin;

-- SECURITY INVOKER on purpose: the restore decision depends on current_user, which a definer
-- function would replace with its owner. Attach with the primary key column name as argument.
create or replace function app_private.tg__soft_delete_guard() returns trigger
  language plpgsql volatile
as $$
declare
  v_action text;
begin
  if old.deleted_at is null and new.deleted_at is not null then
    new.deleted_at := now();
    v_action := 'delete';
  elsif old.deleted_at is not null and new.deleted_at is null then
    if app_private.current_role_is_api() and not app_private.current_role_is_admin() then
      raise exception 'only admins can restore a soft-deleted row of %', tg_table_name
        using errcode = 'SGDEL',
              hint = 'An admin can see soft-deleted rows with spendgate.include_deleted and restore them.';
    end if;
    v_action := 'restore';
  else
    -- live -> live, or deleted -> deleted: the deletion time never moves.
    new.deleted_at := old.deleted_at;
    return new;
  end if;
  perform app_private.log_soft_delete(
    tg_table_name::text, pg_catalog.to_jsonb(new) ->> tg_argv[0], v_action, current_user::text
  );
  return new;
end;
$$;
comment on function app_private.tg__soft_delete_guard() is
  'Trigger (before update of deleted_at; argument: primary key column): a soft delete is stamped with now(), a restore is allowed only to admins or to SQL sessions outside the API roles (SQLSTATE SGDEL otherwise); both are logged in app_private.soft_delete_log.';
revoke all on function app_private.tg__soft_delete_guard() from public;
