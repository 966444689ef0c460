/** The typed client of the Photon DM HTTP API, used by the `dm` CLI, the portal and the DAQ agent. */
export { PhotonClient, type PhotonClientOptions } from './client.ts';
export { ApiError, type ClientErrorCode } from './errors.ts';
export { collectPages, maxPageSize, type PageFetcher, type PaginateOptions, paginate } from './paginate.ts';
export type { KeyRotation } from './resources/facility.ts';
export type { PermissionsReport } from './resources/files.ts';
export { isJobFinished, JobWaitTimeoutError, type WaitOptions } from './resources/jobs.ts';
export { type SseMessage, SseParser } from './sse-parser.ts';
export { type FetchFunction, path, type QueryValues, type RequestOptions, Transport } from './transport.ts';
export type * from './types.ts';
