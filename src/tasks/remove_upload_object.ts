// Task `remove_upload_object` (queued when an upload is soft-deleted, and by cleanup_uploads):
// deletes the upload's file from storage and stamps object_removed_at. Safe to retry: removing
// a missing object succeeds, and a removed one is not removed again.
import type { Task } from "graphile-worker";
import type { TaskServices } from "./index.ts";

export function makeTask({ storage }: TaskServices): Task {
  return async (payload, helpers) => {
    const { uploadId } = payload as { uploadId: string };
    const { rows } = await helpers.withPgClient((client) =>
      client.query<{ s3_key: string }>(
        "select s3_key from app_public.data_uploads where upload_id = $1 and deleted_at is not null and object_removed_at is null and s3_key is not null",
        [uploadId],
      ),
    );
    if (!rows[0]) return;
    await storage.remove(rows[0].s3_key);
    await helpers.withPgClient((client) =>
      client.query("update app_public.data_uploads set object_removed_at = now() where upload_id = $1", [uploadId]),
    );
    helpers.logger.info("remove_upload_object: removed", { uploadId });
  };
}
