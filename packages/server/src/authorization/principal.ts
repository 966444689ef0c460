/** Who is calling: the user behind the bearer token of this request. */
export interface Principal {
  userId: number;
  username: string;
  isAdmin: boolean;
  tokenId: number;
}

/** A principal plus the request it acts in, passed to services so the audit log can name both. */
export interface Actor {
  principal: Principal;
  requestId: string;
}

/** For work the server does by itself (first-start bootstrap, storage reconciliation). */
export const systemActorName = 'system';
