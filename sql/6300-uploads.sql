-- after: 20261130040000-upload-processing
-- Why: issue 12, the upload flow. Clients have no insert grant on data_uploads: createUpload and
-- completeUpload (plugins/UploadsPlugin.ts) call the definer functions below, which take the
-- owner from the request's identity, validate what the client declares (name, type, size up to
-- 10 MB, seed 003) and queue the graphile-worker jobs in the same transaction as the state
-- change, so a job exists exactly when the upload says it is processing or deleted.
-- Reconciliation is two computed columns of data_uploads, security invoker: row-level security
-- on upload_transactions and requests decides what a caller compares.

create or replace function app_private.upload_object_name(file_name text) returns text
  language sql immutable
as $$
  -- Keys are built from it: only letters, digits, dot, dash and underscore; no leading dot.
  select left(regexp_replace(regexp_replace(file_name, '[^A-Za-z0-9._-]+', '_', 'g'), '^\.+', '_'), 200)
$$;
comment on function app_private.upload_object_name(text) is
  'The file name made safe for an object key: runs of other characters than letters, digits, dot, dash and underscore become _, a leading dot too; at most 200 characters.';
revoke all on function app_private.upload_object_name(text) from public;

create or replace function app_private.enqueue_upload_job(task text, upload_id uuid, required boolean) returns boolean
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
begin
  -- graphile-worker creates its schema when a worker first starts: before that, a job that can
  -- wait (removing an object) is left to the cleanup_uploads sweep.
  if to_regnamespace('graphile_worker') is null then
    if required then
      raise exception 'no job queue yet: start the worker (npm run worker, or WORKER=inline) once'
        using errcode = 'SGUPQ';
    end if;
    return false;
  end if;
  perform graphile_worker.add_job(task, json_build_object('uploadId', upload_id),
    job_key => task || ':' || upload_id, job_key_mode => 'preserve_run_at');
  return true;
end;
$$;
comment on function app_private.enqueue_upload_job(text, uuid, boolean) is
  'Queues graphile-worker task `task` for an upload (at most one pending job per task and upload). Without a queue yet: SGUPQ when required, else false.';
revoke all on function app_private.enqueue_upload_job(text, uuid, boolean) from public;

create or replace function app_private.create_upload(file_name text, file_type app_public.file_type, file_size bigint, storage_bucket text)
  returns app_public.data_uploads
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_user uuid := app_public.current_user_id();
  v_upload app_public.data_uploads;
  v_id uuid := gen_random_uuid();
begin
  if v_user is null or not exists (select from app_public.users u where u.user_id = v_user and u.deleted_at is null) then
    raise exception 'log in to upload files' using errcode = 'SGANO';
  end if;
  if file_name is null or btrim(file_name) = '' or length(file_name) > 255 or file_name ~ '[[:cntrl:]/\\]' then
    raise exception 'fileName must be 1 to 255 characters without slashes or control characters' using errcode = 'SGUPN';
  end if;
  if lower(file_name) not like '%.' || file_type::text then
    raise exception 'fileName must end in .% for a % file', file_type, file_type using errcode = 'SGUPN';
  end if;
  -- Seed 003: at most 10 MB. The storage signature enforces the same declared size.
  if file_size is null or file_size < 1 or file_size > 10 * 1024 * 1024 then
    raise exception 'fileSize must be from 1 to 10485760 bytes (10 MB); got %', coalesce(file_size::text, 'null')
      using errcode = 'SGUPS';
  end if;
  insert into app_public.data_uploads (upload_id, user_id, file_name, file_size, file_type, s3_key, s3_bucket, status)
  values (v_id, v_user, create_upload.file_name, create_upload.file_size, create_upload.file_type,
          format('uploads/%s/%s/%s', v_user, v_id, app_private.upload_object_name(create_upload.file_name)),
          storage_bucket, 'pending')
  returning * into v_upload;
  return v_upload;
