import { actorOf } from '../http/actor.ts';
import { NameParams } from '../http/schemas.ts';
import type { HttpServer } from '../http/server.ts';
import { StationAccountParams, StationAccounts } from './accounts-schemas.ts';
import type { StationAccountService } from './accounts-service.ts';

export function registerStationAccountRoutes(app: HttpServer, accounts: StationAccountService): void {
  const tags = ['stations'];

  app.get(
    '/api/v1/stations/:name/accounts',
    {
      schema: {
        tags,
        summary: "The unix accounts the station's workflows may run as",
        params: NameParams,
        response: { 200: StationAccounts },
      },
    },
    (request) => accounts.list(actorOf(request), request.params.name),
  );

  app.put(
    '/api/v1/stations/:name/accounts/:account',
    {
      schema: {
        tags,
        summary: "Let the station's workflows run as a unix account (admins; never root or a system account)",
        params: StationAccountParams,
        response: { 200: StationAccounts },
      },
    },
    (request) => accounts.add(actorOf(request), request.params.name, request.params.account),
  );

  app.delete(
    '/api/v1/stations/:name/accounts/:account',
    {
      schema: {
        tags,
        summary: "Take a unix account off the station's list (admins); its workflows' jobs then fail",
        params: StationAccountParams,
        response: { 200: StationAccounts },
      },
    },
    (request) => accounts.remove(actorOf(request), request.params.name, request.params.account),
  );
}
