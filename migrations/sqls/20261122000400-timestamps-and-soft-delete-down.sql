drop function app_private.tg__soft_delete_guard();
drop function app_private.log_soft_delete(text, text, text, text);
drop table app_private.soft_delete_log;
drop function app_private.tg__timestamps();