end;
$$;
comment on function app_private.create_upload(text, app_public.file_type, bigint, text) is
  'createUpload: records a pending upload of the calling user with its object key uploads/{user_id}/{upload_id}/{safe file name}. Errors: SGANO, SGUPN (name), SGUPS (size over 10 MB).';
revoke all on function app_private.create_upload(text, app_public.file_type, bigint, text) from public;
-- Anonymous callers too, so that they hear SGANO (log in) rather than a bare refusal.
grant execute on function app_private.create_upload(text, app_public.file_type, bigint, text) to spendgate_anonymous, spendgate_user;

create or replace function app_private.complete_upload(upload_id uuid, stored_size bigint) returns app_public.data_uploads
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_upload app_public.data_uploads;
begin
  select * into v_upload from app_public.data_uploads d
   where d.upload_id = complete_upload.upload_id and d.user_id = app_public.current_user_id() and d.deleted_at is null
     for update;
  if not found then
    raise exception 'upload not found' using errcode = 'SGUNF';
  end if;
  -- Completing twice is harmless: the upload is already processing (or done).
  if v_upload.status <> 'pending' then
    return v_upload;
  end if;
  if stored_size is null then
    raise exception 'the file has not been uploaded yet: PUT it to the pre-signed URL first' using errcode = 'SGUPM';
  end if;
  if stored_size <> v_upload.file_size then
    raise exception 'the stored file has % bytes, % were declared', stored_size, v_upload.file_size using errcode = 'SGUPM';
  end if;
  update app_public.data_uploads d set status = 'processing' where d.upload_id = v_upload.upload_id returning * into v_upload;
  perform app_private.enqueue_upload_job('process_upload', v_upload.upload_id, true);
  return v_upload;
end;
$$;
comment on function app_private.complete_upload(uuid, bigint) is
  'completeUpload: the caller''s pending upload whose object exists with the declared size (stored_size, null when missing) moves to processing and job process_upload is queued. Errors: SGUNF, SGUPM, SGUPQ.';
revoke all on function app_private.complete_upload(uuid, bigint) from public;
grant execute on function app_private.complete_upload(uuid, bigint) to spendgate_user;

create or replace function app_private.tg_data_uploads__remove_object() returns trigger
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
begin
  if new.deleted_at is not null and old.deleted_at is null and new.s3_key is not null and new.object_removed_at is null then
    perform app_private.enqueue_upload_job('remove_upload_object', new.upload_id, false);
  end if;
  return null;
end;
$$;
comment on function app_private.tg_data_uploads__remove_object() is
  'Trigger (after a soft delete of data_uploads): queues remove_upload_object, which deletes the file from storage.';
revoke all on function app_private.tg_data_uploads__remove_object() from public;

create or replace trigger _100_timestamps before insert or update on app_public.upload_transactions
  for each row execute function app_private.tg__timestamps();
create or replace trigger _200_soft_delete_guard before update of deleted_at on app_public.upload_transactions
  for each row execute function app_private.tg__soft_delete_guard('upload_transaction_id');
create or replace trigger _500_remove_object after update of deleted_at on app_public.data_uploads
  for each row execute function app_private.tg_data_uploads__remove_object();

create or replace function app_public.data_uploads_reconciliation(u app_public.data_uploads)
  returns setof app_public.upload_reconciliation_line
  language sql stable
