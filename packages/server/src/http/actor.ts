import type { FastifyRequest } from 'fastify';
import type { Actor, Principal } from '../authorization/principal.ts';
import { AppError } from '../errors/app-error.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Served without a token (login, health, OpenAPI, metrics). */
    public?: boolean;
  }
}

export function actorOf(request: FastifyRequest): Actor {
  if (!request.principal) throw new AppError('unauthenticated', 'sign in first');
  return { principal: request.principal, requestId: request.id };
}
