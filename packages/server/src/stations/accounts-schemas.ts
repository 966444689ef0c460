import { type Static, Type } from '@sinclair/typebox';
import { Timestamp, UnixAccount } from '../http/schemas.ts';

export const StationAccount = Type.Object({
  account: Type.String({ description: 'a unix account the station’s workflows may run as' }),
  addedBy: Type.String(),
  addedAt: Timestamp,
});
export type StationAccount = Static<typeof StationAccount>;

export const StationAccounts = Type.Object({
  station: Type.String(),
  accounts: Type.Array(StationAccount),
});
export type StationAccounts = Static<typeof StationAccounts>;

export const StationAccountParams = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  account: UnixAccount,
});