as $$
  with uploaded as (
    select (t.occurred_at at time zone 'UTC')::date as day, t.provider, t.model, sum(t.cost) as cost, count(*)::int as n
      from app_public.upload_transactions t
     where t.upload_id = u.upload_id
     group by 1, 2, 3
  ), span as (
    select min(day)::timestamp at time zone 'UTC' as first_at, (max(day) + 1)::timestamp at time zone 'UTC' as end_at from uploaded
  ), recorded as (
    select (r.finished_at at time zone 'UTC')::date as day, lower(r.api_provider) as provider, r.model_name as model,
           sum(r.actual_cost) as cost, count(*)::int as n
      from app_public.requests r, span
     where r.user_id = u.user_id and r.status = 'executed'
       and r.finished_at >= span.first_at and r.finished_at < span.end_at
     group by 1, 2, 3
  )
  select day, provider, model,
         coalesce(a.cost, 0)::numeric(20,8), coalesce(a.n, 0), coalesce(b.cost, 0)::numeric(20,8), coalesce(b.n, 0),
         (coalesce(a.cost, 0) - coalesce(b.cost, 0))::numeric(20,8),
         (case when a.n is null then 'missing_in_upload' when b.n is null then 'missing_in_gateway'
               when a.cost = b.cost then 'matched' else 'cost_differs' end)::app_public.reconciliation_status
    from uploaded a full join recorded b using (day, provider, model)
   where u.status = 'completed'
   order by day, provider, model
$$;
comment on function app_public.data_uploads_reconciliation(app_public.data_uploads) is
  'The uploaded spend against the spend Spendgate settled for the same user (executed requests, by finished_at), per UTC day, provider and model, over the days the file covers: matched, cost_differs, missing_in_gateway or missing_in_upload, with the difference. Costs are compared as given (no currency conversion). Empty until the upload is completed.';
revoke all on function app_public.data_uploads_reconciliation(app_public.data_uploads) from public;
grant execute on function app_public.data_uploads_reconciliation(app_public.data_uploads) to spendgate_user;

create or replace function app_public.data_uploads_request_matches(u app_public.data_uploads)
  returns setof app_public.upload_request_match
  language sql stable
as $$
  with uploaded as (
    select lower(t.external_id)::uuid as request_id, t.external_id, sum(t.cost) as cost
      from app_public.upload_transactions t
     where t.upload_id = u.upload_id
       and t.external_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
     group by 1, 2
  )
  select a.external_id, r.request_id, a.cost::numeric(20,8), r.actual_cost,
         (a.cost - coalesce(r.actual_cost, 0))::numeric(20,8),
         (case when r.request_id is null then 'missing_in_gateway' when a.cost = r.actual_cost then 'matched'
               else 'cost_differs' end)::app_public.reconciliation_status
    from uploaded a
    left join app_public.requests r on r.request_id = a.request_id and r.user_id = u.user_id and r.status = 'executed'
   where u.status = 'completed'
   order by a.external_id
$$;
comment on function app_public.data_uploads_request_matches(app_public.data_uploads) is
  'Uploaded transactions whose external_id is a request id, against that request''s settled actual cost: matched, cost_differs, or missing_in_gateway (no executed request of this user with that id). Empty until the upload is completed.';
revoke all on function app_public.data_uploads_request_matches(app_public.data_uploads) from public;
grant execute on function app_public.data_uploads_request_matches(app_public.data_uploads) to spendgate_user;

create or replace function app_private.cleanup_uploads(as_of timestamptz) returns integer
  language plpgsql volatile
as $$
declare
  v_abandoned integer;
begin
  -- Seed 003's lifecycle: an upload never completed within a day is abandoned. Soft-deleting it
  -- queues the removal of whatever was uploaded (trigger _500_remove_object).
  update app_public.data_uploads d set deleted_at = now()
   where d.status = 'pending' and d.deleted_at is null and d.created_at < as_of - interval '1 day';
  get diagnostics v_abandoned = row_count;
  -- Deleted while no queue existed yet, or whose job was lost: queue their removal again.
  perform app_private.enqueue_upload_job('remove_upload_object', d.upload_id, false)
     from app_public.data_uploads d
    where d.deleted_at is not null and d.object_removed_at is null and d.s3_key is not null;
  return v_abandoned;
end;
$$;
comment on function app_private.cleanup_uploads(timestamptz) is
  'Task cleanup_uploads: soft-deletes uploads still pending a day after as_of minus one day (their objects are then removed by remove_upload_object) and queues the removal of any deleted upload whose object is still stored. Returns how many uploads were abandoned.';
revoke all on function app_private.cleanup_uploads(timestamptz) from public;
