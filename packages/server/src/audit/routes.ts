import { Type } from '@sinclair/typebox';
import { managedStationIds } from '../authorization/policy.ts';
import type { ServiceContext } from '../context.ts';
import { decodeJson } from '../db/profile.ts';
import type { AuditEventRow } from '../db/tables.ts';
import { AppError } from '../errors/app-error.ts';
import { actorOf } from '../http/actor.ts';
import type { HttpServer } from '../http/server.ts';
import { CursorShape, decodeCursor, Page, toPage } from '../paging/pages.ts';
import { listAuditEvents, namesOfStations } from './store.ts';

const AuditEvent = Type.Object({
  id: Type.Integer(),
  occurredAt: Type.String(),
  actor: Type.String(),
  action: Type.String(),
  targetType: Type.String(),
  targetName: Type.String(),
  stationName: Type.Union([Type.String(), Type.Null()]),
  experimentName: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
  requestId: Type.Union([Type.String(), Type.Null()]),
});

const AuditQuery = Type.Object(
  {
    experiment: Type.Optional(Type.String({ maxLength: 64 })),
    user: Type.Optional(Type.String({ maxLength: 64, description: 'who made the change' })),
    action: Type.Optional(Type.String({ maxLength: 64, description: 'e.g. experiment.create' })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);

/** Admins read the whole log; station managers what concerns their stations; others nothing. */
export function registerAuditRoutes(app: HttpServer, context: ServiceContext): void {
  app.get(
    '/api/v1/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'The audit log, newest first',
        querystring: AuditQuery,
        response: { 200: Page(AuditEvent) },
      },
    },
    async (request) => {
      const { principal } = actorOf(request);
      let stationNames: string[] | undefined;
      if (!principal.isAdmin) {
        const ids = await managedStationIds(context.db, principal);
        if (ids.length === 0)
          throw new AppError('forbidden', 'only admins and station managers read the audit log');
        stationNames = await namesOfStations(context.db, ids);
      }
      const { query } = request;
      const rows = await listAuditEvents(context.db, {
        experimentName: query.experiment,
        actor: query.user,
        action: query.action,
        stationNames,
        beforeId: decodeCursor(query.cursor, CursorShape.id),
        limit: query.limit,
      });
      return toPage(
        rows,
        query.limit,
        (row) => row.id,
        (row) => present(context, row),
      );
    },
  );
}

function present(context: ServiceContext, row: AuditEventRow) {
  return {
    id: row.id,
    occurredAt: row.occurred_at,
    actor: row.actor,
    action: row.action,
    targetType: row.target_type,
    targetName: row.target_name,
    stationName: row.station_name,
    experimentName: row.experiment_name,
    details: decodeJson<Record<string, unknown>>(context.profile, row.details),
    requestId: row.request_id,
  };
}
