// The upload flow's client steps through HTTP, shared by the upload tests (flow.ts) and the
// insights tests that feed uploaded spend into the persona job: create, PUT to the pre-signed URL,
// complete, wait for process_upload through the inline worker's events (never a sleep), and
// settle requests through the API so that uploaded rows can name them.
import type { TestGateway } from "../helpers/gateway.ts";
import type { Account, ApiClient } from "../api/client.ts";

const UPLOAD_FIELDS = `uploadId fileName fileSize fileType status s3Key s3Bucket rowCount validRowCount errorCount validationErrors failureReason processedAt`;
export const CREATE = `mutation($input: CreateUploadInput!) { createUpload(input: $input) {
  uploadId presignedUpload { method url headers { name value } expiresAt } upload { ${UPLOAD_FIELDS} } } }`;
export const COMPLETE = `mutation($id: UUID!) { completeUpload(input: {uploadId: $id}) { uploadId upload { ${UPLOAD_FIELDS} } } }`;
export const READ = `query($id: UUID!) { dataUpload(uploadId: $id) { ${UPLOAD_FIELDS}
  transactions(orderBy: ROW_NUMBER_ASC) { totalCount nodes { rowNumber occurredAt provider model cost currency externalId project agent inputTokens outputTokens } }
  reconciliation { nodes { day provider model uploadedCost uploadedCount recordedCost recordedCount difference status } }
  requestMatches { nodes { externalId requestId uploadedCost recordedCost difference status } } } }`;

export const HEADER = "occurred_at,provider,model,cost,currency,external_id,project,agent,input_tokens,output_tokens";

export interface Presigned {
  method: string;
  url: string;
  headers: { name: string; value: string }[];
  expiresAt: string;
}

/** The steps against `ctx.gateway` (a gateway with WORKER=inline), read when called: ctx may be filled in by a before hook. */
export function uploadClient(ctx: { gateway: TestGateway; operator: Account }) {
  /** Resolves when the inline worker finishes a job of `task` for the upload (successful or not). */
  const jobDone = (task: string, uploadId: string) =>
    new Promise<void>((resolve) => {
      const events = ctx.gateway.worker!.runner.events;
      const listener = ({ job }: { job: { task_identifier: string; payload: unknown } }) => {
        if (job.task_identifier === task && (job.payload as { uploadId?: string }).uploadId === uploadId) {
          events.off("job:complete", listener);
          resolve();
        }
      };
      events.on("job:complete", listener);
    });

  const create = async (client: ApiClient, fileName: string, fileType: "csv" | "json", fileSize: number) =>
    (await client.data(CREATE, { input: { fileName, fileType, fileSize } })).createUpload as { uploadId: string; presignedUpload: Presigned; upload: any };

  const put = (presigned: Presigned, body: Buffer | string, headers: Record<string, string> = {}) =>
    fetch(presigned.url, {
      method: presigned.method,
      // content-length is computed by fetch from the body: a longer body sends a larger one.
      headers: { ...Object.fromEntries(presigned.headers.filter((h) => h.name !== "content-length").map((h) => [h.name, h.value])), ...headers },
      body,
    });

  /** create + PUT + complete + the job: the upload as the user then reads it. */
  const uploadFile = async (client: ApiClient, fileName: string, fileType: "csv" | "json", content: string) => {
    const body = Buffer.from(content);
    const created = await create(client, fileName, fileType, body.length);
    const stored = await put(created.presignedUpload, body);
    if (stored.status !== 200) throw new Error(`PUT answered ${stored.status}: ${await stored.text()}`);
    const processed = jobDone("process_upload", created.uploadId);
    const completed = await client.data(COMPLETE, { id: created.uploadId });
    await processed;
    const read = await client.data(READ, { id: created.uploadId });
    return { created, completed: completed.completeUpload, upload: read.dataUpload };
  };

  /** Executed requests of `owner` with these actual costs (through the API: project, top-up, submit, complete). */
  async function settleRequests(owner: Account, calls: { apiProvider: string; modelName: string; actualCost: string }[]): Promise<string[]> {
    const { createProject } = await owner.client.data('mutation { createProject(input: {project: {name: "recon"}}) { project { projectId } } }');
    const projectId = createProject.project.projectId;
    const { recordPayment } = await owner.client.data('mutation { recordPayment(input: {amount: "100", currency: "USD"}) { payment { paymentId } } }');
    await ctx.operator.client.data("mutation($id: UUID!) { completePayment(input: {paymentId: $id}) { payment { status } } }", { id: recordPayment.payment.paymentId });
    const ids: string[] = [];
    for (const call of calls) {
      const { submitRequest } = await owner.client.data("mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { request { requestId status } } }", {
        input: { projectId, agentId: "bot", apiProvider: call.apiProvider, modelName: call.modelName, endpoint: "chat", parameters: {}, estimatedCost: "5" },
      });
      if (submitRequest.request.status !== "approved") throw new Error(`request not approved: ${JSON.stringify(submitRequest)}`);
      await owner.client.data("mutation($id: UUID!, $cost: BigFloat!) { completeRequest(input: {requestId: $id, actualCost: $cost}) { request { status } } }", {
        id: submitRequest.request.requestId, cost: call.actualCost,
      });
      ids.push(submitRequest.request.requestId);
    }
    return ids;
  }

  return { jobDone, create, put, uploadFile, settleRequests };
}
