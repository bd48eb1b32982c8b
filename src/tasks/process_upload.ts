// Task `process_upload` (queued by completeUpload, sql/6300-uploads.sql): validates the uploaded
// spend file and stores its transactions (src/uploads/process.ts). Idempotent: a finished upload
// is skipped, an interrupted run committed nothing, so a retry simply runs again.
import type { Task } from "graphile-worker";
import type { TaskServices } from "./index.ts";
import { processUpload } from "../uploads/process.ts";

export function makeTask({ storage }: TaskServices): Task {
  return async (payload, helpers) => {
    const { uploadId } = payload as { uploadId: string };
    const outcome = await helpers.withPgClient((client) =>
      processUpload(client, storage, uploadId, {
        onBatch: (stored) => helpers.logger.debug(`process_upload: ${stored} rows stored`, { uploadId, stored }),
      }),
    );
    helpers.logger.info(`process_upload: ${outcome.status}`, { uploadId, ...outcome });
  };
}
