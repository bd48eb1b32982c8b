// UploadsPlugin: the spend-file upload flow of seed 003 (issue 12), which needs object storage:
//   createUpload(input: {fileName, fileType, fileSize})  -> a pending upload and a pre-signed PUT
//                                                         (15 minutes, length and type signed)
//   completeUpload(input: {uploadId})                    -> the upload, now processing (job queued)
// The rules live in SQL (sql/6300-uploads.sql: who may, name, size, key, state, job); this plugin
// only signs URLs and asks the store whether the object exists with the declared size. Both run
// inside the request's transaction as the request's role.
import { access, context, object, type Step } from "postgraphile/grafast";
import { sideEffectWithPgClientTransaction } from "postgraphile/@dataplan/pg";
import { extendSchema, gql } from "postgraphile/utils";
import { CONTENT_TYPES, type FileType } from "../src/storage/storage.ts";

export default extendSchema((build) => {
  const executor = build.input.pgRegistry.pgExecutors.main!;
  const uploads = build.input.pgRegistry.pgResources.data_uploads!;
  const withServices = (fieldArgs: { getRaw(path: string[]): any }) =>
    object({ input: fieldArgs.getRaw(["input"]) as Step<Record<string, any>>, services: context().get("services") });
  const uploadOf = ($result: Step) => uploads.get({ upload_id: access($result, "uploadId") });
  return {
    typeDefs: gql`
      input CreateUploadInput {
        "The file's name; it must end in .csv or .json as fileType says."
        fileName: String!
        fileType: FileType!
        "Exact size in bytes, 1 to 10485760 (10 MB): the upload must send exactly this many."
        fileSize: Int!
      }
      input CompleteUploadInput {
        uploadId: UUID!
      }
      "A header the upload request must carry exactly as given (it is part of the signature)."
      type HttpHeader {
        name: String!
        value: String!
      }
      "Where and how to send the file: an HTTP PUT of the raw bytes to url with these headers, before expiresAt."
      type PresignedUpload {
        method: String!
        url: String!
        headers: [HttpHeader!]!
        expiresAt: Datetime!
      }
      type CreateUploadPayload {
        uploadId: UUID!
        presignedUpload: PresignedUpload!
        upload: DataUpload
      }
      type CompleteUploadPayload {
        uploadId: UUID!
        upload: DataUpload
      }
      extend type Mutation {
        "Starts an upload of a spend file (CSV or JSON, at most 10 MB): records it as pending and returns a pre-signed URL valid for 15 minutes. Errors: SGANO, SGUPN, SGUPS."
        createUpload(input: CreateUploadInput!): CreateUploadPayload
        "After the PUT: checks the stored file has the declared size and queues its processing (status processing, then completed or failed). Calling it again changes nothing. Errors: SGUNF, SGUPM, SGUPQ."
        completeUpload(input: CompleteUploadInput!): CompleteUploadPayload
      }
    `,
    objects: {
      CreateUploadPayload: { plans: { upload: uploadOf } },
      CompleteUploadPayload: { plans: { upload: uploadOf } },
      Mutation: {
        plans: {
          createUpload(_: unknown, fieldArgs: any) {
            return sideEffectWithPgClientTransaction(executor, withServices(fieldArgs), async (client, { input, services }) => {
              const fileType = String(input.fileType).toLowerCase() as FileType;
              const { rows } = await client.query<{ upload_id: string; s3_key: string }>({
                text: "select upload_id, s3_key from app_private.create_upload($1, $2::app_public.file_type, $3, $4)",
                values: [input.fileName, fileType, input.fileSize, services.storage.bucket],
              });
              const { upload_id: uploadId, s3_key: key } = rows[0]!;
              const presigned = await services.storage.presignUpload(key, CONTENT_TYPES[fileType], Number(input.fileSize));
              return {
                uploadId,
                presignedUpload: {
                  ...presigned,
                  headers: Object.entries(presigned.headers).map(([name, value]) => ({ name, value })),
                  expiresAt: presigned.expiresAt.toISOString(),
                },
              };
            });
          },
          completeUpload(_: unknown, fieldArgs: any) {
            return sideEffectWithPgClientTransaction(executor, withServices(fieldArgs), async (client, { input, services }) => {
              // Read as the caller (RLS): another user's upload is not even looked up in storage.
              const { rows } = await client.query<{ s3_key: string | null }>({
                text: "select s3_key from app_public.data_uploads where upload_id = $1 and status = 'pending'",
                values: [input.uploadId],
              });
              const key = rows[0]?.s3_key;
              const size = key ? await services.storage.size(key) : undefined;
              const done = await client.query<{ upload_id: string }>({
                text: "select upload_id from app_private.complete_upload($1, $2)",
                values: [input.uploadId, size ?? null],
              });
              return { uploadId: done.rows[0]!.upload_id };
            });
          },
        },
      },
    },
  };
}, "UploadsPlugin");
