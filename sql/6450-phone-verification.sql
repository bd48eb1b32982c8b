-- after: 20261130050000-insights
-- Why: phone verification (seed 003 "SMS Verification Codes"). With Redis the gateway keeps the
-- codes in verify:{phone} (src/insights/phoneVerification.ts); without it, these functions keep
-- them in app_private.phone_verifications with the same rules: a 6-digit code stored as a salted
-- SHA-256, valid 10 minutes, at most 5 wrong tries, a limited number of codes per phone per hour.
-- Only the latest code of a user counts. Either way the number is marked verified here.

-- Marks the caller's phone number verified (both stores end here).
create or replace function app_private.mark_phone_verified(phone_number text) returns void
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
begin
  update app_public.users u set phone_number = mark_phone_verified.phone_number, phone_verified_at = now()
   where u.user_id = app_public.current_user_id() and u.deleted_at is null;
exception when unique_violation then
  raise exception 'this phone number already belongs to another account' using errcode = 'SGDUP';
end;
$$;
comment on function app_private.mark_phone_verified(text) is
  'Sets the calling user''s phone_number to the verified number and stamps phone_verified_at; SGDUP when another live account has the number.';
revoke all on function app_private.mark_phone_verified(text) from public;
grant execute on function app_private.mark_phone_verified(text) to spendgate_user;

-- Stores a new code for the caller (PostgreSQL store). Raises SGSMS beyond the hourly limit.
create or replace function app_private.store_phone_code(phone_number text, code text, ttl interval, max_per_hour integer)
  returns void
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v_salt text := encode(gen_random_bytes(16), 'hex');
begin
  -- One request per phone at a time, so that concurrent requests cannot both pass the limit.
  perform pg_advisory_xact_lock(hashtext('spendgate:sms:' || store_phone_code.phone_number));
  if (select count(*) from app_private.phone_verifications v
       where v.phone_number = store_phone_code.phone_number and v.created_at > now() - interval '1 hour') >= max_per_hour then
    raise exception 'too many verification codes for this phone number; try again later' using errcode = 'SGSMS';
  end if;
  insert into app_private.phone_verifications (user_id, phone_number, code_hash, salt, expires_at)
  values (app_public.current_user_id(), store_phone_code.phone_number,
          encode(sha256(convert_to(v_salt || ':' || code, 'UTF8')), 'hex'), v_salt, now() + ttl);
end;
$$;
comment on function app_private.store_phone_code(text, text, interval, integer) is
  'PostgreSQL store of phone verification codes: records a salted hash of the code sent to the caller''s phone; SGSMS when max_per_hour codes were already sent to the number within the hour.';
revoke all on function app_private.store_phone_code(text, text, interval, integer) from public;
grant execute on function app_private.store_phone_code(text, text, interval, integer) to spendgate_user;

-- Checks a code against the caller's latest live code. Returns the outcome instead of raising,
-- so that the attempt counter is kept when the code is wrong:
-- verified | wrong_code | too_many_attempts | no_code.
create or replace function app_private.check_phone_code(code text, max_attempts integer) returns text
  language plpgsql volatile
  security definer
  set search_path = pg_catalog, public, pg_temp
as $$
declare
  v app_private.phone_verifications;
begin
  select * into v from app_private.phone_verifications p
   where p.user_id = app_public.current_user_id()
   order by p.created_at desc limit 1
   for update;
  if not found or v.verified_at is not null or v.expires_at <= now() then
    return 'no_code';
  end if;
  if v.attempts >= max_attempts then
    return 'too_many_attempts';
  end if;
  if encode(sha256(convert_to(v.salt || ':' || code, 'UTF8')), 'hex') <> v.code_hash then
    update app_private.phone_verifications p set attempts = p.attempts + 1 where p.verification_id = v.verification_id;
    return case when v.attempts + 1 >= max_attempts then 'too_many_attempts' else 'wrong_code' end;
  end if;
  update app_private.phone_verifications p set verified_at = now() where p.verification_id = v.verification_id;
  perform app_private.mark_phone_verified(v.phone_number);
  return 'verified';
end;
$$;
comment on function app_private.check_phone_code(text, integer) is
  'PostgreSQL store: checks a code against the caller''s latest unexpired, unused code, counts wrong tries (at most max_attempts), and on success marks the number verified. Returns verified, wrong_code, too_many_attempts or no_code.';
revoke all on function app_private.check_phone_code(text, integer) from public;
grant execute on function app_private.check_phone_code(text, integer) to spendgate_user;

-- A changed phone number is no longer verified, unless the change is the verification itself.
create or replace function app_private.tg_users__phone_changed() returns trigger
  language plpgsql volatile
as $$
begin
  if new.phone_verified_at is not distinct from old.phone_verified_at then
    new.phone_verified_at := null;
  end if;
  return new;
end;
$$;
comment on function app_private.tg_users__phone_changed() is
  'Trigger on users: clears phone_verified_at when phone_number changes other than by a verification.';
revoke all on function app_private.tg_users__phone_changed() from public;

create or replace trigger _400_phone_changed before update of phone_number on app_public.users
  for each row when (old.phone_number is distinct from new.phone_number)
  execute function app_private.tg_users__phone_changed();
