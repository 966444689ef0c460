/**
 * Reading the generated `paths` (api-types.ts) by route: what a route takes and answers, as types.ts
 * names them.
 *
 * @example
 * type Experiment = ResponseOf<'/api/v1/experiments/{name}', 'get'>;
 * type ExperimentInput = BodyOf<'/api/v1/experiments', 'post'>;
 */
import type { paths } from './api-types.ts';

export type Route = keyof paths;
export type Method = 'get' | 'put' | 'post' | 'delete' | 'patch';

type Operation<R extends Route, M extends Method> = NonNullable<paths[R][M]>;
type JsonOf<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;

/** The JSON a route answers with `status` (200 unless given). */
export type ResponseOf<
  R extends Route,
  M extends Method,
  S extends keyof Operation<R, M>['responses'] = 200 & keyof Operation<R, M>['responses'],
> = JsonOf<Operation<R, M>['responses'][S]>;

/** The JSON body a route takes. */
export type BodyOf<R extends Route, M extends Method> = JsonOf<NonNullable<Operation<R, M>['requestBody']>>;

/** The query parameters a route takes. */
export type QueryOf<R extends Route, M extends Method> = NonNullable<Operation<R, M>['parameters']['query']>;
